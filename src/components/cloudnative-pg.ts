import { Construct } from 'constructs';
import {
  ObjectStore,
  ObjectStoreSpecConfigurationDataCompression,
  ObjectStoreSpecConfigurationWalCompression,
} from '../../imports/barmancloud.cnpg.io';
import {
  Backup,
  BackupSpecMethod,
  Cluster,
  type ClusterSpecBootstrap,
  type ClusterSpecExternalClusters,
  ClusterSpecBootstrapInitdbImportType,
  ClusterSpecPrimaryUpdateMethod,
  ClusterSpecPrimaryUpdateStrategy,
  ClusterSpecResourcesLimits,
  ClusterSpecResourcesRequests,
  ScheduledBackup,
  ScheduledBackupSpecBackupOwnerReference,
  ScheduledBackupSpecMethod,
} from '../../imports/postgresql.cnpg.io';
import type { CloudnativePgConfig } from '../config';
import { CLOUDNATIVE_PG, NAMES } from '../constants';
import { SYNC_WAVES, syncPolicy } from '../lib/argocd';
import { type DatabaseConnection, type Endpoint, type PostgresSource, urlPort } from '../lib/pod';

/** Extensions Immich needs in its own database, created by a superuser so that Immich needs none. */
const EXTENSIONS_SQL = [
  'CREATE EXTENSION IF NOT EXISTS vchord CASCADE',
  'CREATE EXTENSION IF NOT EXISTS earthdistance CASCADE',
];
/** Name of the external cluster entry a recovery reads from. */
const RECOVERY_SOURCE = 'origin';

export interface CloudNativePgProps {
  /** `database.cloudnativePg` of the configuration. */
  readonly config: CloudnativePgConfig;
  /** Name of the Immich database. */
  readonly databaseName: string;
  /** The running bundled postgres to import the Immich database from. @default no import */
  readonly importFrom?: PostgresSource;
  /** `immich.version`: with `backup.beforeUpgrade`, a base backup named after it precedes the server. */
  readonly immichVersion: string;
}

/**
 * Name of the base backup taken before Immich moves to `version`: one per release, so that a
 * sync that leaves the version alone re-applies the same, finished object instead of a new one.
 */
export function preUpgradeBackupName(version: string): string {
  const slug = version
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${NAMES.cloudnativePg}-before-${slug}`;
}

/**
 * Postgres with VectorChord run by the CloudNativePG operator: a `Cluster` of streaming replicas
 * spread over nodes, and, with `backup`, continuous WAL archiving plus scheduled base backups to
 * an object store through the Barman Cloud plugin (`ObjectStore`, `ScheduledBackup`).
 * @see https://cloudnative-pg.io/documentation/1.30/
 * @see https://cloudnative-pg.io/plugin-barman-cloud/
 */
export class CloudNativePg extends Construct {
  /** Name of the Cluster, which a Pooler refers to. */
  readonly clusterName: string = NAMES.cloudnativePg;
  /** The `-rw` Service and the instance pods, for NetworkPolicies. */
  readonly endpoint: Endpoint;
  /** The `-rw` Service and Immich's login: the owner, its database and the operator-made password. */
  readonly source: PostgresSource;
  /** How the server connects: `DB_URL` from the operator-generated `<cluster>-app` Secret. */
  readonly connection: DatabaseConnection;
  /** Port of the object store endpoint, when backups go to one. */
  readonly objectStorePort?: number;
  /** Where reads spare the primary: the replicas (`-ro`) when there are any, else any instance (`-r`). */
  readonly readEndpoint: Endpoint;
  /** The operator-generated `<cluster>-app` Secret of the application role. */
  readonly appSecretName: string;

  constructor(scope: Construct, id: string, props: CloudNativePgProps) {
    super(scope, id);
    const { config } = props;
    const name = this.clusterName;
    const { backup } = config;

    if (backup) {
      const store = new ObjectStore(this, 'object-store', {
        metadata: { name: NAMES.objectStore },
        spec: {
          retentionPolicy: backup.retentionPolicy,
          configuration: {
            destinationPath: backup.destinationPath,
            endpointUrl: backup.endpointURL,
            s3Credentials: {
              accessKeyId: { name: backup.credentialsSecret, key: backup.credentialsKeys.accessKeyId },
              secretAccessKey: { name: backup.credentialsSecret, key: backup.credentialsKeys.secretAccessKey },
            },
            wal: { compression: ObjectStoreSpecConfigurationWalCompression.GZIP },
            data: { compression: ObjectStoreSpecConfigurationDataCompression.GZIP },
          },
        },
      });
      // The object store is where the only off-site copy lives: Argo CD never deletes it.
      syncPolicy(store, { wave: SYNC_WAVES.prerequisites, keep: true, customResource: true });
      this.objectStorePort = backup.endpointURL ? urlPort(backup.endpointURL) : 443;
    }

    const cluster = new Cluster(this, 'cluster', {
      metadata: { name },
      spec: {
        instances: config.instances,
        imageName: config.imageName,
        imagePullPolicy: 'IfNotPresent',
        postgresql: { sharedPreloadLibraries: ['vchord.so'] },
        bootstrap: this.bootstrap(props),
        externalClusters: this.externalClusters(props),
        storage: { size: config.storage.size, storageClass: config.storage.storageClass },
        walStorage: config.walStorage
          ? { size: config.walStorage.size, storageClass: config.walStorage.storageClass }
          : undefined,
        resources: {
          requests: {
            cpu: ClusterSpecResourcesRequests.fromString(config.resources.requests.cpu),
            memory: ClusterSpecResourcesRequests.fromString(config.resources.requests.memory),
          },
          limits: {
            memory: ClusterSpecResourcesLimits.fromString(config.resources.limits.memory),
            ...(config.resources.limits.cpu
              ? { cpu: ClusterSpecResourcesLimits.fromString(config.resources.limits.cpu) }
              : {}),
          },
        },
        // One instance per node, so that losing a node loses at most one copy.
        affinity: {
          enablePodAntiAffinity: true,
          topologyKey: 'kubernetes.io/hostname',
          podAntiAffinityType: config.antiAffinity,
        },
        // Updates restart replicas first, then switch the primary over instead of restarting it in place.
        primaryUpdateStrategy: ClusterSpecPrimaryUpdateStrategy.UNSUPERVISED,
        primaryUpdateMethod: ClusterSpecPrimaryUpdateMethod.SWITCHOVER,
        plugins: backup
          ? [
              {
                name: CLOUDNATIVE_PG.barmanPlugin,
                isWalArchiver: true,
                parameters: { barmanObjectName: NAMES.objectStore, serverName: backup.serverName },
              },
            ]
          : undefined,
      },
    });
    // The Cluster owns its PVCs: deleting it deletes the database, so Argo CD never does.
    syncPolicy(cluster, { wave: SYNC_WAVES.backends, keep: true, customResource: true });

    if (backup) {
      const scheduled = new ScheduledBackup(this, 'scheduled-backup', {
        metadata: { name },
        spec: {
          schedule: backup.schedule,
          cluster: { name },
          method: ScheduledBackupSpecMethod.PLUGIN,
          pluginConfiguration: { name: CLOUDNATIVE_PG.barmanPlugin },
          // A first base backup right away: WAL alone cannot restore without one.
          immediate: true,
          backupOwnerReference: ScheduledBackupSpecBackupOwnerReference.SELF,
        },
      });
      syncPolicy(scheduled, { wave: SYNC_WAVES.backends, customResource: true });

      if (backup.beforeUpgrade) {
        // Immich migrates the database when it starts on a new release and cannot undo that. Argo CD
        // moves to the next wave (machine learning, then the server) only once this is Healthy, i.e.
        // `completed` (deploy/argocd-cm-backup-health.yaml); `failed` stops the sync. Until the
        // primary is ready the operator keeps it pending, so a first install waits too.
        const beforeUpgrade = new Backup(this, 'before-upgrade', {
          metadata: { name: preUpgradeBackupName(props.immichVersion) },
          spec: {
            cluster: { name },
            method: BackupSpecMethod.PLUGIN,
            pluginConfiguration: { name: CLOUDNATIVE_PG.barmanPlugin },
          },
        });
        syncPolicy(beforeUpgrade, { wave: SYNC_WAVES.backends, customResource: true });
      }
    }

    const pods = { [CLOUDNATIVE_PG.clusterLabel]: name };
    this.endpoint = { host: `${name}-rw`, port: CLOUDNATIVE_PG.ports.postgres, pods };
    this.readEndpoint = { ...this.endpoint, host: `${name}-${config.instances > 1 ? 'ro' : 'r'}` };
    this.appSecretName = `${name}-app`;
    const password = { secretName: this.appSecretName, key: 'password' };
    this.source = { endpoint: this.endpoint, username: config.owner, database: props.databaseName, password };
    // DB_URL overrides every other DB_* variable; the operator writes the password, never us.
    this.connection = {
      endpoint: this.endpoint,
      env: [],
      files: [{ variable: 'DB_URL', secretName: this.appSecretName, key: 'uri' }],
    };
  }

  /** How the cluster's first instance is created: empty, imported from the bundled postgres, or recovered. */
  private bootstrap(props: CloudNativePgProps): ClusterSpecBootstrap {
    const { config, databaseName, importFrom } = props;
    if (config.bootstrap === 'recovery') {
      const { targetTime } = config.recovery;
      return {
        recovery: {
          source: RECOVERY_SOURCE,
          database: databaseName,
          owner: config.owner,
          recoveryTarget: targetTime ? { targetTime } : undefined,
        },
      };
    }
    return {
      initdb: {
        database: databaseName,
        owner: config.owner,
        dataChecksums: true,
        postInitApplicationSql: EXTENSIONS_SQL,
        import: importFrom
          ? {
              type: ClusterSpecBootstrapInitdbImportType.MICROSERVICE,
              databases: [importFrom.database],
              source: { externalCluster: importFrom.endpoint.host },
              // The import drops the extensions made above and restores them from the dump; make sure.
              postImportApplicationSql: EXTENSIONS_SQL,
            }
          : undefined,
      },
    };
  }

  /** The bundled postgres to import from, or the object store folder to recover from. */
  private externalClusters(props: CloudNativePgProps): ClusterSpecExternalClusters[] | undefined {
    const { config, importFrom } = props;
    if (config.bootstrap === 'recovery') {
      return [
        {
          name: RECOVERY_SOURCE,
          plugin: {
            name: CLOUDNATIVE_PG.barmanPlugin,
            parameters: { barmanObjectName: NAMES.objectStore, serverName: config.recovery.serverName },
          },
        },
      ];
    }
    if (!importFrom) return undefined;
    return [
      {
        name: importFrom.endpoint.host,
        connectionParameters: {
          host: importFrom.endpoint.host,
          port: String(importFrom.endpoint.port),
          user: importFrom.username,
          dbname: importFrom.database,
        },
        password: { name: importFrom.password.secretName, key: importFrom.password.key },
      },
    ];
  }
}
