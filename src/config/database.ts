/** The `database` section: the bundled StatefulSet or a CloudNativePG cluster with off-site backups. */
import * as v from 'valibot';
import { BACKUP_SECRET_KEYS, IMAGES } from '../constants';
import {
  type DeepPartial,
  SQL_NAME,
  bool,
  checkedSection,
  count,
  cron,
  dnsLabel,
  dnsSubdomain,
  oneOf,
  quantity,
  resources,
  section,
  strict,
  text,
  timestamp,
  imageRef,
  volume,
} from './primitives';
import { logicalBackupSection } from './logical-backup';

/** Where the database runs; see `database.engine`. */
export const DB_ENGINES = ['bundled', 'cloudnative-pg'] as const;

/** An S3 (or S3-compatible) bucket and optional folder, as Barman Cloud takes it. */
const OBJECT_STORE_PATH = /^s3:\/\/[a-z0-9][a-z0-9.-]*[a-z0-9](\/\S*)?$/;
/** A key of a Secret's data. */
const secretKey = (example: string) =>
  text(/^[-._a-zA-Z0-9]{1,253}$/, `must be a Secret key like "${example}" (letters, digits, "-", "_" and ".")`);
/** Retention as the ObjectStore takes it: days, weeks or months. */
const RETENTION = /^[1-9][0-9]*[dwm]$/;

/**
 * PgBouncer in front of the primary. Session pooling only: Immich holds session-level advisory
 * locks across statements (start-up migrations, nightly jobs), keeps named prepared statements
 * (postgres.js) and sets `search_path` on its connections; transaction pooling hands a
 * connection to another client after each transaction, which breaks all three.
 */
const pooler = section({
  /** Connect the server and the workers through Pooler `immich-pg-pooler-rw`. @default false */
  enabled: v.optional(bool(), false),
  /** PgBouncer pods, spread over nodes. @default 2 */
  instances: v.optional(count(1), 2),
  /** Always `session`; `transaction` is refused (see above). @default "session" */
  poolMode: v.optional(
    v.picklist(
      ['session'],
      'must be "session": Immich holds advisory locks, prepared statements and settings on its sessions, which transaction pooling hands to other clients',
    ),
    'session',
  ),
  /** Requests and limits of each PgBouncer pod; not measured: PgBouncer needs a few kB per connection. */
  resources: resources('50m', '64Mi', '256Mi'),
});

const backup = strict({
  /** Base path of backups and WAL in the object store, e.g. `s3://bucket/immich`; required. */
  destinationPath: text(
    OBJECT_STORE_PATH,
    'must be an S3 path like "s3://bucket/immich" (S3-compatible stores take endpointURL)',
  ),
  /** S3-compatible endpoint (MinIO, Garage, R2); unset for AWS S3 itself. */
  endpointURL: v.optional(
    text(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'must be an http(s) URL like "https://minio.example.com"'),
  ),
  /**
   * Secret with the access key id and secret under `credentialsKeys`; required. Synthesized per
   * `secrets.mode`, unless listed in `secrets.existing`.
   */
  credentialsSecret: dnsSubdomain('immich-pg-backup-credentials'),
  /**
   * Keys of `credentialsSecret`, e.g. `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` in a Secret a
   * bucket provisioner made. @default { accessKeyId: "ACCESS_KEY_ID", secretAccessKey: "ACCESS_SECRET_KEY" }
   */
  credentialsKeys: checkedSection(
    {
      /** Key of the access key id. @default "ACCESS_KEY_ID" */
      accessKeyId: v.optional(secretKey('ACCESS_KEY_ID'), BACKUP_SECRET_KEYS.accessKeyId),
      /** Key of the secret access key. @default "ACCESS_SECRET_KEY" */
      secretAccessKey: v.optional(secretKey('ACCESS_SECRET_KEY'), BACKUP_SECRET_KEYS.secretAccessKey),
    },
    ({ accessKeyId, secretAccessKey }, report) => {
      if (accessKeyId === secretAccessKey) {
        report(['secretAccessKey'], secretAccessKey, 'must differ from accessKeyId, which names the same key');
      }
    },
  ),
  /** How long backups are kept. @default "30d" */
  retentionPolicy: v.optional(
    text(RETENTION, 'must be a number of days, weeks or months like "30d", "4w" or "6m"'),
    '30d',
  ),
  /**
   * When base backups run: six cron fields, seconds first, in the operator's time zone (UTC unless
   * its pod sets another), not `timezone`. @default "0 0 3 * * *" (03:00 daily)
   */
  schedule: v.optional(cron(6, '0 0 3 * * *'), '0 0 3 * * *'),
  /**
   * Folder of this cluster below `destinationPath`. A cluster restored from a backup must archive
   * into a new, empty folder: give it a new name then. @default "immich-pg"
   */
  serverName: v.optional(dnsLabel('immich-pg'), 'immich-pg'),
  /**
   * A base backup named after `immich.version` (`immich-pg-before-<version>`), which Argo CD takes
   * before machine learning and the server move to a new release: Immich migrates its database at
   * start and cannot undo it. @default true
   */
  beforeUpgrade: v.optional(bool(), true),
});

export const databaseSection = section({
  /**
   * `bundled`: the single-node `immich-postgres` StatefulSet. `cloudnative-pg`: a CloudNativePG
   * `Cluster` named `immich-pg` (`IMMICH_DB_ENGINE`). @default "bundled"
   */
  engine: v.optional(oneOf(DB_ENGINES), 'bundled'),
  /** Database user of the server and the bundled postgres (`IMMICH_DB_USERNAME`). @default "postgres" */
  username: v.optional(text(SQL_NAME, 'must be a lower-case SQL identifier like "postgres"'), 'postgres'),
  /** Database name (`IMMICH_DB_DATABASE_NAME`). @default "immich" */
  name: v.optional(text(SQL_NAME, 'must be a lower-case SQL identifier like "immich"'), 'immich'),
  /** Tunes the bundled postgres for the disk kind (`DB_STORAGE_TYPE`). @default "SSD" */
  storageType: v.optional(oneOf(['SSD', 'HDD'] as const), 'SSD'),
  /** Used with `engine: cloudnative-pg`. */
  cloudnativePg: section({
    /** Postgres instances: one primary, the rest streaming replicas on other nodes. @default 3 */
    instances: v.optional(count(1), 3),
    /** Owner of the Immich database, a role without superuser rights. @default "immich" */
    owner: v.optional(
      v.pipe(
        text(SQL_NAME, 'must be a lower-case SQL identifier like "immich"'),
        v.check((name) => name !== 'postgres', 'must not be "postgres", the superuser; use a role like "immich"'),
      ),
      'immich',
    ),
    /** Operand image carrying VectorChord. @default pinned `cloudnative-vectorchord` 17.6 with VectorChord 0.5.3 */
    imageName: v.optional(imageRef, IMAGES.cloudnativePg),
    /** Data volume of each instance. */
    storage: volume('10Gi'),
    /** A separate WAL volume per instance (`size`, `storageClass`); unset keeps WAL on the data volume. */
    walStorage: v.optional(
      strict({
        /** Size of each instance's WAL volume. */
        size: quantity('2Gi'),
        /** StorageClass of the WAL volumes. @default the cluster's default */
        storageClass: v.optional(dnsSubdomain('local-path')),
      }),
    ),
    /** Requests and limits of each instance. */
    resources: resources('250m', '512Mi', '2Gi'),
    /** Anti-affinity on host names: `required` leaves an instance Pending rather than sharing a node. @default "preferred" */
    antiAffinity: v.optional(oneOf(['preferred', 'required'] as const), 'preferred'),
    /** Off-site base backups and continuous WAL archiving through the Barman Cloud plugin. @default none */
    backup: v.optional(backup),
    /** A PgBouncer connection pooler (session mode) between Immich and the primary. @default off */
    pooler,
    /** A scheduled `pg_dump` of the Immich database to PVC `immich-pg-dumps`, apart from `backup`. @default none */
    logicalBackup: v.optional(logicalBackupSection),
    /** `initdb` creates an empty database; `recovery` restores it from `backup`'s object store. @default "initdb" */
    bootstrap: v.optional(oneOf(['initdb', 'recovery'] as const), 'initdb'),
    /** Used with `bootstrap: recovery`. */
    recovery: section({
      /** Folder in the object store to restore from: the lost cluster's `backup.serverName`. @default "immich-pg" */
      serverName: v.optional(dnsLabel('immich-pg'), 'immich-pg'),
      /** Restore up to this time (point-in-time recovery). @default the end of the archived WAL */
      targetTime: v.optional(timestamp),
    }),
    /** `bundled`: create the cluster by importing the Immich database from the running `immich-postgres`. */
    importFrom: v.optional(oneOf(['bundled'] as const)),
    /** Keep the bundled `immich-postgres` beside the cluster after a migration, for a way back. @default false */
    keepBundled: v.optional(bool(), false),
  }),
});

export type DatabaseConfig = v.InferOutput<typeof databaseSection>;
export type CloudnativePgConfig = DatabaseConfig['cloudnativePg'];

/** Problems across the keys of `database` and Immich's own dump in `backup.database`. */
export function databaseProblems(
  database: DeepPartial<DatabaseConfig> | undefined,
  immichDumpEnabled: boolean | undefined,
): string[] {
  const problems: string[] = [];
  const cnpg = database?.cloudnativePg ?? {};
  const onCloudnativePg = database?.engine === 'cloudnative-pg';
  const only = (key: string, value: unknown) =>
    `database.cloudnativePg.${key}: only used with database.engine "cloudnative-pg", got ${JSON.stringify(value)} with engine "bundled"`;
  if (!onCloudnativePg) {
    if (cnpg.importFrom) problems.push(only('importFrom', cnpg.importFrom));
    if (cnpg.bootstrap === 'recovery') problems.push(only('bootstrap', cnpg.bootstrap));
    if (cnpg.keepBundled) problems.push(only('keepBundled', cnpg.keepBundled));
    if (cnpg.pooler?.enabled) problems.push(only('pooler.enabled', cnpg.pooler.enabled));
    if (cnpg.logicalBackup) {
      problems.push(
        'database.cloudnativePg.logicalBackup: only used with database.engine "cloudnative-pg", whose cluster it dumps (the bundled postgres has Immich\'s own dump, backup.database), got a logicalBackup section with engine "bundled"',
      );
    }
    return problems;
  }
  if (cnpg.importFrom && cnpg.bootstrap === 'recovery') {
    problems.push(
      'database.cloudnativePg.importFrom: a cluster is created either by importing the bundled database or by recovery from a backup, not both; drop importFrom or set bootstrap: initdb',
    );
  }
  if (cnpg.bootstrap === 'recovery' && !cnpg.backup) {
    problems.push(
      'database.cloudnativePg.backup: required with bootstrap "recovery", which restores from its object store, got nothing',
    );
  }
  const archiveTo = cnpg.backup?.serverName ?? 'immich-pg';
  const restoreFrom = cnpg.recovery?.serverName ?? 'immich-pg';
  if (cnpg.bootstrap === 'recovery' && cnpg.backup && archiveTo === restoreFrom) {
    problems.push(
      `database.cloudnativePg.backup.serverName: a restored cluster must archive into a new folder, not the one it restores from; set it to another name like "${restoreFrom}-2", got "${archiveTo}"`,
    );
  }
  if (immichDumpEnabled === true) {
    problems.push(
      "backup.database.enabled: Immich's own dump runs pg_dumpall, which needs a superuser that the CloudNativePG cluster does not give Immich; its backups come from database.cloudnativePg.backup instead; remove the key or set it to false, got true",
    );
  }
  return problems;
}

/** Whether the bundled `immich-postgres` is part of the output. */
export function bundledPostgresKept(database: Pick<DatabaseConfig, 'engine' | 'cloudnativePg'>): boolean {
  const { importFrom, keepBundled } = database.cloudnativePg;
  return database.engine === 'bundled' || importFrom === 'bundled' || keepBundled;
}
