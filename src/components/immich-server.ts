import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { Resources, VolumeConfig } from '../config';
import type { ConfigFileSource } from './secrets';
import {
  DATA_TIERS,
  type DataTier,
  HEALTH_PATHS,
  IMAGES,
  IMMICH_CONFIG_KEY,
  IMMICH_ENV,
  NAMES,
  PATHS,
  PORTS,
  SERVER_UID,
} from '../constants';
import {
  CONTAINER_SECURITY_CONTEXT,
  type DatabaseConnection,
  type Endpoint,
  type RedisConnection,
  httpProbe,
  httpUrl,
  resourceRequirements,
  scratchVolume,
  secretFiles,
  SECRET_FILE_MODE,
} from '../lib/pod';
import { SYNC_WAVES } from '../lib/argocd';
import type { GpuPodParts } from '../lib/gpu';
import {
  type PodProps,
  type Scaling,
  componentDeployment,
  componentIdentity,
  componentService,
  persistentClaim,
} from '../lib/workload';

/** What the server and the background workers share: image, connections, config file and volumes. */
export interface ImmichProcessProps {
  /** Label `app.kubernetes.io/instance`. */
  readonly instance: string;
  /** Immich release, e.g. `v3.3.1`. */
  readonly version: string;
  /** Digest of the server image of that release. @default pinned by tag only */
  readonly digest?: string;
  /** `TZ` of the container. */
  readonly timezone: string;
  /** `IMMICH_LOG_LEVEL`. */
  readonly logLevel: string;
  /** `IMMICH_LOG_FORMAT`. @default unset: Immich's `console` */
  readonly logFormat?: 'console' | 'json';
  /**
   * Claim of the external plugins, mounted at `/plugins` (`IMMICH_PLUGINS_INSTALL_FOLDER`) with
   * `IMMICH_ALLOW_EXTERNAL_PLUGINS=true`. @default no external plugins
   */
  readonly pluginsClaim?: string;
  /** The database and the `DB_*` variables that reach it. */
  readonly database: DatabaseConnection;
  /** The queue and the `REDIS_*` variables that reach it. */
  readonly redis: RedisConnection;
  readonly machineLearning: Endpoint;
  /** Secret or ConfigMap holding the system config file under `immich-config.json`. */
  readonly configFile: ConfigFileSource;
  /** Hash of the config file; a change rolls the pod because Immich reads it only at start. */
  readonly configChecksum: string;
  /** Claim of the upload volume mounted at /data. */
  readonly dataClaim: string;
  /** Folders below /data on volumes of their own (`DATA_TIERS`), mounted over it. @default none */
  readonly tiers?: readonly DataTierVolume[];
  /** The pod volume `library`, mounted read-only at the photo library path. @default none */
  readonly library?: k8s.Volume;
  /**
   * Immich pods that may start at once. They run the start-up migrations and vector reindex one
   * after another under one lock, so each startup probe waits for all of them. @default 1
   */
  readonly startingPods?: number;
  /** Scale to zero while a database import or a volume restore runs, so that nothing writes meanwhile. @default false */
  readonly stopped?: boolean;
  /** Export Immich's metrics (`IMMICH_TELEMETRY_INCLUDE=all`) on the metrics ports. @default false */
  readonly metrics?: boolean;
}

/** A folder below /data on a volume of its own: the server makes its claim, every Immich pod mounts it. */
export interface DataTierVolume {
  readonly tier: DataTier;
  readonly storage: Pick<VolumeConfig, 'size' | 'storageClass' | 'accessModes'>;
}

/** Named metrics ports: the API worker's and the background workers'. */
export const METRICS_PORTS = {
  api: { name: 'metrics-api', port: PORTS.apiMetrics },
  microservices: { name: 'metrics-ms', port: PORTS.microservicesMetrics },
} as const;

/** The GPU of the pod that transcodes video, and the variables its driver needs. */
export interface TranscodingDevice {
  readonly gpu: GpuPodParts;
  readonly env: k8s.EnvVar[];
}

export interface ImmichServerProps extends ImmichProcessProps {
  /** Upload volume: `immich-data` is synthesized unless `existingClaim` names another. */
  readonly storage: VolumeConfig & { readonly existingClaim?: string };
  readonly resources: Resources;
  /** `api`: only the API, the background workers run in `immich-microservices`. @default all workers */
  readonly workers?: 'all' | 'api';
  /** @default one pod, stopped before a new one starts */
  readonly scaling?: Scaling;
  /** The transcoding GPU, when this pod runs the video jobs. @default none */
  readonly transcoding?: TranscodingDevice;
  /**
   * `IMMICH_TRUSTED_PROXIES` of the API: the proxies whose `X-Forwarded-For` names the client.
   * @default unset: Immich trusts link-local and private ranges
   */
  readonly trustedProxies?: readonly string[];
  /** Volume of PVC `immich-plugins`, synthesized with `pluginsClaim`. @default none */
  readonly pluginsStorage?: VolumeConfig;
}

/** Startup probe attempts, 10 s apart, that one Immich pod gets for its start-up migrations (15 minutes). */
const STARTUP_ATTEMPTS_PER_POD = 90;

/** The startup probe of an Immich process: each pod that may start at once runs its migrations in turn. */
export function immichStartupProbe(path: string, port: number, startingPods = 1): k8s.Probe {
  return httpProbe(path, port, { periodSeconds: 10, failureThreshold: STARTUP_ATTEMPTS_PER_POD * startingPods });
}

/**
 * Waits until a TCP connection to each host:port (argv: host port [host port ...]) succeeds, in
 * order, trying every 2 s. Through a Service that happens only once a pod behind it is ready:
 * kube-proxy refuses connections to a Service without ready endpoints.
 */
const WAIT_FOR_TCP = `const net = require('node:net');
const targets = process.argv.slice(1);
let tries = 0;
function attempt(i) {
  if (i >= targets.length) process.exit(0);
  const [host, port] = [targets[i], targets[i + 1]];
  const socket = net.connect({ host, port: Number(port), timeout: 3000 });
  socket.once('connect', () => { console.log('reached ' + host + ':' + port); socket.destroy(); tries = 0; attempt(i + 2); });
  let failed = false;
  const retry = () => {
    if (failed) return;
    failed = true;
    socket.destroy();
    if (tries++ % 15 === 0) console.log('waiting for ' + host + ':' + port);
    setTimeout(() => attempt(i), 2000);
  };
  socket.once('timeout', retry);
  socket.once('error', retry);
}
attempt(0);`;

/**
 * The Immich server (API, web UI and, unless split off, background jobs) with its upload volume.
 * @see https://immich.app/docs/install/environment-variables
 */
export class ImmichServer extends Construct {
  /** Where the ingress reaches the server. */
  readonly endpoint: Endpoint;
  /** Argo CD sync wave of the server and its upload volume. */
  readonly wave: number = SYNC_WAVES.server;
  /** Metrics ports of the pod and its Service; none unless metrics are on. */
  readonly metricsPorts: readonly { readonly name: string; readonly port: number }[];

  constructor(scope: Construct, id: string, props: ImmichServerProps) {
    super(scope, id);
    const identity = componentIdentity(NAMES.server, 'server', props.instance, this.wave);

    if (!props.storage.existingClaim) persistentClaim(this, 'data', identity, NAMES.dataPvc, props.storage);
    if (props.pluginsClaim && props.pluginsStorage) {
      persistentClaim(this, 'plugins', identity, props.pluginsClaim, props.pluginsStorage);
    }
    for (const { tier, storage } of props.tiers ?? [])
      persistentClaim(this, tier, identity, DATA_TIERS[tier].claim, storage);
    // Combined, the pod runs the background workers too, which export on their own port.
    this.metricsPorts = props.metrics
      ? [METRICS_PORTS.api, ...(props.workers === 'api' ? [] : [METRICS_PORTS.microservices])]
      : [];
    componentService(this, 'service', identity, { name: 'http', port: PORTS.server }, this.metricsPorts);

    componentDeployment(
      this,
      identity,
      immichPod(props, {
        name: 'server',
        resources: props.resources,
        transcoding: props.transcoding,
        env: [
          ...(props.workers === 'api' ? [{ name: 'IMMICH_WORKERS_INCLUDE', value: 'api' }] : []),
          ...(props.metrics ? [{ name: 'IMMICH_TELEMETRY_INCLUDE', value: 'all' }] : []),
          ...(props.trustedProxies ? [{ name: IMMICH_ENV.trustedProxies, value: props.trustedProxies.join(',') }] : []),
        ],
        ports: [
          { name: 'http', containerPort: PORTS.server },
          ...this.metricsPorts.map((p) => ({ name: p.name, containerPort: p.port })),
        ],
        probes: {
          // Database migrations of a large library run before the API answers.
          startupProbe: immichStartupProbe(HEALTH_PATHS.server, PORTS.server, props.startingPods),
          readinessProbe: httpProbe(HEALTH_PATHS.server, PORTS.server, { periodSeconds: 10, failureThreshold: 3 }),
          livenessProbe: httpProbe(HEALTH_PATHS.server, PORTS.server, { periodSeconds: 10, failureThreshold: 5 }),
        },
      }),
      props.scaling,
    );

    this.endpoint = { host: identity.name, port: PORTS.server, pods: identity.selector };
  }
}

/** What differs between the server's and the workers' container. */
export interface ImmichContainer {
  readonly name: string;
  readonly resources: Resources;
  /** Variables besides the shared ones, e.g. which workers run. */
  readonly env: k8s.EnvVar[];
  readonly ports?: k8s.ContainerPort[];
  readonly probes: Pick<k8s.Container, 'startupProbe' | 'readinessProbe' | 'livenessProbe'>;
  /** A GPU for video transcoding. @default none */
  readonly transcoding?: TranscodingDevice;
}

/** The pod of an Immich server process: the same image, environment and volumes for every worker. */
export function immichPod(props: ImmichProcessProps, container: ImmichContainer): PodProps {
  const library = props.library;
  const plugins = props.pluginsClaim;
  const tiers = (props.tiers ?? []).map(({ tier }) => DATA_TIERS[tier]);
  // The start script reads DB_URL_FILE, DB_PASSWORD_FILE and REDIS_PASSWORD_FILE.
  const files = secretFiles([...(props.database.files ?? []), ...(props.redis.files ?? [])]);
  const image = `${IMAGES.server}:${props.version}${props.digest ? `@${props.digest}` : ''}`;
  return {
    stopped: props.stopped,
    uid: SERVER_UID,
    supplementalGroups: container.transcoding?.gpu.supplementalGroups,
    spec: container.transcoding ? { ...container.transcoding.gpu.podSpec } : undefined,
    // Immich reads its config file only at start: a changed file must roll the pod.
    annotations: { 'checksum/immich-config': props.configChecksum },
    // Immich exits when the database refuses it at start; on a first install that would crash-loop
    // (and back off for minutes) while postgres still binds its volume and runs initdb.
    initContainers: [waitForDatabase(image, props.database.waitFor ?? [props.database.endpoint])],
    containers: [
      {
        name: container.name,
        image,
        imagePullPolicy: 'IfNotPresent',
        ports: container.ports,
        env: [
          ...props.database.env,
          ...props.redis.env,
          { name: 'IMMICH_MACHINE_LEARNING_URL', value: httpUrl(props.machineLearning) },
          // Without it the server guesses between /data and the pre-v1.136 /usr/src/app/upload.
          { name: IMMICH_ENV.mediaLocation, value: PATHS.serverData },
          { name: IMMICH_ENV.configFile, value: `${PATHS.serverConfigDir}/${IMMICH_CONFIG_KEY}` },
          { name: 'IMMICH_LOG_LEVEL', value: props.logLevel },
          ...(props.logFormat ? [{ name: IMMICH_ENV.logFormat, value: props.logFormat }] : []),
          { name: 'TZ', value: props.timezone },
          ...(plugins
            ? [
                { name: IMMICH_ENV.allowExternalPlugins, value: 'true' },
                { name: IMMICH_ENV.pluginsInstallFolder, value: PATHS.plugins },
              ]
            : []),
          ...container.env,
          ...(container.transcoding?.env ?? []),
          ...files.env,
        ],
        resources: resourceRequirements(container.resources, container.transcoding?.gpu.limits),
        securityContext: CONTAINER_SECURITY_CONTEXT,
        ...container.probes,
        volumeMounts: [
          { name: 'data', mountPath: PATHS.serverData },
          // Over the upload volume, after it: Immich finds these folders where it expects them.
          ...tiers.map((t) => ({ name: t.volume, mountPath: t.mountPath })),
          { name: 'config', mountPath: PATHS.serverConfigDir, readOnly: true },
          { name: 'tmp', mountPath: '/tmp' },
          ...(library ? [{ name: library.name, mountPath: PATHS.photoLibrary, readOnly: true }] : []),
          // Writable, so that plugins can be copied in with kubectl cp; Immich reads them at start.
          ...(plugins ? [{ name: 'plugins', mountPath: PATHS.plugins }] : []),
          ...(files.mount ? [files.mount] : []),
        ],
      },
    ],
    volumes: [
      { name: 'data', persistentVolumeClaim: { claimName: props.dataClaim } },
      ...tiers.map((t) => ({ name: t.volume, persistentVolumeClaim: { claimName: t.claim } })),
      configVolume(props.configFile),
      scratchVolume('tmp', '1Gi'),
      ...(library ? [library] : []),
      ...(plugins ? [{ name: 'plugins', persistentVolumeClaim: { claimName: plugins } }] : []),
      ...(files.volume ? [files.volume] : []),
    ],
  };
}

/** An init container, from the server image itself, that waits until the database accepts connections. */
function waitForDatabase(image: string, services: readonly Endpoint[]): k8s.Container {
  return {
    name: 'wait-for-database',
    image,
    imagePullPolicy: 'IfNotPresent',
    command: ['node', '-e', WAIT_FOR_TCP, ...services.flatMap((s) => [s.host, String(s.port)])],
    resources: {
      requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('64Mi') },
      limits: { memory: k8s.Quantity.fromString('128Mi') },
    },
    securityContext: CONTAINER_SECURITY_CONTEXT,
  };
}

/** The config file volume; only its one key is projected. */
function configVolume(source: ConfigFileSource): k8s.Volume {
  const items = [{ key: IMMICH_CONFIG_KEY, path: IMMICH_CONFIG_KEY }];
  return source.kind === 'Secret'
    ? { name: 'config', secret: { secretName: source.name, items, defaultMode: SECRET_FILE_MODE } }
    : { name: 'config', configMap: { name: source.name, items } };
}
