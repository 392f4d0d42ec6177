/**
 * Kubernetes Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/),
 * checked on plain pod specs as synthesized.
 */
import type { Container, Handler, Labels, PodSpec, PodTemplate, SecurityContext } from './kube-json';

/** Namespace label holding the Pod Security Standards level the API server enforces. */
export const PSS_ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';

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
const APPARMOR_ANNOTATION = 'container.apparmor.security.beta.kubernetes.io/';

/** Any object as rendered; only its kind says whether and where it has a pod template. */
export interface AnyObject {
  readonly kind: string;
  readonly metadata?: unknown;
  readonly spec?: unknown;
}

/** An object that runs pods. */
export interface PodOwner extends AnyObject {
  readonly kind: 'Pod' | 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'ReplicaSet' | 'Job' | 'CronJob';
}

/**
 * The pod template (`{metadata, spec}`) of a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob;
 * undefined for other kinds. A Pod is its own template.
 */
export function podTemplateOf(object: PodOwner): PodTemplate;
export function podTemplateOf(object: AnyObject): PodTemplate | undefined;
export function podTemplateOf(object: AnyObject): PodTemplate | undefined {
  const spec = object.spec as
    { template?: PodTemplate; jobTemplate?: { spec?: { template?: PodTemplate } } } | undefined;
  switch (object.kind) {
    case 'Pod':
      return object as PodTemplate;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return spec?.template;
    case 'CronJob':
      return spec?.jobTemplate?.spec?.template;
    default:
      return undefined;
  }
}

/** The pod spec of a workload (see {@link podTemplateOf}); undefined for kinds that run no pods. */
export function podSpecOf(object: PodOwner): PodSpec;
export function podSpecOf(object: AnyObject): PodSpec | undefined;
export function podSpecOf(object: AnyObject): PodSpec | undefined {
  return podTemplateOf(object)?.spec;
}

/**
 * Violations of a level by a pod spec, each as `<field path>: <problem> (<level>)`; restricted includes baseline.
 * `podAnnotations` (the pod template's metadata.annotations) are checked for the legacy AppArmor annotation.
 */
export function pssViolations(
  podSpec: PodSpec,
  level: 'baseline' | 'restricted',
  podAnnotations: Labels = {},
): string[] {
  const baseline = baselineViolations(podSpec, podAnnotations).map((v) => `${v} (baseline)`);
  if (level === 'baseline') return baseline;
  return [...baseline, ...restrictedViolations(podSpec).map((v) => `${v} (restricted)`)];
}

/** The most restrictive level a pod spec meets. */
export function pssLevel(podSpec: PodSpec, podAnnotations: Labels = {}): PssLevel {
  if (pssViolations(podSpec, 'restricted', podAnnotations).length === 0) return 'restricted';
  if (pssViolations(podSpec, 'baseline', podAnnotations).length === 0) return 'baseline';
  return 'privileged';
}

/** The most restrictive level every pod spec meets: what a namespace holding them can enforce. */
export function namespaceLevelFor(podSpecs: readonly PodSpec[]): PssLevel {
  const indexes = podSpecs.map((spec) => LEVELS.indexOf(pssLevel(spec)));
  return LEVELS[Math.min(LEVELS.length - 1, ...indexes)]!;
}

interface Located<T> {
  /** Field path of the object, from the pod: `spec.containers[0]`. */
  readonly path: string;
  readonly value: T;
}

/** Every container, init container and ephemeral container with its path. */
function containersOf(spec: PodSpec): Located<Container>[] {
  return (['containers', 'initContainers', 'ephemeralContainers'] as const).flatMap((list) =>
    (spec[list] ?? []).map((value, i) => ({ path: `spec.${list}[${i}]`, value })),
  );
}

/** The pod's and every container's securityContext (possibly empty) with its path. */
function securityContextsOf(spec: PodSpec): Located<SecurityContext>[] {
  return [{ path: 'spec', value: spec as { securityContext?: SecurityContext } }, ...containersOf(spec)].map(
    ({ path, value }) => ({ path: `${path}.securityContext`, value: value.securityContext ?? {} }),
  );
}

/** The probe and lifecycle handlers of a container, by field path. */
function handlersOf(container: Container): [string, Handler | undefined][] {
  return [
    ['livenessProbe', container.livenessProbe],
    ['readinessProbe', container.readinessProbe],
    ['startupProbe', container.startupProbe],
    ['lifecycle.postStart', container.lifecycle?.postStart],
    ['lifecycle.preStop', container.lifecycle?.preStop],
  ];
}

function show(value: unknown): string {
  return value === undefined ? 'unset' : JSON.stringify(value);
}

function baselineViolations(spec: PodSpec, annotations: Labels): string[] {
  const out: string[] = [];
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[field]) out.push(`spec.${field}: ${show(spec[field])} is not allowed`);
  }
  (spec.volumes ?? []).forEach((volume, i) => {
    if (volume.hostPath) out.push(`spec.volumes[${i}].hostPath: hostPath volumes are not allowed`);
  });
  (spec.securityContext?.sysctls ?? []).forEach((sysctl, i) => {
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
    for (const field of ['user', 'role'] as const) {
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
    (container.ports ?? []).forEach((port, i) => {
      if (port.hostPort) out.push(`${path}.ports[${i}].hostPort: ${show(port.hostPort)} is not allowed`);
    });
    for (const [handler, value] of handlersOf(container)) {
      for (const action of ['httpGet', 'tcpSocket'] as const) {
        const host = value?.[action]?.host;
        if (host) out.push(`${path}.${handler}.${action}.host: ${show(host)} must be unset`);
      }
    }
  }
  return out;
}

function restrictedViolations(spec: PodSpec): string[] {
  const out: string[] = [];
  const pod = spec.securityContext ?? {};
  (spec.volumes ?? []).forEach((volume, i) => {
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
    if (seccomp === undefined || !PROFILE_TYPES.includes(seccomp)) {
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
