import type { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { ValkeyConfig } from '../config';
import { NAMES, PORTS } from '../constants';
import { type Endpoint, type RedisConnection, execProbe, secretEnv } from './pod';
import { type ComponentIdentity, componentService } from './workload';

/**
 * Service `valkey` on 6379 in front of the bundled queue's pods, whichever server runs there, and
 * the `REDIS_*` variables that reach it: switching servers leaves Immich's settings as they are.
 */
export function bundledQueue(
  scope: Construct,
  identity: ComponentIdentity,
): { readonly endpoint: Endpoint; readonly connection: RedisConnection } {
  componentService(scope, 'service', { ...identity, name: NAMES.valkey }, { name: 'redis', port: PORTS.valkey });
  const endpoint = { host: NAMES.valkey, port: PORTS.valkey, pods: identity.selector };
  return {
    endpoint,
    connection: {
      endpoint,
      env: [
        { name: 'REDIS_HOSTNAME', value: endpoint.host },
        { name: 'REDIS_PORT', value: String(endpoint.port) },
      ],
    },
  };
}

/**
 * What the container of either queue server shares: its `redis` port, and the same start-up,
 * readiness and liveness probes around the server's own `ping` command.
 */
export function queueContainerParts(
  ping: string[],
): Pick<k8s.Container, 'ports' | 'startupProbe' | 'readinessProbe' | 'livenessProbe'> {
  return {
    ports: [{ name: 'redis', containerPort: PORTS.valkey }],
    startupProbe: execProbe(ping, { periodSeconds: 5, failureThreshold: 30 }),
    readinessProbe: execProbe(ping, { periodSeconds: 10, failureThreshold: 3 }),
    livenessProbe: execProbe(ping, { periodSeconds: 10, failureThreshold: 5 }),
  };
}

/** Secret of an external Redis: its password, and with sentinels the whole `REDIS_URL` holding it. */
export const REDIS_SECRET = { name: 'immich-redis', passwordKey: 'password', urlKey: 'url' } as const;

/** The ioredis options of a Sentinel set, without the password. */
export function sentinelOptions(external: ValkeyConfig['external']): Record<string, unknown> {
  return {
    sentinels: (external.sentinels ?? []).map(({ host, port }) => ({ host, port })),
    name: external.name,
    ...(external.dbIndex !== 0 ? { db: external.dbIndex } : {}),
  };
}

/** `REDIS_URL` as Immich reads it: `ioredis://` and the base64 of the ioredis options as JSON. */
export function redisUrl(options: Record<string, unknown>, password?: string): string {
  const json = JSON.stringify(password === undefined ? options : { ...options, password });
  return `ioredis://${Buffer.from(json).toString('base64')}`;
}

/**
 * The same URL as a Go template (External Secrets and Sealed Secrets), reading the password from
 * the given key: `toJson` quotes and escapes it, `b64enc` encodes the finished JSON.
 */
export function redisUrlTemplate(options: Record<string, unknown>, passwordKey: string): string {
  const head = JSON.stringify(options).slice(0, -1);
  const open = head.length > 1 ? `${head},"password":` : '{"password":';
  // Raw strings (backquotes) keep the JSON's quotes as they are; validated hosts hold no backquote.
  return `ioredis://{{ print \`${open}\` (index . ${JSON.stringify(passwordKey)} | toJson) \`}\` | b64enc }}`;
}

/**
 * The `REDIS_*` variables for an external Redis: host, port and database index, or a Sentinel set
 * as `REDIS_URL`. A password comes from Secret `immich-redis`; with sentinels the whole URL does,
 * since it carries the password.
 * @see https://immich.app/docs/install/environment-variables#redis
 */
export function externalRedis(external: ValkeyConfig['external']): RedisConnection {
  const env: k8s.EnvVar[] = external.sentinels
    ? [
        external.password
          ? secretEnv('REDIS_URL', REDIS_SECRET.name, REDIS_SECRET.urlKey)
          : { name: 'REDIS_URL', value: redisUrl(sentinelOptions(external)) },
      ]
    : [
        { name: 'REDIS_HOSTNAME', value: external.host ?? '' },
        { name: 'REDIS_PORT', value: String(external.port) },
        { name: 'REDIS_DBINDEX', value: String(external.dbIndex) },
      ];
  const files =
    !external.sentinels && external.password
      ? [{ variable: 'REDIS_PASSWORD', secretName: REDIS_SECRET.name, key: REDIS_SECRET.passwordKey }]
      : [];
  // Immich reads no REDIS_URL_FILE: a URL carrying the password stays a variable from the Secret.
  return { env, files };
}

/** Ports the server dials: the configured one, or the sentinels' and the default port of the masters they name. */
export function externalRedisPorts(external: ValkeyConfig['external']): number[] {
  if (!external.sentinels) return [external.port];
  return [...new Set([...external.sentinels.map((s) => s.port), 6379])];
}
