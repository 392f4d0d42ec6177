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
  /**
   * Dragonfly, the Redis-protocol alternative with `valkey.engine: dragonfly`: its Ubuntu-based
   * release image (user `dfly`, uid 999; `redis-cli` installed). The digest is the one public
   * repositories pin for v1.40.1 on both docker.dragonflydb.io and ghcr.io/dragonflydb/dragonfly,
   * where Dragonfly's release workflow pushes its images.
   * @see https://github.com/dragonflydb/dragonfly/blob/v1.40.1/tools/packaging/Dockerfile.ubuntu-prod
   */
  dragonfly:
    'docker.dragonflydb.io/dragonflydb/dragonfly:v1.40.1@sha256:ebf3c6c213e82fb51b4521660cca13f06f3421dc5b1ed14f2f474c50b5e29986',
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
  /** Dragonfly's snapshot folder (`--dir`), the image's own working directory. */
  dragonflyData: '/data',
  /** `IMMICH_PLUGINS_INSTALL_FOLDER`: each subfolder holds one external plugin's manifest.json and wasm. */
  plugins: '/plugins',
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
  httpRoute: 'immich',
  ingress: 'immich',
  dataPvc: 'immich-data',
  mlCachePvc: 'immich-ml-cache',
  /** The claim of an NFS photo library; its PersistentVolume is this name plus the namespace. */
  libraryPvc: 'immich-library',
  valkeyPvc: 'valkey-data',
  /** Dragonfly's workload (Deployment, ServiceAccount); it serves the queue through Service `valkey`. */
  dragonfly: 'dragonfly',
  /** Dragonfly snapshots, in a format Valkey cannot read: a claim of their own, so `valkey-data` is never touched. */
  dragonflyPvc: 'dragonfly-data',
  /** External Immich plugins, with `immich.externalPlugins`. */
  pluginsPvc: 'immich-plugins',
  /** volumeClaimTemplate name; the PVC becomes `data-immich-postgres-0`. */
  postgresVolumeClaim: 'data',
  dbSecret: 'immich-db',
  /** The Immich config file: a Secret when it holds the OAuth client secret, else a ConfigMap. */
  configSecret: 'immich-config',
  /** CloudNativePG Cluster; the operator derives `<name>-rw`, `<name>-app` and its PVC names from it. */
  cloudnativePg: 'immich-pg',
  /** PgBouncer Pooler in front of the primary; the operator names its Deployment and Service after it. */
  pooler: 'immich-pg-pooler-rw',
  /** Barman Cloud ObjectStore holding base backups and WAL. */
  objectStore: 'immich-pg-backup',
  /** VolSync objects of the upload volume (those of `DATA_TIERS` are named after their claims), and the mover's ServiceAccount and NetworkPolicy. */
  volumeBackup: 'immich-data',
  volumeRestore: 'immich-data-restore',
  volumeMover: 'immich-volsync',
  /** CronJob (and its ServiceAccount and NetworkPolicy) of the logical `pg_dump` backups. */
  logicalBackup: 'immich-pg-dump',
  /** Volume of the logical dumps; also the VolSync ReplicationSource that carries it off-site. */
  logicalBackupPvc: 'immich-pg-dumps',
} as const;

/**
 * Folders below `/data` that may live on volumes of their own (Immich's `StorageFolder` values
 * `thumbs` and `encoded-video`): both are made from the originals, so Immich's jobs can make them
 * again, under the names its Jobs page gives them. Claim names are fixed like every other.
 * @see https://immich.app/docs/administration/system-integrity#folder-checks
 */
export const DATA_TIERS = {
  thumbs: {
    claim: 'immich-thumbs',
    volume: 'thumbs',
    mountPath: `${PATHS.serverData}/thumbs`,
    regeneratedBy: 'Generate Thumbnails',
  },
  encodedVideo: {
    claim: 'immich-encoded-video',
    volume: 'encoded-video',
    mountPath: `${PATHS.serverData}/encoded-video`,
    regeneratedBy: 'Transcode Videos',
  },
} as const;

/** A folder of `DATA_TIERS`. */
export type DataTier = keyof typeof DATA_TIERS;

/** Non-root identity of the server (`node` in the image); it owns the upload volume, and so does the backup mover. */
export const SERVER_UID = 1000;

/**
 * CloudNativePG facts the manifests rely on.
 * @see https://cloudnative-pg.io/documentation/1.30/
 */
export const CLOUDNATIVE_PG = {
  /** Label the operator puts on every instance, job and pooler pod of a cluster. */
  clusterLabel: 'cnpg.io/cluster',
  /** Label of a pod's role: `instance` on the instances, `pooler` on PgBouncer pods (not on job pods). */
  podRoleLabel: 'cnpg.io/podRole',
  /** Label the operator puts on the PgBouncer pods of a Pooler, with its name. */
  poolerLabel: 'cnpg.io/poolerName',
  /** Ports of the instance pods: Postgres, the instance manager's status endpoint, metrics. */
  ports: { postgres: 5432, status: 8000, metrics: 9187 },
  /** Ports of the PgBouncer pods (`pkg/management/pgbouncer/config`, `pkg/management/url`). */
  poolerPorts: { pgbouncer: 5432, metrics: 9127 },
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

/**
 * Connections one Immich process opens to the database at most: postgres.js `max: 10` in
 * `getKyselyConfig` (server/src/utils/database.ts). The API and the background workers are two
 * processes, each with its own pool; each pod's parent process opens one more for its start-up checks.
 */
export const IMMICH_DB_POOL_SIZE = 10;

/**
 * Environment variables of the Immich server (its `server/src/dtos/env.dto.ts`); each is emitted
 * only when its configuration key is set, except the first two.
 * @see https://immich.app/docs/install/environment-variables
 */
export const IMMICH_ENV = {
  /** The system config file. @see https://immich.app/docs/install/config-file */
  configFile: 'IMMICH_CONFIG_FILE',
  /** The media root (uploads, thumbnails, database dumps). */
  mediaLocation: 'IMMICH_MEDIA_LOCATION',
  /** IPs or CIDRs, comma-separated, whose `X-Forwarded-For` Immich believes; unset trusts link-local and private ranges. */
  trustedProxies: 'IMMICH_TRUSTED_PROXIES',
  /** `console` or `json` (immich-app/immich#24791). */
  logFormat: 'IMMICH_LOG_FORMAT',
  /** `true` imports the plugins of the install folder at start (boolean in the env DTO). */
  allowExternalPlugins: 'IMMICH_ALLOW_EXTERNAL_PLUGINS',
  /** An absolute path (the env DTO refuses any other). */
  pluginsInstallFolder: 'IMMICH_PLUGINS_INSTALL_FOLDER',
} as const;

/**
 * Machine learning's `MACHINE_LEARNING_MODEL_REVISION`: `main` (the default) or `v2`, v3.3.0's
 * optimized exports, downloaded into a folder of their own beside those already cached.
 * @see https://github.com/immich-app/immich/releases/tag/v3.3.0
 */
export const ML_MODEL_REVISION_ENV = 'MACHINE_LEARNING_MODEL_REVISION';

/**
 * Facts of Dragonfly v1.40 the bundled queue relies on (its `src/server/*.cc` flags at that tag).
 * @see https://www.dragonflydb.io/docs/managing-dragonfly/flags
 */
export const DRAGONFLY = {
  /** `dfly` in the image (`groupadd -r -g 999 dfly && useradd -r -g dfly -u 999 dfly`). */
  uid: 999,
  /** Dragonfly exits at start unless `--maxmemory` is at least this per proactor thread (`dfly_main.cc`). */
  memoryPerThread: 256 * 2 ** 20,
  /**
   * Share of the container's memory limit given to `--maxmemory`, the rest is headroom for
   * connections and snapshots; Dragonfly's own default takes 80% of the memory it finds.
   */
  maxmemoryShare: 0.8,
  /** When to snapshot besides shutdown (`--snapshot_cron`, minutes first): like Valkey's default `save 300 100`. */
  snapshotCron: '*/5 * * * *',
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
 * Traefik's Kubernetes providers: the suffix (`@kubernetescrd`, ...) of the router and service
 * names each makes from its kind of route, which Traefik's metrics carry in their `service` label.
 * @see https://doc.traefik.io/traefik/observability/metrics/overview/
 */
export const TRAEFIK_PROVIDERS = {
  /** IngressRoutes. */
  crd: 'kubernetescrd',
  /** Gateway API routes. */
  gateway: 'kubernetesgateway',
  /** Ingresses. */
  ingress: 'kubernetes',
} as const;

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
