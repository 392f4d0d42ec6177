/**
 * Facts about Immich and its images, kept in one place so that every component and test reads
 * the same value. Each entry names where upstream defines it.
 */

/**
 * Immich release deployed when the configuration does not choose one.
 * @see https://github.com/immich-app/immich/releases
 */
export const DEFAULT_IMMICH_VERSION = 'v3.3.1';

/** Oldest release the manifests support: the system config file uses the v2 `machineLearning.urls` array. */
export const MIN_IMMICH_MAJOR = 2;

/** Image repositories and pinned third-party images. */
export const IMAGES = {
  /** @see https://github.com/immich-app/immich/pkgs/container/immich-server */
  server: 'ghcr.io/immich-app/immich-server',
  /** Tag is `<version>` plus a backend suffix (`-cuda`, `-openvino`, none for CPU). */
  machineLearning: 'ghcr.io/immich-app/immich-machine-learning',
  /** Redis-protocol job queue of the reference deployment (docker-compose.yml). */
  valkey: 'docker.io/valkey/valkey:9@sha256:3b55fbaa0cd93cf0d9d961f405e4dfcc70efe325e2d84da207a0a8e6d8fde4f9',
  /** Postgres 14 with VectorChord, as pinned by Immich's docker-compose.yml. */
  postgres:
    'ghcr.io/immich-app/postgres:14-vectorchord0.4.3-pgvectors0.2.0@sha256:bcf63357191b76a916ae5eb93464d65c07511da41e3bf7a8416db519b40b1c23',
  /**
   * CloudNativePG operand image with VectorChord 0.5.3 on PostgreSQL 17.6: newer than the bundled
   * 0.4.3 (Immich never downgrades the extension) and inside Immich's accepted range (>= 0.3, < 2).
   * @see https://github.com/tensorchord/cloudnative-vectorchord
   */
  cloudnativePg:
    'ghcr.io/tensorchord/cloudnative-vectorchord:17.6-0.5.3@sha256:ef3bf2e3abe76c3939b994afbde46cb9f24d2fbdf7ff2026a03aefa84d9a2a23',
} as const;

/** Container ports. */
export const PORTS = {
  /** `IMMICH_PORT` default of the server. */
  server: 2283,
  /** machine-learning's `IMMICH_PORT` default. */
  machineLearning: 3003,
  valkey: 6379,
  postgres: 5432,
  /** `IMMICH_API_METRICS_PORT` default: metrics of the API worker. */
  apiMetrics: 8081,
  /** `IMMICH_MICROSERVICES_METRICS_PORT` default: metrics of the background workers. */
  microservicesMetrics: 8082,
} as const;

/** HTTP health endpoints. */
export const HEALTH_PATHS = {
  /** Returns `{"res":"pong"}` once the API is up. */
  server: '/api/server/ping',
  machineLearning: '/ping',
  /** The OpenTelemetry Prometheus exporter's endpoint on the metrics ports. */
  metrics: '/metrics',
} as const;

/** Paths inside the containers. */
export const PATHS = {
  /** Server media root since v1.136 (was /usr/src/app/upload). */
  serverData: '/data',
  /** Where the external photo library is mounted read-only (the reference deployment's path). */
  photoLibrary: '/mnt/media/photos',
  /** Folder holding the system config file named by IMMICH_CONFIG_FILE. */
  serverConfigDir: '/config',
  /** Model cache of machine learning (MACHINE_LEARNING_CACHE_FOLDER default). */
  mlCache: '/cache',
  valkeyData: '/data',
  postgresData: '/var/lib/postgresql/data',
} as const;

/** File name of the Immich system config inside its Secret and mount. */
export const IMMICH_CONFIG_KEY = 'immich-config.json';

/**
 * Key paths of the system config file that Immich v3.1.0 does not know yet, each with the release
 * that added it (its release notes or `server/src/config.ts` at that tag). Every other key the
 * manifests write is one of v3.1.0's `GET /api/system-config/defaults`
 * (`test/fixtures/immich-v3.1.0/`); Immich only logs `Unknown keys found` for a key it does not
 * know, so a misspelt key would be silently ignored.
 */
export const IMMICH_CONFIG_KEYS_AFTER_V3_1_0: readonly string[] = [];

/** Keys of the database Secret, shared by the server and postgres; user and database name are not secret. */
export const DB_SECRET_KEYS = {
  password: 'password',
} as const;

/** Fixed Kubernetes names: stateful objects and Secrets must never be renamed by a refactor. */
export const NAMES = {
  server: 'immich-server',
  /** The background workers, with `server.workers: split`. */
  microservices: 'immich-microservices',
  machineLearning: 'immich-machine-learning',
  valkey: 'valkey',
  postgres: 'immich-postgres',
  postgresHeadless: 'immich-postgres-headless',
  ingressRoute: 'immich',
  dataPvc: 'immich-data',
  mlCachePvc: 'immich-ml-cache',
  /** The claim of an NFS photo library; its PersistentVolume is this name plus the namespace. */
  libraryPvc: 'immich-library',
  valkeyPvc: 'valkey-data',
  /** volumeClaimTemplate name; the PVC becomes `data-immich-postgres-0`. */
  postgresVolumeClaim: 'data',
  dbSecret: 'immich-db',
  /** The Immich config file: a Secret when it holds the OAuth client secret, else a ConfigMap. */
  configSecret: 'immich-config',
  /** CloudNativePG Cluster; the operator derives `<name>-rw`, `<name>-app` and its PVC names from it. */
  cloudnativePg: 'immich-pg',
  /** Barman Cloud ObjectStore holding base backups and WAL. */
  objectStore: 'immich-pg-backup',
  /** VolSync objects and the mover's ServiceAccount and NetworkPolicy. */
  volumeBackup: 'immich-data',
  volumeRestore: 'immich-data-restore',
  volumeMover: 'immich-volsync',
  /** CronJob (and its ServiceAccount and NetworkPolicy) of the logical `pg_dump` backups. */
  logicalBackup: 'immich-pg-dump',
  /** Volume of the logical dumps; also the VolSync ReplicationSource that carries it off-site. */
  logicalBackupPvc: 'immich-pg-dumps',
} as const;

/** Non-root identity of the server (`node` in the image); it owns the upload volume, and so does the backup mover. */
export const SERVER_UID = 1000;

/**
 * CloudNativePG facts the manifests rely on.
 * @see https://cloudnative-pg.io/documentation/1.30/
 */
export const CLOUDNATIVE_PG = {
  /** Label the operator puts on every instance and job pod of a cluster. */
  clusterLabel: 'cnpg.io/cluster',
  /** Ports of the instance pods: Postgres, the instance manager's status endpoint, metrics. */
  ports: { postgres: 5432, status: 8000, metrics: 9187 },
  /** Keys of the operator-generated `<cluster>-app` Secret. */
  appSecretKeys: ['username', 'password', 'host', 'port', 'dbname', 'uri', 'jdbc-uri', 'pgpass'],
  /** Name of the Barman Cloud plugin in `spec.plugins` and `pluginConfiguration`. */
  barmanPlugin: 'barman-cloud.cloudnative-pg.io',
  /** Services the operator creates per cluster, named `<cluster>-<suffix>`: primary, replicas, any instance. */
  services: ['rw', 'ro', 'r'],
  /** Secrets the operator may generate per cluster, named `<cluster>-<suffix>`. */
  secrets: ['app', 'superuser', 'replication', 'ca', 'server'],
  /** Access mode of instance volumes when the Cluster's `pvcTemplate` names none. */
  defaultAccessMode: 'ReadWriteOnce',
  /**
   * uid of `postgres` in the operand images (`usermod -u 26 postgres`, `USER 26`), which also run
   * the `pg_dump` of the logical backups. @see https://github.com/cloudnative-pg/postgres-containers
   */
  operandUid: 26,
} as const;

/** Environment variables of the Immich server that locate its files. */
export const IMMICH_ENV = {
  /** The system config file. @see https://immich.app/docs/install/config-file */
  configFile: 'IMMICH_CONFIG_FILE',
  /** The media root (uploads, thumbnails, database dumps). @see https://immich.app/docs/install/environment-variables */
  mediaLocation: 'IMMICH_MEDIA_LOCATION',
} as const;

/**
 * Immich's own database dumps: `backup.database` of the system config file, written to
 * `<media location>/backups`; Immich's defaults apply to keys the file leaves out, and
 * are the configuration's defaults too.
 * @see https://immich.app/docs/administration/backup-and-restore
 */
export const DATABASE_DUMPS = {
  folder: 'backups',
  defaults: { enabled: true, cronExpression: '0 02 * * *', keepLastAmount: 14 },
} as const;

/** Default keys of the object store credentials Secret the ObjectStore reads. */
export const BACKUP_SECRET_KEYS = {
  accessKeyId: 'ACCESS_KEY_ID',
  secretAccessKey: 'ACCESS_SECRET_KEY',
} as const;

/**
 * Traefik's Kubernetes CRD provider: the suffix `@kubernetescrd` of the router and service names it
 * makes from IngressRoutes, which its metrics carry in their `service` label.
 * @see https://doc.traefik.io/traefik/observability/metrics/overview/
 */
export const TRAEFIK_CRD_PROVIDER = 'kubernetescrd';

/**
 * Keys of the restic repository Secret, which VolSync's mover reads as its environment; the
 * access keys only for an S3 repository.
 * @see https://volsync.readthedocs.io/en/stable/usage/restic/index.html
 */
export const RESTIC_SECRET_KEYS = {
  repository: 'RESTIC_REPOSITORY',
  password: 'RESTIC_PASSWORD',
  accessKeyId: 'AWS_ACCESS_KEY_ID',
  secretAccessKey: 'AWS_SECRET_ACCESS_KEY',
} as const;

/** Value of `app.kubernetes.io/part-of` and the default `instance`. */
export const PART_OF = 'immich';
