import { pssLevel, pssViolations } from '../src/lib/pss';
import { type KubeObject, configError, findOne, replace, synth } from './support/synth';

const WORKLOADS = [
  ['Deployment', 'immich-server'],
  ['Deployment', 'immich-machine-learning'],
  ['Deployment', 'valkey'],
  ['StatefulSet', 'immich-postgres'],
] as const;
/** Paths each image writes to; everything else is the read-only image. */
const WRITABLE: Record<(typeof WORKLOADS)[number][1], string[]> = {
  'immich-server': ['/data', '/tmp'],
  'immich-machine-learning': ['/cache', '/tmp'],
  valkey: ['/data'],
  'immich-postgres': ['/var/lib/postgresql/data', '/etc/postgresql', '/var/run/postgresql', '/tmp', '/dev/shm'],
};
const PVC_LIBRARY = { library: replace({ source: 'pvc', claimName: 'photos' }) };
const MINIMAL = 'domain: example.com\noauth: { clientId: immich }\n';

const podSpec = (o: KubeObject) => o.spec.template.spec;
const namespaceLabels = (manifests: ReturnType<typeof synth>) =>
  findOne(manifests, 'Namespace', 'immich').metadata.labels ?? {};

describe('Pod Security Standards', () => {
  const manifests = synth(PVC_LIBRARY);

  test.each(WORKLOADS)('%s %s meets restricted', (kind, name) => {
    expect(pssViolations(podSpec(findOne(manifests, kind, name)), 'restricted')).toEqual([]);
  });

  test('machine learning meets restricted with the cpu backend too', () => {
    const cpu = synth({ ...PVC_LIBRARY, machineLearning: { backend: 'cpu' } });
    expect(pssLevel(podSpec(findOne(cpu, 'Deployment', 'immich-machine-learning')))).toBe('restricted');
  });

  test('without an inline library volume the namespace enforces restricted', () => {
    expect(namespaceLabels(manifests)['pod-security.kubernetes.io/enforce']).toBe('restricted');
    expect(namespaceLabels(synth({ library: replace({ source: 'none' }) }))['pod-security.kubernetes.io/enforce']).toBe(
      'restricted',
    );
  });

  test('an NFS library, mounted through its claim, keeps the server and the namespace restricted', () => {
    const nfs = synth();
    expect(pssLevel(podSpec(findOne(nfs, 'Deployment', 'immich-server')))).toBe('restricted');
    expect(namespaceLabels(nfs)['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  test('a hostPath library makes the namespace privileged', () => {
    const hostPath = synth({ library: replace({ source: 'hostPath', path: '/srv/photos' }) });
    expect(pssLevel(podSpec(findOne(hostPath, 'Deployment', 'immich-server')))).toBe('privileged');
    expect(namespaceLabels(hostPath)['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  test('warn and audit stay at restricted, and every level is pinned to v1.28', () => {
    expect(namespaceLabels(synth())).toMatchObject({
      'pod-security.kubernetes.io/enforce-version': 'v1.28',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/warn-version': 'v1.28',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/audit-version': 'v1.28',
    });
  });

  test('podSecurity.enforce may choose a weaker level than the pods meet', () => {
    const labels = namespaceLabels(synth({ ...PVC_LIBRARY, podSecurity: { enforce: 'baseline' } }));
    expect(labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
  });

  test('fails when podSecurity.enforce is stricter than the library allows', () => {
    const hostPath = 'library: { source: hostPath, path: /photos }\n';
    expect(configError(`${MINIMAL}${hostPath}podSecurity: { enforce: baseline }\n`)).toContain(
      'podSecurity.enforce: "baseline" would reject the immich-server pod, whose library.source "hostPath" needs "privileged"; use "privileged", "auto" or another library source, got "baseline"',
    );
  });

  test('fails on an unknown level', () => {
    expect(configError(`${MINIMAL}podSecurity: { enforce: strict }\n`)).toContain(
      'podSecurity.enforce: must be one of "auto", "restricted", "baseline", "privileged", got "strict"',
    );
  });
});

describe.each(WORKLOADS)('%s %s', (kind, name) => {
  const manifests = synth();
  const workload = findOne(manifests, kind, name);
  const spec = podSpec(workload);

  test('runs under its own ServiceAccount, which mounts no API token', () => {
    expect(spec.serviceAccountName).toBe(name);
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(findOne(manifests, 'ServiceAccount', name).automountServiceAccountToken).toBe(false);
  });

  test('runs as a fixed non-root user and group that own its volumes', () => {
    expect(spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const { runAsUser, runAsGroup, fsGroup } = spec.securityContext;
    expect(runAsUser).toBeGreaterThan(0);
    expect([runAsGroup, fsGroup]).toEqual([runAsUser, runAsUser]);
  });

  test('every container drops all capabilities, cannot escalate and has a read-only root', () => {
    for (const container of spec.containers) {
      expect(container.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      });
    }
  });

  test('writes only to the volumes made for it', () => {
    const writable = spec.containers.flatMap((c: any) =>
      c.volumeMounts.filter((m: any) => !m.readOnly).map((m: any) => m.mountPath),
    );
    expect(writable.sort()).toEqual([...WRITABLE[name]].sort());
  });
});
