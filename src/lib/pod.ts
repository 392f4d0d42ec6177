import { k8s } from 'cdk8s-plus-28';
import type { Resources } from '../config';

/** A component's Service and the pods behind it, handed to the components that call it. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** Labels selecting the pods that serve it, for NetworkPolicies. */
  readonly pods: Record<string, string>;
}

/** A secret value handed to the container as a file, for images that read `<VARIABLE>_FILE`. */
export interface SecretFile {
  /** The variable the image fills from the file, e.g. `DB_PASSWORD`. */
  readonly variable: string;
  readonly secretName: string;
  readonly key: string;
}

/**
 * Mode of every file that carries a secret: readable by the pod's group (its fsGroup), which the
 * container runs in, and by no one else.
 */
export const SECRET_FILE_MODE = 0o440;

/** Where secret files are mounted. */
const SECRET_FILES_DIR = '/run/secrets/immich';

/**
 * Secret values as files rather than environment variables (which leak into process listings,
 * crash dumps and child processes): one projected, read-only volume, and `<VARIABLE>_FILE` pointing
 * into it. Readable by the pod's group only.
 */
export function secretFiles(files: readonly SecretFile[]): {
  readonly env: k8s.EnvVar[];
  readonly volume?: k8s.Volume;
  readonly mount?: k8s.VolumeMount;
} {
  if (files.length === 0) return { env: [] };
  const name = 'secret-files';
  return {
    env: files.map((f) => ({ name: `${f.variable}_FILE`, value: `${SECRET_FILES_DIR}/${f.variable}` })),
    volume: {
      name,
      projected: {
        defaultMode: SECRET_FILE_MODE,
        sources: files.map((f) => ({ secret: { name: f.secretName, items: [{ key: f.key, path: f.variable }] } })),
      },
    },
    mount: { name, mountPath: SECRET_FILES_DIR, readOnly: true },
  };
}

/** How the server reaches its database: the endpoint, the `DB_*` variables and secret files. */
export interface DatabaseConnection {
  readonly endpoint: Endpoint;
  /**
   * Services that must accept connections before Immich starts, in order: the database itself
   * first, then anything in front of it. @default the endpoint alone
   */
  readonly waitFor?: readonly Endpoint[];
  readonly env: k8s.EnvVar[];
  /** Read through `<VARIABLE>_FILE`. @default none */
  readonly files?: readonly SecretFile[];
}

/** How Immich reaches its Redis-protocol queue: the `REDIS_*` variables, and the pods when they run here. */
export interface RedisConnection {
  readonly env: k8s.EnvVar[];
  /** Read through `<VARIABLE>_FILE`. @default none */
  readonly files?: readonly SecretFile[];
  /** The bundled valkey; undefined for an external Redis. */
  readonly endpoint?: Endpoint;
}

/** A Postgres server another one can read from: where it is and how to log in. */
export interface PostgresSource {
  readonly endpoint: Endpoint;
  readonly username: string;
  readonly database: string;
  readonly password: { readonly secretName: string; readonly key: string };
}

/** The TCP port of an http(s) URL. */
export function urlPort(url: string): number {
  const parsed = new URL(url);
  return parsed.port ? Number(parsed.port) : parsed.protocol === 'http:' ? 80 : 443;
}

/** `http://host:port` of an endpoint. */
export function httpUrl(endpoint: Endpoint): string {
  return `http://${endpoint.host}:${endpoint.port}`;
}

/** An environment variable read from a key of a Secret. */
export function secretEnv(name: string, secretName: string, key: string): k8s.EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: secretName, key } } };
}

/** Pod-level security context: a fixed non-root identity owning its volumes. */
export function podSecurityContext(uid: number, gid: number): k8s.PodSecurityContext {
  return {
    runAsUser: uid,
    runAsGroup: gid,
    runAsNonRoot: true,
    fsGroup: gid,
    // Skip the recursive chown of large volumes when ownership is already right.
    fsGroupChangePolicy: 'OnRootMismatch',
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container security context: no privilege escalation, no capabilities, read-only root. */
export const CONTAINER_SECURITY_CONTEXT: k8s.SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

/** Resource requests and limits from the configuration, as real quantities. */
export function resourceRequirements(
  resources: Resources,
  extraLimits: Record<string, k8s.Quantity> = {},
): k8s.ResourceRequirements {
  const limits: Record<string, k8s.Quantity> = { memory: k8s.Quantity.fromString(resources.limits.memory) };
  if (resources.limits.cpu) limits.cpu = k8s.Quantity.fromString(resources.limits.cpu);
  return {
    requests: {
      cpu: k8s.Quantity.fromString(resources.requests.cpu),
      memory: k8s.Quantity.fromString(resources.requests.memory),
    },
    limits: { ...limits, ...extraLimits },
  };
}

/** Timing of a probe. */
export interface ProbeTiming {
  readonly periodSeconds: number;
  readonly failureThreshold: number;
  /** @default 5 */
  readonly timeoutSeconds?: number;
}

/** An HTTP GET probe on a named container port. */
export function httpProbe(path: string, port: number, timing: ProbeTiming): k8s.Probe {
  return { httpGet: { path, port: k8s.IntOrString.fromNumber(port) }, ...withTiming(timing) };
}

/** A probe that runs a command in the container. */
export function execProbe(command: string[], timing: ProbeTiming): k8s.Probe {
  return { exec: { command }, ...withTiming(timing) };
}

function withTiming(timing: ProbeTiming): Omit<k8s.Probe, 'httpGet' | 'exec'> {
  return {
    periodSeconds: timing.periodSeconds,
    failureThreshold: timing.failureThreshold,
    timeoutSeconds: timing.timeoutSeconds ?? 5,
  };
}

/** A claim spec of the given size, class and access modes. */
export function claimSpec(volume: {
  readonly size: string;
  readonly storageClass?: string;
  readonly accessModes: readonly string[];
}): k8s.PersistentVolumeClaimSpec {
  return {
    accessModes: [...volume.accessModes],
    storageClassName: volume.storageClass,
    resources: { requests: { storage: k8s.Quantity.fromString(volume.size) } },
  };
}

/** An in-memory or on-disk scratch volume for a path the image writes to. */
export function scratchVolume(name: string, sizeLimit: string, medium?: 'Memory'): k8s.Volume {
  return { name, emptyDir: { sizeLimit: k8s.Quantity.fromString(sizeLimit), medium } };
}
