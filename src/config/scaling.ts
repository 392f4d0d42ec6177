/** Sections for running more than one pod: server workers and replicas, scheduling, an external Redis. */
import * as v from 'valibot';
import { DATA_TIERS, type DataTier, DRAGONFLY, NAMES } from '../constants';
import { quantityValue } from '../lib/quantity';
import {
  type DeepPartial,
  bool,
  count,
  dnsName,
  dnsSubdomain,
  egressTarget,
  oneOf,
  port,
  section,
  strict,
  text,
} from './primitives';

/** How the server's work is split into processes; see `server.workers`. */
export const SERVER_WORKERS = ['combined', 'split'] as const;

export const serverSection = section({
  /**
   * `combined`: one process serves the API and runs background jobs. `split`: `immich-server` runs
   * only the API, `immich-microservices` the background workers. @default "combined"
   */
  workers: v.optional(oneOf(SERVER_WORKERS), 'combined'),
  /** Pods serving the API (with `combined`, also the jobs). @default 1 */
  replicas: v.optional(count(1), 1),
  /** Pods of `immich-microservices`, with `workers: split`. @default 1 */
  microservicesReplicas: v.optional(count(1), 1),
});

const host = v.union(
  [dnsName('redis.example.com'), dnsSubdomain('redis'), text(/^[0-9a-fA-F.:]+$/, '')],
  'must be a host name or IP address like "redis.example.com"',
);
const sentinel = strict({
  /** Host name or address of a sentinel. */
  host,
  /** Its port, usually 26379. */
  port,
});

/** Servers the bundled queue can run; see `valkey.engine`. */
export const QUEUE_ENGINES = ['valkey', 'dragonfly'] as const;

export const valkeySection = section({
  /** `bundled`: a queue in the namespace, Service `valkey`; `external`: a Redis or Sentinel set you run. @default "bundled" */
  mode: v.optional(oneOf(['bundled', 'external'] as const), 'bundled'),
  /**
   * Server of the bundled queue: `valkey` (Deployment `valkey`, PVC `valkey-data`) or `dragonfly`
   * (Deployment `dragonfly`, PVC `dragonfly-data`); Immich reaches either at `valkey:6379`.
   * @default "valkey"
   */
  engine: v.optional(oneOf(QUEUE_ENGINES), 'valkey'),
  /** Used with `mode: external`: either `host` or `sentinels`. */
  external: section({
    /** A single Redis server. */
    host: v.optional(host),
    /** Port of `host`. @default 6379 */
    port: v.optional(port, 6379),
    /** `REDIS_DBINDEX`. @default 0 */
    dbIndex: v.optional(v.pipe(count(0), v.maxValue(15, 'must be at most 15')), 0),
    /** A Sentinel set, instead of `host`. */
    sentinels: v.optional(
      v.pipe(v.array(sentinel, 'must be a list'), v.minLength(1, 'must name at least one sentinel')),
    ),
    /** Name of the Sentinel-monitored master. @default "mymaster" */
    name: v.optional(text(/^[A-Za-z0-9._-]+$/, 'must be a master name like "mymaster"'), 'mymaster'),
    /** The Redis servers need a password, from Secret `immich-redis` (key `password`). @default false */
    password: v.optional(bool(), false),
  }),
});

export const schedulingSection = section({
  /** What a pod spread over host names does when it cannot be: `ScheduleAnyway` or stay Pending. @default "ScheduleAnyway" */
  topologySpread: v.optional(oneOf(['ScheduleAnyway', 'DoNotSchedule'] as const), 'ScheduleAnyway'),
  /** PriorityClass per component. @default none */
  priorityClassNames: section({
    /** PriorityClass of `immich-server`. @default none */
    server: v.optional(dnsSubdomain('high-priority')),
    /** PriorityClass of `immich-microservices`. @default none */
    microservices: v.optional(dnsSubdomain('high-priority')),
    /** PriorityClass of `immich-machine-learning`. @default none */
    machineLearning: v.optional(dnsSubdomain('high-priority')),
    /** PriorityClass of the bundled queue. @default none */
    valkey: v.optional(dnsSubdomain('high-priority')),
    /** PriorityClass of the bundled postgres. @default none */
    postgres: v.optional(dnsSubdomain('high-priority')),
  }),
});

/** Where the server may reach an external Redis: the ports default to those configured, plus 6379 behind sentinels. */
export const externalRedisPolicy = section({
  /** Address blocks of the Redis servers and sentinels. @default ["0.0.0.0/0", "::/0"] */
  cidrs: egressTarget('the Redis servers', [6379]).wrapped.entries.cidrs,
  /** Their ports. @default the configured port, or the sentinels' ports and 6379 */
  ports: v.optional(v.pipe(v.array(port, 'must be a list'), v.minLength(1, 'must name at least one port'))),
});

export type ServerConfig = v.InferOutput<typeof serverSection>;
export type ValkeyConfig = v.InferOutput<typeof valkeySection>;
export type SchedulingConfig = v.InferOutput<typeof schedulingSection>;

/** Access modes as given, possibly incomplete. */
interface Modes {
  readonly accessModes?: readonly (string | undefined)[];
}

/** The volumes every Immich pod mounts: `data`, and the folders below it on volumes of their own. */
interface DataVolumes {
  readonly data?: Modes & { readonly existingClaim?: string };
  readonly thumbs?: Modes;
  readonly encodedVideo?: Modes;
}

interface ScalingInput {
  readonly server?: DeepPartial<ServerConfig>;
  readonly valkey?: DeepPartial<ValkeyConfig>;
  readonly immich?: { readonly externalPlugins?: boolean };
  readonly storage?: DataVolumes & { readonly mlCache?: Modes; readonly plugins?: Modes };
  readonly machineLearning?: { readonly replicas?: number; readonly cache?: string };
  readonly resources?: { readonly valkey?: { readonly limits?: { readonly memory?: string } } };
}

/** The smallest memory limit whose `--maxmemory` share still holds one Dragonfly thread. */
export const DRAGONFLY_MIN_MEMORY_LIMIT = `${Math.ceil(DRAGONFLY.memoryPerThread / DRAGONFLY.maxmemoryShare / 2 ** 20)}Mi`;

const rwx = (volume: Modes | undefined) => (volume?.accessModes ?? []).includes('ReadWriteMany');

/** `storage` keys of the volumes every Immich pod mounts at `/data` and below, with their claims. */
function dataVolumes(storage: DataVolumes | undefined): { key: string; claim: string; volume?: Modes }[] {
  return [
    { key: 'data', claim: storage?.data?.existingClaim ?? NAMES.dataPvc, volume: storage?.data },
    ...(Object.keys(DATA_TIERS) as DataTier[])
      .filter((tier) => storage?.[tier] !== undefined)
      .map((tier) => ({ key: tier, claim: DATA_TIERS[tier].claim, volume: storage?.[tier] })),
  ];
}

/** Whether Immich pods may run side by side: every volume they mount at `/data` and below is ReadWriteMany. */
export function dataVolumesShared(storage: DataVolumes | undefined): boolean {
  return dataVolumes(storage).every(({ volume }) => rwx(volume));
}

/** Pods that mount the upload volume. */
export function dataPods(server: DeepPartial<ServerConfig> | undefined): number {
  const replicas = server?.replicas ?? 1;
  return server?.workers === 'split' ? replicas + (server.microservicesReplicas ?? 1) : replicas;
}

/** Problems of running several pods on shared volumes, and of the external Redis. */
export function scalingProblems(input: ScalingInput): string[] {
  const problems: string[] = [];
  const pods = dataPods(input.server);
  const why =
    input.server?.workers === 'split'
      ? `server.workers "split" runs ${pods} pods (server.replicas plus server.microservicesReplicas)`
      : `server.replicas is ${pods}`;
  for (const { key, claim, volume } of dataVolumes(input.storage)) {
    if (pods <= 1 || rwx(volume)) continue;
    const fix = key === 'data' ? ', or storage.data.existingClaim with such a claim' : '';
    problems.push(
      `storage.${key}.accessModes: ${why} that all mount ${claim}, which then needs ReadWriteMany storage; set storage.${key}.accessModes: [ReadWriteMany] with a StorageClass that provides it${fix}, got ${JSON.stringify(volume?.accessModes ?? ['ReadWriteOnce'])}`,
    );
  }
  if (input.immich?.externalPlugins && pods > 1 && !rwx(input.storage?.plugins)) {
    problems.push(
      `storage.plugins.accessModes: immich.externalPlugins mounts immich-plugins in all ${pods} Immich pods, which then needs ReadWriteMany storage like storage.data; set storage.plugins.accessModes: [ReadWriteMany], got ${JSON.stringify(input.storage?.plugins?.accessModes ?? ['ReadWriteOnce'])}`,
    );
  }
  const ml = input.machineLearning;
  if ((ml?.replicas ?? 1) > 1 && (ml?.cache ?? 'pvc') === 'pvc' && !rwx(input.storage?.mlCache)) {
    problems.push(
      `machineLearning.replicas: ${ml?.replicas} pods cannot share one ReadWriteOnce model cache; set storage.mlCache.accessModes: [ReadWriteMany], or machineLearning.cache: emptyDir (each pod downloads the models at start), got ${ml?.replicas}`,
    );
  }
  const valkey = input.valkey;
  const external = valkey?.external;
  if (valkey?.mode === 'external') {
    if (!external?.host && !external?.sentinels) {
      problems.push(
        'valkey.external: with valkey.mode "external" set host (a Redis server) or sentinels (a Sentinel set), got neither',
      );
    }
    if (external?.host && external.sentinels) {
      problems.push('valkey.external.sentinels: set host or sentinels, not both, got both');
    }
    if (valkey.engine === 'dragonfly') {
      problems.push(
        'valkey.engine: only chooses the bundled queue; for a Dragonfly you run, set valkey.external.host (and a dbIndex of its own) and start it with --default_lua_flags=allow-undeclared-keys, got "dragonfly" with mode "external"',
      );
    }
  } else if (external?.host || external?.sentinels) {
    problems.push(
      `valkey.external: only used with valkey.mode "external", got it with mode "${valkey?.mode ?? 'bundled'}"`,
    );
  }
  const memory = input.resources?.valkey?.limits?.memory;
  if (valkey?.mode !== 'external' && valkey?.engine === 'dragonfly' && memory !== undefined) {
    if (quantityValue(memory) < quantityValue(DRAGONFLY_MIN_MEMORY_LIMIT)) {
      problems.push(
        `resources.valkey.limits.memory: Dragonfly needs 256Mi per thread within --maxmemory, which is ${DRAGONFLY.maxmemoryShare * 100}% of the memory limit, so valkey.engine "dragonfly" needs a limit of at least ${DRAGONFLY_MIN_MEMORY_LIMIT}, got "${memory}"`,
      );
    }
  }
  return problems;
}
