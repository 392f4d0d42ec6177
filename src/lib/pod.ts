import { k8s } from 'cdk8s-plus-28';
import type { Resources } from '../config';

/** A component's Service and the pods behind it, handed to the components that call it. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** Labels selecting the pods that serve it, for NetworkPolicies. */
  readonly pods: Record<string, string>;
}

/** How the server reaches its database: the endpoint, and the `DB_*` variables Immich reads. */
export interface DatabaseConnection {
  readonly endpoint: Endpoint;
  readonly env: k8s.EnvVar[];
}

/** How Immich reaches its Redis-protocol queue: the `REDIS_*` variables, and the pods when they run here. */
export interface RedisConnection {
  readonly env: k8s.EnvVar[];
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
