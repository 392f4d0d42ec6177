import { Construct } from 'constructs';
import type { Resources, VolumeConfig } from '../config';
import { DRAGONFLY, IMAGES, NAMES, PATHS, PORTS } from '../constants';
import { CONTAINER_SECURITY_CONTEXT, type Endpoint, type RedisConnection, resourceRequirements } from '../lib/pod';
import { SYNC_WAVES } from '../lib/argocd';
import { quantityValue } from '../lib/quantity';
import { bundledQueue, queueContainerParts } from '../lib/redis';
import { SINGLE_POD, componentDeployment, componentIdentity, persistentClaim } from '../lib/workload';

export interface DragonflyProps {
  /** Label `app.kubernetes.io/instance`. */
  readonly instance: string;
  /** Volume of the snapshots, which keep queued jobs across restarts. */
  readonly storage: VolumeConfig;
  /** The memory limit sets `--maxmemory`; the CPU limit (else the request) the thread count. */
  readonly resources: Resources;
  /** @default none */
  readonly priorityClassName?: string;
}

/** How Dragonfly sizes itself inside the container's limits. */
export interface DragonflySizing {
  /** `--maxmemory` in bytes: a share of the memory limit, the rest headroom. */
  readonly maxmemory: number;
  /** `--proactor_threads`: one per CPU, as far as `maxmemory` holds 256 MiB for each. */
  readonly threads: number;
}

/**
 * `--maxmemory` and `--proactor_threads` from the container's resources. Left to itself,
 * Dragonfly counts the node's cores when no CPU limit is set, and exits at start when
 * `--maxmemory` holds less than 256 MiB per thread.
 */
export function dragonflySizing(resources: Resources): DragonflySizing {
  const maxmemory = Math.floor(quantityValue(resources.limits.memory) * DRAGONFLY.maxmemoryShare);
  const cpus = Math.ceil(quantityValue(resources.limits.cpu ?? resources.requests.cpu));
  const threads = Math.max(1, Math.min(cpus, Math.floor(maxmemory / DRAGONFLY.memoryPerThread)));
  return { maxmemory, threads };
}

/**
 * Dragonfly in place of Valkey as Immich's job queue: one replica, snapshots on PVC
 * `dragonfly-data`, reached through the same Service `valkey` on 6379. BullMQ's Lua scripts touch
 * keys they do not declare, which Dragonfly allows only with `allow-undeclared-keys` (Immich's
 * queue names carry no `{hashtags}`).
 * @see https://www.dragonflydb.io/docs/integrations/bullmq
 * @see https://www.dragonflydb.io/docs/managing-dragonfly/backups
 */
export class Dragonfly extends Construct {
  /** Where the server reaches the queue. */
  readonly endpoint: Endpoint;
  /** `REDIS_HOSTNAME` and `REDIS_PORT` of the Service. */
  readonly connection: RedisConnection;
  /** Name of the Deployment. */
  readonly workload = NAMES.dragonfly;

  constructor(scope: Construct, id: string, props: DragonflyProps) {
    super(scope, id);
    const identity = componentIdentity(NAMES.dragonfly, 'queue', props.instance, SYNC_WAVES.backends);

    persistentClaim(this, 'data', identity, NAMES.dragonflyPvc, props.storage);
    const queue = bundledQueue(this, identity);

    const { maxmemory, threads } = dragonflySizing(props.resources);
    // redis-cli comes with the image (its redis-tools package).
    const ping = ['sh', '-c', `redis-cli -p ${PORTS.valkey} ping | grep -q PONG`];
    componentDeployment(
      this,
      identity,
      {
        uid: DRAGONFLY.uid,
        containers: [
          {
            name: 'dragonfly',
            image: IMAGES.dragonfly,
            imagePullPolicy: 'IfNotPresent',
            // Arguments only: the image's entrypoint (tini, which reaps the health checks' children) stays.
            args: [
              'dragonfly',
              '--logtostderr',
              `--port=${PORTS.valkey}`,
              '--default_lua_flags=allow-undeclared-keys',
              `--dir=${PATHS.dragonflyData}`,
              // A fixed name: the default dump-{timestamp} adds a file per snapshot and never prunes one.
              '--dbfilename=dump',
              `--snapshot_cron=${DRAGONFLY.snapshotCron}`,
              `--maxmemory=${maxmemory}`,
              `--proactor_threads=${threads}`,
              // The daily release check could only fail: the NetworkPolicy lets the pod reach DNS alone.
              '--version_check=false',
            ],
            ...queueContainerParts(ping),
            resources: resourceRequirements(props.resources),
            securityContext: CONTAINER_SECURITY_CONTEXT,
            volumeMounts: [{ name: 'data', mountPath: PATHS.dragonflyData }],
          },
        ],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: NAMES.dragonflyPvc } }],
      },
      { ...SINGLE_POD, priorityClassName: props.priorityClassName },
    );

    this.endpoint = queue.endpoint;
    this.connection = queue.connection;
  }
}
