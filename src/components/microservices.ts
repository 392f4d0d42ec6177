import { Construct } from 'constructs';
import type { Resources } from '../config';
import { HEALTH_PATHS, NAMES, PORTS } from '../constants';
import { httpProbe } from '../lib/pod';
import { SYNC_WAVES } from '../lib/argocd';
import { type Scaling, componentDeployment, componentIdentity, componentService } from '../lib/workload';
import {
  type ImmichProcessProps,
  METRICS_PORTS,
  type TranscodingDevice,
  immichPod,
  immichStartupProbe,
} from './immich-server';

export interface MicroservicesProps extends ImmichProcessProps {
  readonly resources: Resources;
  /** @default one pod, stopped before a new one starts */
  readonly scaling?: Scaling;
  /** The transcoding GPU: the workers run the video jobs. @default none */
  readonly transcoding?: TranscodingDevice;
}

/**
 * Immich's background workers (`IMMICH_WORKERS_EXCLUDE=api`): thumbnails, metadata, machine
 * learning jobs, transcoding. Same image, database, queue, config file and volumes as the server,
 * which then serves only the API; the queue and Postgres locks coordinate them. It serves no user
 * traffic, so it has no Service.
 * @see https://immich.app/docs/administration/jobs-workers
 */
export class Microservices extends Construct {
  /** The worker pods, for NetworkPolicies. */
  readonly pods: Record<string, string>;

  constructor(scope: Construct, id: string, props: MicroservicesProps) {
    super(scope, id);
    const identity = componentIdentity(NAMES.microservices, 'microservices', props.instance, SYNC_WAVES.server);
    componentDeployment(
      this,
      identity,
      immichPod(props, {
        name: 'microservices',
        resources: props.resources,
        transcoding: props.transcoding,
        env: [
          { name: 'IMMICH_WORKERS_EXCLUDE', value: 'api' },
          // The worker opens no port of its own (the image's health check skips it); with a metric
          // group on, its metrics endpoint answers from the worker's own event loop, for the probes.
          { name: 'IMMICH_TELEMETRY_INCLUDE', value: props.metrics ? 'all' : 'host' },
        ],
        ports: [{ name: METRICS_PORTS.microservices.name, containerPort: METRICS_PORTS.microservices.port }],
        probes: {
          // The same start-up budget as the server: the workers run the migrations check too.
          startupProbe: immichStartupProbe(HEALTH_PATHS.metrics, PORTS.microservicesMetrics, props.startingPods),
          // A new worker counts as available in a rollout only once its event loop answers.
          readinessProbe: httpProbe(HEALTH_PATHS.metrics, PORTS.microservicesMetrics, {
            periodSeconds: 10,
            failureThreshold: 3,
          }),
          livenessProbe: httpProbe(HEALTH_PATHS.metrics, PORTS.microservicesMetrics, {
            periodSeconds: 10,
            failureThreshold: 5,
          }),
        },
      }),
      props.scaling,
    );
    this.pods = identity.selector;
    // Only for scraping: the worker serves no user traffic.
    if (props.metrics) componentService(this, 'service', identity, METRICS_PORTS.microservices);
  }
}
