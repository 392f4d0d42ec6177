import { App, Chart, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { ArgoCdApplication } from './components/argocd-application';
import { CloudNativePg } from './components/cloudnative-pg';
import { ImmichHttpRoute } from './components/http-route';
import { ImmichIngress } from './components/ingress';
import { ConnectionPooler, immichDatabaseClients } from './components/connection-pooler';
import { ImmichIngressRoute } from './components/ingress-route';
import { LogicalBackup } from './components/logical-backup';
import { ImmichServer, METRICS_PORTS, type TranscodingDevice } from './components/immich-server';
import { Monitoring } from './components/monitoring';
import { MachineLearning, type MlBackend } from './components/machine-learning';
import { NetworkPolicies } from './components/network-policies';
import { PhotoLibrary } from './components/photo-library';
import { Postgres } from './components/postgres';
import { ImmichSecrets, clientIdFromStore } from './components/secrets';
import { Valkey } from './components/valkey';
import { Dragonfly } from './components/dragonfly';
import { Microservices } from './components/microservices';
import { externalRedis as externalRedisConnection, externalRedisPorts, sentinelOptions } from './lib/redis';
import { VolumeBackup } from './components/volume-backup';
import { type Config, bundledPostgresKept, dataPods, dataVolumesShared, gpuResource } from './config';
import { DATA_TIERS, type DataTier, NAMES, PART_OF, SERVER_UID } from './constants';
import {
  CLIENT_ID_PLACEHOLDER,
  CLIENT_SECRET_PLACEHOLDER,
  checksum,
  renderImmichConfig,
  renderImmichConfigTemplate,
} from './immich-config';
import { SYNC_WAVES, syncPolicy } from './lib/argocd';
import { commonLabels } from './lib/labels';
import { deviceGpu } from './lib/gpu';
import { type Endpoint, httpUrl, urlPort } from './lib/pod';
import { PSS_ENFORCE_LABEL } from './lib/pss';
import { rolloutFor } from './lib/workload';

/** Kubernetes version whose Pod Security Standards the namespace enforces; pinned so upgrades never reject pods. */
const PSS_VERSION = 'v1.28';

export interface ImmichChartProps {
  /** The validated configuration. */
  readonly config: Config;
}

/** The whole Immich stack in one namespace: each component is one construct. */
export class ImmichChart extends Chart {
  /** URL of the machine-learning Service, as written to the Immich config file. */
  readonly machineLearningUrl: string;

  constructor(scope: Construct, id: string, props: ImmichChartProps) {
    const { config } = props;
    const instance = PART_OF;
    // Chart labels reach every object's metadata (not pod templates), so they are applied once here.
    super(scope, id, { namespace: config.namespace, labels: commonLabels(instance), disableResourceNameHashes: true });

    const namespace = new k8s.KubeNamespace(this, 'namespace', {
      metadata: {
        name: config.namespace,
        labels: {
          [PSS_ENFORCE_LABEL]: config.podSecurity.enforce,
          'pod-security.kubernetes.io/enforce-version': PSS_VERSION,
          // Warnings and audit entries name whatever keeps a pod from the strictest level.
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/warn-version': PSS_VERSION,
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/audit-version': PSS_VERSION,
        },
      },
    });
    // The chart stamps its namespace on every object; a Namespace is cluster-scoped and must not carry one.
    namespace.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    // Deleting the namespace would delete every PVC in it.
    syncPolicy(namespace, { wave: SYNC_WAVES.prerequisites, keep: true });

    const { scheduling, storage } = config;
    const spread = scheduling.topologySpread;
    const priority = scheduling.priorityClassNames;
    const ml = config.machineLearning;
    const machineLearning = new MachineLearning(this, 'machine-learning', {
      instance,
      version: config.immich.version,
      digest: config.immich.digests.machineLearning,
      backend: mlBackend(ml.backend),
      gpu: { ...ml.gpu, resource: gpuResource(ml.backend, ml.gpu.resource) },
      preload: ml.preload,
      modelRevision: ml.modelRevision,
      storage: storage.mlCache,
      cache: ml.cache,
      resources: config.resources.machineLearning,
      timezone: config.timezone,
      scaling: {
        replicas: ml.replicas,
        update: rolloutFor(ml.replicas, {
          canCoexist: ml.cache === 'emptyDir' || storage.mlCache.accessModes.includes('ReadWriteMany'),
          holdDevice: ml.backend !== 'cpu',
        }),
        spread,
        priorityClassName: priority.machineLearning,
      },
    });

    this.machineLearningUrl = httpUrl(machineLearning.endpoint);
    // Outside inline mode the real client secret never reaches the output; the placeholder feeds the checksum.
    const immichConfig = renderImmichConfig(config, {
      machineLearningUrl: this.machineLearningUrl,
      oauthClientSecret: config.secretValues?.oauthClientSecret ?? CLIENT_SECRET_PLACEHOLDER,
      ...(clientIdFromStore(config.secrets) ? { oauthClientId: CLIENT_ID_PLACEHOLDER } : {}),
    });
    const { database } = config;
    const cnpgConfig = database.cloudnativePg;
    const onCloudnativePg = database.engine === 'cloudnative-pg';
    const volumes = config.backup.volumes;
    const externalRedis = config.valkey.mode === 'external' ? config.valkey.external : undefined;
    const secrets = new ImmichSecrets(this, 'secrets', {
      secrets: config.secrets,
      oauth: config.oauth.enabled,
      dbPassword: bundledPostgresKept(database),
      backupCredentials:
        onCloudnativePg && cnpgConfig.backup
          ? { name: cnpgConfig.backup.credentialsSecret, keys: cnpgConfig.backup.credentialsKeys }
          : undefined,
      resticRepository: volumes.enabled || volumes.restore.enabled ? volumes.repositorySecret : undefined,
      redisPassword: externalRedis?.password
        ? { sentinelOptions: externalRedis.sentinels ? sentinelOptions(externalRedis) : undefined }
        : undefined,
      values: config.secretValues,
      immichConfig,
      immichConfigTemplate: (keys) => renderImmichConfigTemplate(config, this.machineLearningUrl, keys),
    });

    const postgres = bundledPostgresKept(database)
      ? new Postgres(this, 'postgres', {
          instance,
          database,
          dbSecretName: secrets.dbSecretName,
          storage: config.storage.postgres,
          storageType: database.storageType,
          resources: config.resources.postgres,
          priorityClassName: priority.postgres,
        })
      : undefined;
    const importing = onCloudnativePg && cnpgConfig.importFrom === 'bundled';
    const cloudnativePg = onCloudnativePg
      ? new CloudNativePg(this, 'cloudnative-pg', {
          config: cnpgConfig,
          databaseName: database.name,
          importFrom: importing ? postgres?.source : undefined,
          immichVersion: config.immich.version,
        })
      : undefined;
    const logicalBackup =
      cloudnativePg && cnpgConfig.logicalBackup
        ? new LogicalBackup(this, 'logical-backup', {
            instance,
            config: cnpgConfig.logicalBackup,
            image: cnpgConfig.imageName,
            source: cloudnativePg.readEndpoint,
            database: database.name,
            owner: cnpgConfig.owner,
            appSecret: cloudnativePg.appSecretName,
            timezone: config.timezone,
            wave: SYNC_WAVES.scheduled,
          })
        : undefined;
    const poolerConfig = cnpgConfig.pooler;
    const pooler =
      cloudnativePg && poolerConfig.enabled
        ? new ConnectionPooler(this, 'pooler', {
            clusterName: cloudnativePg.clusterName,
            login: cloudnativePg.source,
            instances: poolerConfig.instances,
            resources: poolerConfig.resources,
            clients: immichDatabaseClients({
              server: config.server.replicas,
              workers: config.server.workers === 'split' ? config.server.microservicesReplicas : undefined,
            }),
            spread,
          })
        : undefined;
    const databaseConnection = pooler?.connection ?? cloudnativePg?.connection ?? postgres?.connection;
    if (!databaseConnection) throw new Error('no database engine was built');

    // The bundled queue: Valkey, or Dragonfly behind the same Service.
    const queueProps = {
      instance,
      storage: storage.valkey,
      resources: config.resources.valkey,
      priorityClassName: priority.valkey,
    };
    const queue = externalRedis
      ? undefined
      : config.valkey.engine === 'dragonfly'
        ? new Dragonfly(this, 'dragonfly', queueProps)
        : new Valkey(this, 'valkey', queueProps);
    const redisConnection = externalRedis ? externalRedisConnection(externalRedis) : queue?.connection;
    if (!redisConnection) throw new Error('no Redis was built');

    const { workers, replicas, microservicesReplicas } = config.server;
    const split = workers === 'split';
    const dataClaim = storage.data.existingClaim ?? NAMES.dataPvc;
    const tiers = (Object.keys(DATA_TIERS) as DataTier[]).flatMap((tier) => {
      const volume = storage[tier];
      return volume ? [{ tier, storage: volume }] : [];
    });
    const pluginsClaim = config.immich.externalPlugins ? NAMES.pluginsPvc : undefined;
    // Several pods on one volume need ReadWriteMany (the configuration check insists); a rollout may
    // surge only when every claim of the Immich pods is ReadWriteMany.
    const canCoexist =
      dataVolumesShared(storage) && (!pluginsClaim || storage.plugins.accessModes.includes('ReadWriteMany'));
    const library = new PhotoLibrary(this, 'library', { library: config.library, namespace: config.namespace });
    const immich = {
      instance,
      version: config.immich.version,
      digest: config.immich.digests.server,
      timezone: config.timezone,
      logLevel: config.immich.logLevel,
      logFormat: config.immich.logFormat,
      pluginsClaim,
      database: databaseConnection,
      redis: redisConnection,
      machineLearning: machineLearning.endpoint,
      configFile: secrets.configFile,
      configChecksum: checksum(immichConfig),
      dataClaim,
      tiers,
      library: library.volume,
      startingPods: dataPods(config.server),
      // Nothing may write to the old database after its dump, nor to the volume being restored.
      stopped: importing || volumes.restore.enabled,
      metrics: config.monitoring.enabled,
    } as const;
    // The pod that runs the video jobs gets the transcoding GPU: the server, or the workers when split.
    const transcoding = transcodingDevice(config.transcoding);
    const serverTranscodes = !split && transcoding !== undefined;
    const server = new ImmichServer(this, 'server', {
      transcoding: serverTranscodes ? transcoding : undefined,
      ...immich,
      storage: storage.data,
      pluginsStorage: storage.plugins,
      trustedProxies: config.immich.trustedProxies,
      resources: config.resources.server,
      workers: split ? 'api' : 'all',
      scaling: {
        replicas,
        update: rolloutFor(replicas, { canCoexist, holdDevice: serverTranscodes }),
        spread,
        priorityClassName: priority.server,
      },
    });
    const microservices = split
      ? new Microservices(this, 'microservices', {
          ...immich,
          resources: config.resources.microservices,
          transcoding,
          scaling: {
            replicas: microservicesReplicas,
            update: rolloutFor(microservicesReplicas, { canCoexist, holdDevice: transcoding !== undefined }),
            spread,
            priorityClassName: priority.microservices,
          },
        })
      : undefined;
    const volumeBackup =
      volumes.enabled || volumes.restore.enabled
        ? new VolumeBackup(this, 'volume-backup', {
            instance,
            config: volumes,
            claimName: dataClaim,
            uid: SERVER_UID,
            wave: server.wave,
            dumps: logicalBackup && {
              claimName: logicalBackup.claimName,
              uid: logicalBackup.uid,
              wave: logicalBackup.wave,
            },
          })
        : undefined;

    const ingress = publicRoute(this, config, server.endpoint);

    if (config.monitoring.enabled) {
      new Monitoring(this, 'monitoring', {
        config: config.monitoring,
        metricsPorts: [METRICS_PORTS.api.name, METRICS_PORTS.microservices.name],
        scope: {
          namespace: config.namespace,
          workloads: [
            NAMES.server,
            ...(microservices ? [NAMES.microservices] : []),
            NAMES.machineLearning,
            ...(queue ? [queue.workload] : []),
          ],
          ingressService: ingress.metricsService,
          cloudnativePg: cloudnativePg && { name: NAMES.cloudnativePg, backups: Boolean(cnpgConfig.backup) },
          logicalBackup: logicalBackup && { cronJob: logicalBackup.cronJobName },
        },
        pooler: pooler?.endpoint.host,
      });
    }

    if (config.networkPolicy.enabled) {
      new NetworkPolicies(this, 'network-policies', {
        policy: config.networkPolicy,
        issuerPort: config.oauth.enabled ? urlPort(config.oauth.issuerUrl) : undefined,
        server: server.endpoint,
        machineLearning: machineLearning.endpoint,
        microservices: microservices?.pods,
        database: databaseConnection.endpoint,
        valkey: queue?.endpoint,
        externalRedis: externalRedis && {
          cidrs: config.networkPolicy.externalRedis.cidrs,
          ports: config.networkPolicy.externalRedis.ports ?? externalRedisPorts(externalRedis),
        },
        postgres: postgres?.endpoint,
        cloudnativePg: cloudnativePg && {
          cluster: cloudnativePg.endpoint,
          objectStorePort: cloudnativePg.objectStorePort,
          importFrom: importing ? postgres?.endpoint : undefined,
          dumpPods: logicalBackup?.pods,
          pooler: pooler?.endpoint,
        },
        volumeMover: volumeBackup?.moverPods,
        prometheus: config.monitoring.enabled
          ? {
              peer: config.monitoring.prometheus,
              serverPorts: server.metricsPorts.map((p) => p.port),
              microservicesPort: METRICS_PORTS.microservices.port,
            }
          : undefined,
      });
    }
  }
}

/** The Argo CD Application, in Argo CD's namespace and its own output folder. */
export class ArgoCdChart extends Chart {
  constructor(scope: Construct, id: string, props: ImmichChartProps) {
    const { config } = props;
    super(scope, id, { labels: commonLabels(PART_OF), disableResourceNameHashes: true });
    new ArgoCdApplication(this, 'application', { argocd: config.argocd, destinationNamespace: config.namespace });
  }
}

/** The charts of one configuration. */
export interface ImmichCharts {
  /** The app's manifests. */
  readonly app: ImmichChart;
  /** The Argo CD Application, when `argocd.enabled`. */
  readonly argocd?: ArgoCdChart;
}

/** Builds the charts for a configuration in a fresh app; nothing is written until the caller renders them. */
export function buildCharts(config: Config): ImmichCharts {
  const app = new App();
  return {
    app: new ImmichChart(app, 'immich', { config }),
    ...(config.argocd.enabled ? { argocd: new ArgoCdChart(app, 'argocd', { config }) } : {}),
  };
}

/** The route of `ingress.kind` from the public host to the server; each keeps the construct id `ingress`. */
function publicRoute(scope: Construct, config: Config, server: Endpoint) {
  const route = config.ingress;
  const host = config.host;
  switch (route.kind) {
    case 'ingressroute':
      return new ImmichIngressRoute(scope, 'ingress', { host, entryPoints: route.entryPoints, tls: route.tls, server });
    case 'httproute':
      return new ImmichHttpRoute(scope, 'ingress', {
        host,
        gateway: route.gateway,
        requestTimeout: route.requestTimeout,
        server,
      });
    case 'ingress':
      return new ImmichIngress(scope, 'ingress', {
        host,
        className: route.className,
        tlsSecretName: route.tls.secretName,
        annotations: route.annotations,
        server,
      });
  }
}

/** The backends the configuration check lets through. */
function mlBackend(backend: Config['machineLearning']['backend']): MlBackend {
  if (backend === 'armnn' || backend === 'rknn') throw new Error(`backend ${backend} should have been refused`);
  return backend;
}

/** The transcoding GPU; NVENC also needs the driver's video capability in the container. */
function transcodingDevice(transcoding: Config['transcoding']): TranscodingDevice | undefined {
  const { acceleration } = transcoding;
  if (acceleration === 'none') return undefined;
  return {
    gpu: deviceGpu({ ...transcoding.gpu, resource: gpuResource(acceleration, transcoding.gpu.resource) }),
    env: acceleration === 'nvenc' ? [{ name: 'NVIDIA_DRIVER_CAPABILITIES', value: 'compute,video,utility' }] : [],
  };
}
