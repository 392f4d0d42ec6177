import { Construct } from 'constructs';
import type { Resources, VolumeConfig } from '../config';
import { IMAGES, NAMES, PATHS } from '../constants';
import { CONTAINER_SECURITY_CONTEXT, type Endpoint, type RedisConnection, resourceRequirements } from '../lib/pod';
import { SYNC_WAVES } from '../lib/argocd';
import { bundledQueue, queueContainerParts } from '../lib/redis';
import { SINGLE_POD, componentDeployment, componentIdentity, persistentClaim } from '../lib/workload';

/** uid/gid of the `valkey` user in the Debian-based image. */
const VALKEY_UID = 999;

export interface ValkeyProps {
  /** Label `app.kubernetes.io/instance`. */
  readonly instance: string;
  /** Volume that keeps queued jobs across restarts. */
  readonly storage: VolumeConfig;
  readonly resources: Resources;
  /** @default none */
  readonly priorityClassName?: string;
}

/**
 * Valkey, Immich's Redis-protocol job queue: one replica with its data on a PVC.
 * @see https://immich.app/docs/install/environment-variables#redis
 */
export class Valkey extends Construct {
  /** Where the server reaches the queue. */
  readonly endpoint: Endpoint;
  /** `REDIS_HOSTNAME` and `REDIS_PORT` of the Service. */
  readonly connection: RedisConnection;
  /** Name of the Deployment. */
  readonly workload = NAMES.valkey;

  constructor(scope: Construct, id: string, props: ValkeyProps) {
    super(scope, id);
    const identity = componentIdentity(NAMES.valkey, 'queue', props.instance, SYNC_WAVES.backends);

    persistentClaim(this, 'data', identity, NAMES.valkeyPvc, props.storage);
    const queue = bundledQueue(this, identity);

    const ping = ['sh', '-c', 'valkey-cli ping | grep -q PONG'];
    componentDeployment(
      this,
      identity,
      {
        uid: VALKEY_UID,
        containers: [
          {
            name: 'valkey',
            image: IMAGES.valkey,
            imagePullPolicy: 'IfNotPresent',
            // As the reference deployment: a failed snapshot must not stop the queue.
            command: ['valkey-server', '--stop-writes-on-bgsave-error', 'no'],
            ...queueContainerParts(ping),
            resources: resourceRequirements(props.resources),
            securityContext: CONTAINER_SECURITY_CONTEXT,
            volumeMounts: [{ name: 'data', mountPath: PATHS.valkeyData }],
          },
        ],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: NAMES.valkeyPvc } }],
      },
      { ...SINGLE_POD, priorityClassName: props.priorityClassName },
    );

    this.endpoint = queue.endpoint;
    this.connection = queue.connection;
  }
}
