import { namespaceLevelFor, podSpecOf, pssLevel, pssViolations } from '../src/lib/pss';

/** A pod spec that meets the restricted level, after `change` edits it. */
function pod(change: (spec: any, container: any) => void = () => {}): any {
  const container = {
    name: 'app',
    image: 'app:1',
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  };
  const spec = {
    securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [container],
    volumes: [
      { name: 'data', persistentVolumeClaim: { claimName: 'data' } },
      { name: 'tmp', emptyDir: {} },
    ],
  };
  change(spec, container);
  return spec;
}

describe('pssLevel', () => {
  test('a non-root pod with RuntimeDefault seccomp, no escalation and all capabilities dropped is restricted', () => {
    expect(pssViolations(pod(), 'restricted')).toEqual([]);
    expect(pssLevel(pod())).toBe('restricted');
  });

  test('a hostPath volume makes a pod privileged and the violation names the volume', () => {
    const spec = pod((s) => s.volumes.push({ name: 'host', hostPath: { path: '/var' } }));
    expect(pssLevel(spec)).toBe('privileged');
    expect(pssViolations(spec, 'baseline')).toEqual([
      'spec.volumes[2].hostPath: hostPath volumes are not allowed (baseline)',
    ]);
  });

  test('an nfs volume is baseline, not restricted', () => {
    const spec = pod((s) => s.volumes.push({ name: 'media', nfs: { server: 'nas', path: '/media' } }));
    expect(pssLevel(spec)).toBe('baseline');
    expect(pssViolations(spec, 'restricted')).toEqual([
      'spec.volumes[2].nfs: nfs volumes are not allowed (restricted)',
    ]);
  });

  test('a container that does not drop ALL capabilities is baseline', () => {
    const spec = pod((_, c) => (c.securityContext.capabilities = { drop: ['NET_RAW'] }));
    expect(pssLevel(spec)).toBe('baseline');
    expect(pssViolations(spec, 'restricted')).toEqual([
      'spec.containers[0].securityContext.capabilities.drop: must include "ALL" (restricted)',
    ]);
  });

  test('a container that does not set allowPrivilegeEscalation false is baseline', () => {
    const spec = pod((_, c) => delete c.securityContext.allowPrivilegeEscalation);
    expect(pssLevel(spec)).toBe('baseline');
    expect(pssViolations(spec, 'restricted')).toEqual([
      'spec.containers[0].securityContext.allowPrivilegeEscalation: must be false, is unset (restricted)',
    ]);
  });

  test('runAsUser 0 on the pod is baseline', () => {
    const spec = pod((s) => (s.securityContext.runAsUser = 0));
    expect(pssLevel(spec)).toBe('baseline');
    expect(pssViolations(spec, 'restricted')).toEqual([
      'spec.securityContext.runAsUser: 0 is not allowed (restricted)',
    ]);
  });

  test('runAsUser 0 on a container is baseline', () => {
    const spec = pod((_, c) => (c.securityContext.runAsUser = 0));
    expect(pssViolations(spec, 'restricted')).toEqual([
      'spec.containers[0].securityContext.runAsUser: 0 is not allowed (restricted)',
    ]);
  });

  test('a pod without runAsNonRoot on the pod or its container is baseline', () => {
    const spec = pod((s) => delete s.securityContext.runAsNonRoot);
    expect(pssViolations(spec, 'restricted')).toEqual([
      'spec.containers[0].securityContext.runAsNonRoot: must be true here or on the pod, is unset (restricted)',
    ]);
  });

  test('runAsNonRoot false on a container overrides the pod and is baseline', () => {
    const spec = pod((_, c) => (c.securityContext.runAsNonRoot = false));
    expect(pssViolations(spec, 'restricted')).toEqual([
      'spec.containers[0].securityContext.runAsNonRoot: must be true here or on the pod, is false (restricted)',
    ]);
  });

  test('runAsNonRoot and seccomp on every container satisfy restricted without pod-level settings', () => {
    const spec = pod((s, c) => {
      s.securityContext = {};
      c.securityContext.runAsNonRoot = true;
      c.securityContext.seccompProfile = { type: 'Localhost', localhostProfile: 'app.json' };
    });
    expect(pssLevel(spec)).toBe('restricted');
  });

  test('a pod without a seccomp profile is baseline', () => {
    const spec = pod((s) => delete s.securityContext.seccompProfile);
    expect(pssLevel(spec)).toBe('baseline');
    expect(pssViolations(spec, 'restricted')).toEqual([
      'spec.containers[0].securityContext.seccompProfile.type: must be RuntimeDefault or Localhost here or on the pod, is unset (restricted)',
    ]);
  });

  test('an Unconfined seccomp profile is privileged', () => {
    const spec = pod((_, c) => (c.securityContext.seccompProfile = { type: 'Unconfined' }));
    expect(pssLevel(spec)).toBe('privileged');
    expect(pssViolations(spec, 'baseline')).toEqual([
      'spec.containers[0].securityContext.seccompProfile.type: "Unconfined" is not allowed (baseline)',
    ]);
  });

  test('a privileged container is privileged', () => {
    const spec = pod((_, c) => (c.securityContext.privileged = true));
    expect(pssLevel(spec)).toBe('privileged');
    expect(pssViolations(spec, 'baseline')).toEqual([
      'spec.containers[0].securityContext.privileged: true is not allowed (baseline)',
    ]);
  });

  test.each(['hostNetwork', 'hostPID', 'hostIPC'])('%s makes a pod privileged', (field) => {
    const spec = pod((s) => (s[field] = true));
    expect(pssLevel(spec)).toBe('privileged');
    expect(pssViolations(spec, 'baseline')).toEqual([`spec.${field}: true is not allowed (baseline)`]);
  });

  test('adding SYS_ADMIN makes a pod privileged', () => {
    const spec = pod((_, c) => (c.securityContext.capabilities.add = ['SYS_ADMIN']));
    expect(pssLevel(spec)).toBe('privileged');
    expect(pssViolations(spec, 'baseline')).toEqual([
      'spec.containers[0].securityContext.capabilities.add: "SYS_ADMIN" is not allowed (baseline)',
    ]);
  });

  test('adding NET_BIND_SERVICE is allowed in restricted', () => {
    expect(pssLevel(pod((_, c) => (c.securityContext.capabilities.add = ['NET_BIND_SERVICE'])))).toBe('restricted');
  });

  test('adding CHOWN is baseline, not restricted', () => {
    const spec = pod((_, c) => (c.securityContext.capabilities.add = ['CHOWN']));
    expect(pssLevel(spec)).toBe('baseline');
    expect(pssViolations(spec, 'restricted')).toEqual([
      'spec.containers[0].securityContext.capabilities.add: "CHOWN" is not allowed (restricted)',
    ]);
  });

  test('a non-zero hostPort is privileged and hostPort 0 is allowed', () => {
    expect(pssLevel(pod((_, c) => (c.ports = [{ containerPort: 80, hostPort: 0 }])))).toBe('restricted');
    const spec = pod((_, c) => (c.ports = [{ containerPort: 80, hostPort: 8080 }]));
    expect(pssViolations(spec, 'baseline')).toEqual([
      'spec.containers[0].ports[0].hostPort: 8080 is not allowed (baseline)',
    ]);
  });

  test.each([
    ['an Unconfined AppArmor profile', 'appArmorProfile', { type: 'Unconfined' }, 'appArmorProfile.type'],
    ['an SELinux type outside the container types', 'seLinuxOptions', { type: 'spc_t' }, 'seLinuxOptions.type'],
    ['an SELinux user', 'seLinuxOptions', { user: 'system_u' }, 'seLinuxOptions.user'],
    ['an SELinux role', 'seLinuxOptions', { role: 'system_r' }, 'seLinuxOptions.role'],
    ['a Windows HostProcess container', 'windowsOptions', { hostProcess: true }, 'windowsOptions.hostProcess'],
  ])('%s on the pod or a container is privileged', (_, field, value, path) => {
    const onPod = pod((s) => (s.securityContext[field] = value));
    expect(pssViolations(onPod, 'baseline')).toEqual([expect.stringMatching(`^spec\\.securityContext\\.${path}: `)]);
    const onContainer = pod((_s, c) => (c.securityContext[field] = value));
    expect(pssViolations(onContainer, 'baseline')).toEqual([
      expect.stringMatching(`^spec\\.containers\\[0\\]\\.securityContext\\.${path}: `),
    ]);
  });

  test('RuntimeDefault AppArmor and container_t SELinux types are restricted', () => {
    const spec = pod((s) => {
      s.securityContext.appArmorProfile = { type: 'RuntimeDefault' };
      s.securityContext.seLinuxOptions = { type: 'container_t', level: 's0:c1,c2' };
    });
    expect(pssLevel(spec)).toBe('restricted');
  });

  test('an unconfined legacy AppArmor annotation is privileged', () => {
    const annotations = { 'container.apparmor.security.beta.kubernetes.io/app': 'unconfined' };
    expect(pssLevel(pod(), annotations)).toBe('privileged');
    expect(pssViolations(pod(), 'baseline', annotations)).toEqual([
      'metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]: "unconfined" is not allowed (baseline)',
    ]);
    expect(pssLevel(pod(), { 'container.apparmor.security.beta.kubernetes.io/app': 'localhost/app' })).toBe(
      'restricted',
    );
  });

  test('an Unmasked procMount is privileged', () => {
    const spec = pod((_, c) => (c.securityContext.procMount = 'Unmasked'));
    expect(pssViolations(spec, 'baseline')).toEqual([
      'spec.containers[0].securityContext.procMount: "Unmasked" is not allowed (baseline)',
    ]);
  });

  test('only safe sysctls are allowed', () => {
    const safe = pod(
      (s) => (s.securityContext.sysctls = [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }]),
    );
    expect(pssLevel(safe)).toBe('restricted');
    const unsafe = pod((s) => (s.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '65536' }]));
    expect(pssViolations(unsafe, 'baseline')).toEqual([
      'spec.securityContext.sysctls[0].name: "kernel.msgmax" is not allowed (baseline)',
    ]);
  });

  test('a probe that targets another host is privileged', () => {
    const spec = pod((_, c) => (c.readinessProbe = { httpGet: { host: '10.0.0.1', port: 80 } }));
    expect(pssViolations(spec, 'baseline')).toEqual([
      'spec.containers[0].readinessProbe.httpGet.host: "10.0.0.1" must be unset (baseline)',
    ]);
  });

  test('init and ephemeral containers are checked like containers', () => {
    const spec = pod((s) => {
      s.initContainers = [{ name: 'init', securityContext: { privileged: true } }];
      s.ephemeralContainers = [{ name: 'debug', securityContext: { allowPrivilegeEscalation: false } }];
    });
    expect(pssViolations(spec, 'restricted')).toEqual([
      'spec.initContainers[0].securityContext.privileged: true is not allowed (baseline)',
      'spec.initContainers[0].securityContext.allowPrivilegeEscalation: must be false, is unset (restricted)',
      'spec.initContainers[0].securityContext.capabilities.drop: must include "ALL" (restricted)',
      'spec.ephemeralContainers[0].securityContext.capabilities.drop: must include "ALL" (restricted)',
    ]);
  });

  test('baseline violations leave out restricted-only rules', () => {
    expect(
      pssViolations(
        pod((s) => (s.securityContext = {})),
        'baseline',
      ),
    ).toEqual([]);
  });
});

describe('namespaceLevelFor', () => {
  test('a namespace gets the level of its least restricted pod', () => {
    const baseline = pod((s) => delete s.securityContext.seccompProfile);
    expect(namespaceLevelFor([pod(), baseline])).toBe('baseline');
    expect(namespaceLevelFor([pod(), pod()])).toBe('restricted');
    expect(namespaceLevelFor([pod((s) => (s.hostPID = true)), baseline])).toBe('privileged');
  });

  test('a namespace without pods is restricted', () => {
    expect(namespaceLevelFor([])).toBe('restricted');
  });
});

describe('podSpecOf', () => {
  const spec = pod();

  test.each(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'])('a %s runs its template spec', (kind) => {
    expect(podSpecOf({ kind, metadata: { name: 'x' }, spec: { template: { spec } } })).toBe(spec);
  });

  test('a CronJob runs its job template spec', () => {
    const cronJob = {
      kind: 'CronJob',
      metadata: { name: 'x' },
      spec: { jobTemplate: { spec: { template: { spec } } } },
    };
    expect(podSpecOf(cronJob)).toBe(spec);
  });

  test('a Pod is its own template', () => {
    expect(podSpecOf({ kind: 'Pod', metadata: { name: 'x' }, spec })).toBe(spec);
  });

  test('a Service runs no pods', () => {
    expect(podSpecOf({ kind: 'Service', metadata: { name: 'x' }, spec: { selector: {} } })).toBeUndefined();
  });
});
