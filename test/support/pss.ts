/**
 * Kubernetes Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
 * checked on plain pod specs as synthesized.
 */

/** A Pod Security Standards level, from least to most restrictive. */
export type PssLevel = 'privileged' | 'baseline' | 'restricted';

const LEVELS: readonly PssLevel[] = ['privileged', 'baseline', 'restricted'];

const BASELINE_CAPABILITIES = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);

const SELINUX_TYPES = ['container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t'];
const PROFILE_TYPES = ['RuntimeDefault', 'Localhost'];
const RESTRICTED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);
const HOST_HANDLERS = ['livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle.postStart', 'lifecycle.preStop'];
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

/**
 * The pod template (`{metadata, spec}`) of a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob;
 * undefined for other kinds. A Pod is its own template.
 */
export function podTemplateOf(object: any): any {
  switch (object.kind) {
    case 'Pod':
      return object;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return object.spec?.template;
    case 'CronJob':
      return object.spec?.jobTemplate?.spec?.template;
    default:
      return undefined;
  }
}

/** The pod spec of a workload (see {@link podTemplateOf}); undefined for kinds that run no pods. */
export function podSpecOf(object: any): any {
  return podTemplateOf(object)?.spec;
}

/**
 * Violations of a level by a pod spec, each as `<field path>: <problem> (<level>)`; restricted includes baseline.
 * `podAnnotations` (the pod template's metadata.annotations) are checked for the legacy AppArmor annotation.
 */
export function pssViolations(
  podSpec: any,
  level: 'baseline' | 'restricted',
  podAnnotations: Record<string, string> = {},
): string[] {
  const baseline = baselineViolations(podSpec, podAnnotations).map((v) => `${v} (baseline)`);
  if (level === 'baseline') return baseline;
  return [...baseline, ...restrictedViolations(podSpec).map((v) => `${v} (restricted)`)];
}

/** The most restrictive level a pod spec meets. */
export function pssLevel(podSpec: any, podAnnotations: Record<string, string> = {}): PssLevel {
  if (pssViolations(podSpec, 'restricted', podAnnotations).length === 0) return 'restricted';
  if (pssViolations(podSpec, 'baseline', podAnnotations).length === 0) return 'baseline';
  return 'privileged';
}

/** The most restrictive level every pod spec meets: what a namespace holding them can enforce. */
export function namespaceLevelFor(podSpecs: readonly any[]): PssLevel {
  const indexes = podSpecs.map((spec) => LEVELS.indexOf(pssLevel(spec)));
  return LEVELS[Math.min(LEVELS.length - 1, ...indexes)]!;
}

interface Located {
  /** Field path of the object, from the pod: `spec.containers[0]`. */
  readonly path: string;
  readonly value: any;
}

/** Every container, init container and ephemeral container with its path. */
function containersOf(spec: any): Located[] {
  return ['containers', 'initContainers', 'ephemeralContainers'].flatMap((list) =>
    (spec[list] ?? []).map((value: any, i: number) => ({ path: `spec.${list}[${i}]`, value })),
  );
}

/** The pod's and every container's securityContext (possibly empty) with its path. */
function securityContextsOf(spec: any): Located[] {
  return [{ path: 'spec', value: spec }, ...containersOf(spec)].map(({ path, value }) => ({
    path: `${path}.securityContext`,
    value: value.securityContext ?? {},
  }));
}

function show(value: unknown): string {
  return value === undefined ? 'unset' : JSON.stringify(value);
}

function get(object: any, dottedPath: string): any {
  return dottedPath.split('.').reduce((o, key) => o?.[key], object);
}

function baselineViolations(spec: any, annotations: Record<string, string>): string[] {
  const out: string[] = [];
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (spec[field]) out.push(`spec.${field}: ${show(spec[field])} is not allowed`);
  }
  (spec.volumes ?? []).forEach((volume: any, i: number) => {
    if (volume.hostPath) out.push(`spec.volumes[${i}].hostPath: hostPath volumes are not allowed`);
  });
  (spec.securityContext?.sysctls ?? []).forEach((sysctl: any, i: number) => {
    if (!SAFE_SYSCTLS.has(sysctl.name))
      out.push(`spec.securityContext.sysctls[${i}].name: ${show(sysctl.name)} is not allowed`);
  });
  for (const [key, value] of Object.entries(annotations)) {
    if (key.startsWith(APPARMOR_ANNOTATION) && value !== 'runtime/default' && !value.startsWith('localhost/')) {
      out.push(`metadata.annotations[${show(key)}]: ${show(value)} is not allowed`);
    }
  }
  for (const { path, value: sc } of securityContextsOf(spec)) {
    if (sc.windowsOptions?.hostProcess) out.push(`${path}.windowsOptions.hostProcess: true is not allowed`);
    const appArmor = sc.appArmorProfile?.type;
    if (appArmor !== undefined && !PROFILE_TYPES.includes(appArmor)) {
      out.push(`${path}.appArmorProfile.type: ${show(appArmor)} is not allowed`);
    }
    const seLinux = sc.seLinuxOptions ?? {};
    if (seLinux.type && !SELINUX_TYPES.includes(seLinux.type)) {
      out.push(`${path}.seLinuxOptions.type: ${show(seLinux.type)} is not allowed`);
    }
    for (const field of ['user', 'role']) {
      if (seLinux[field]) out.push(`${path}.seLinuxOptions.${field}: ${show(seLinux[field])} must be unset`);
    }
    if (sc.seccompProfile?.type === 'Unconfined') out.push(`${path}.seccompProfile.type: "Unconfined" is not allowed`);
  }
  for (const { path, value: container } of containersOf(spec)) {
    const sc = container.securityContext ?? {};
    if (sc.privileged) out.push(`${path}.securityContext.privileged: true is not allowed`);
    for (const capability of sc.capabilities?.add ?? []) {
      if (!BASELINE_CAPABILITIES.has(capability)) {
        out.push(`${path}.securityContext.capabilities.add: ${show(capability)} is not allowed`);
      }
    }
    if (sc.procMount !== undefined && sc.procMount !== 'Default') {
      out.push(`${path}.securityContext.procMount: ${show(sc.procMount)} is not allowed`);
    }
    (container.ports ?? []).forEach((port: any, i: number) => {
      if (port.hostPort) out.push(`${path}.ports[${i}].hostPort: ${show(port.hostPort)} is not allowed`);
    });
    for (const handler of HOST_HANDLERS) {
      for (const action of ['httpGet', 'tcpSocket']) {
        const host = get(container, `${handler}.${action}.host`);
        if (host) out.push(`${path}.${handler}.${action}.host: ${show(host)} must be unset`);
      }
    }
  }
  return out;
}

function restrictedViolations(spec: any): string[] {
  const out: string[] = [];
  const pod = spec.securityContext ?? {};
  (spec.volumes ?? []).forEach((volume: any, i: number) => {
    for (const type of Object.keys(volume)) {
      if (type !== 'name' && !RESTRICTED_VOLUME_TYPES.has(type)) {
        out.push(`spec.volumes[${i}].${type}: ${type} volumes are not allowed`);
      }
    }
  });
  if (pod.runAsNonRoot === false) out.push('spec.securityContext.runAsNonRoot: false is not allowed');
  if (pod.runAsUser === 0) out.push('spec.securityContext.runAsUser: 0 is not allowed');
  for (const { path: containerPath, value: container } of containersOf(spec)) {
    const sc = container.securityContext ?? {};
    const path = `${containerPath}.securityContext`;
    if (sc.allowPrivilegeEscalation !== false) {
      out.push(`${path}.allowPrivilegeEscalation: must be false, is ${show(sc.allowPrivilegeEscalation)}`);
    }
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) {
      out.push(`${path}.runAsNonRoot: must be true here or on the pod, is ${show(sc.runAsNonRoot)}`);
    }
    if (sc.runAsUser === 0) out.push(`${path}.runAsUser: 0 is not allowed`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (!PROFILE_TYPES.includes(seccomp)) {
      out.push(
        `${path}.seccompProfile.type: must be RuntimeDefault or Localhost here or on the pod, is ${show(seccomp)}`,
      );
    }
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${path}.capabilities.drop: must include "ALL"`);
    for (const capability of sc.capabilities?.add ?? []) {
      if (capability !== 'NET_BIND_SERVICE') out.push(`${path}.capabilities.add: ${show(capability)} is not allowed`);
    }
  }
  return out;
}
