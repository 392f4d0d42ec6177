/** The `backup` section: Immich's own database dump and VolSync backups of the upload volumes. */
import * as v from 'valibot';
import { DATABASE_DUMPS, DATA_TIERS, type DataTier } from '../constants';
import {
  type DeepPartial,
  CRON,
  bool,
  count,
  cron,
  dnsLabel,
  dnsSubdomain,
  oneOf,
  quantity,
  section,
  text,
  timestamp,
} from './primitives';

/** How VolSync gets a stable copy of the volume to back up. */
export const COPY_METHODS = ['Direct', 'Clone', 'Snapshot'] as const;

/**
 * Volumes VolSync can back up: the upload volume, the folders of it on volumes of their own, and
 * the volume of the logical database dumps (`database.cloudnativePg.logicalBackup`).
 */
export const BACKED_UP_VOLUMES = ['data', ...(Object.keys(DATA_TIERS) as DataTier[]), 'dumps'] as const;

/** A volume of `BACKED_UP_VOLUMES` other than `data`: each has a `repositorySecrets` key of its own. */
type OwnRepositoryVolume = Exclude<(typeof BACKED_UP_VOLUMES)[number], 'data'>;

export const backupSection = section({
  /** Immich's own nightly database dump into `/data/backups` (`backup.database` of the config file). */
  database: section({
    /** Run the dump. @default true with the bundled database, false with CloudNativePG (whose backups replace it) */
    enabled: v.optional(bool()),
    /** When to dump, in `timezone` (the server's `TZ`). @default "0 02 * * *" */
    cronExpression: v.optional(
      text(CRON, 'must be a five-field cron expression like "0 02 * * *"'),
      DATABASE_DUMPS.defaults.cronExpression,
    ),
    /** Dumps to keep. @default 14 */
    keepLastAmount: v.optional(count(1), DATABASE_DUMPS.defaults.keepLastAmount),
  }),
  /**
   * Restic backups of the upload volume `immich-data` (and of `storage.thumbs`, `encodedVideo` and
   * the logical dumps `immich-pg-dumps`) by VolSync.
   */
  volumes: section({
    /** Back up the volumes of `claims` on `schedule`. @default false */
    enabled: v.optional(bool(), false),
    /**
     * The volumes backed up (and restored), each into a restic repository of its own: `data`
     * always; `thumbs` and `encodedVideo` when they have volumes of their own (`storage.thumbs`,
     * `storage.encodedVideo`) and you would rather copy them back than let Immich make them again;
     * `dumps`, the volume `immich-pg-dumps` of `database.cloudnativePg.logicalBackup`, for an
     * off-site copy of the dumps (read live, whatever `copyMethod` says: a dump appears only once
     * complete). @default ["data"]
     */
    claims: v.optional(
      v.pipe(v.array(oneOf(BACKED_UP_VOLUMES), 'must be a list'), v.minLength(1, 'must name at least one volume')),
      ['data'],
    ),
    /** Secret with the restic repository (`RESTIC_REPOSITORY`, `RESTIC_PASSWORD`, credentials) of `data`; required when enabled. */
    repositorySecret: v.optional(dnsSubdomain('immich-data-restic')),
    /**
     * The repository Secrets of `thumbs`, `encodedVideo` and `dumps`, required when `claims` lists
     * them: VolSync keeps one volume per repository. You create them, in every `secrets.mode`.
     * @default none
     */
    repositorySecrets: section({
      /** Repository Secret of `immich-thumbs`. @default none */
      thumbs: v.optional(dnsSubdomain('immich-thumbs-restic')),
      /** Repository Secret of `immich-encoded-video`. @default none */
      encodedVideo: v.optional(dnsSubdomain('immich-encoded-video-restic')),
      /** Repository Secret of the logical dumps, `immich-pg-dumps`. @default none */
      dumps: v.optional(dnsSubdomain('immich-pg-dumps-restic')),
    }),
    /**
     * When to back up: five cron fields, in VolSync's time zone (UTC unless its controller sets
     * another), not `timezone`. @default "0 3 * * *" (after Immich's 02:00 dump where `timezone` is UTC or east of it)
     */
    schedule: v.optional(cron(5, '0 3 * * *'), '0 3 * * *'),
    /** Snapshots restic keeps per period. @default { hourly: 0, daily: 7, weekly: 4, monthly: 6 } */
    retain: section({
      /** Hourly snapshots kept. @default 0 */
      hourly: v.optional(count(0), 0),
      /** Daily snapshots kept. @default 7 */
      daily: v.optional(count(0), 7),
      /** Weekly snapshots kept. @default 4 */
      weekly: v.optional(count(0), 4),
      /** Monthly snapshots kept. @default 6 */
      monthly: v.optional(count(0), 6),
    }),
    /**
     * `Direct` reads the live volume (works on any storage; files written during the run may be
     * caught half-way), `Clone` a CSI clone, `Snapshot` a CSI snapshot (`volumeSnapshotClassName`).
     * @default "Direct"
     */
    copyMethod: v.optional(oneOf(COPY_METHODS), 'Direct'),
    /** VolumeSnapshotClass for `copyMethod: Snapshot`. */
    volumeSnapshotClassName: v.optional(dnsSubdomain('csi-snapclass')),
    /** Restic's cache volume. @default "1Gi" */
    cacheCapacity: v.optional(quantity('1Gi'), '1Gi'),
    /** StorageClass of the cache volume; the cluster default when unset. */
    cacheStorageClass: v.optional(dnsSubdomain('local-path')),
    /** Restore `immich-data` from the repository; the server is stopped while this is on. */
    restore: section({
      /** Run the restore: the server and workers stay stopped while this is on. @default false */
      enabled: v.optional(bool(), false),
      /** Changing this string runs the restore again. @default "restore-1" */
      trigger: v.optional(dnsLabel('restore-1'), 'restore-1'),
      /** Restore the newest snapshot taken at or before this time. @default the newest snapshot */
      restoreAsOf: v.optional(timestamp),
    }),
  }),
});

export type BackupConfig = v.InferOutput<typeof backupSection>;
export type VolumeBackupConfig = BackupConfig['volumes'];

/**
 * Problems across the keys of `backup.volumes`, and with the volumes it backs up: those of
 * `storage` and the dumps volume of `logicalBackup` (`database.cloudnativePg.logicalBackup`).
 */
export function volumeBackupProblems(
  volumes: DeepPartial<VolumeBackupConfig> | undefined,
  storage: Partial<Record<DataTier, unknown>> | undefined,
  logicalBackup: unknown,
): string[] {
  const problems: string[] = [];
  if (!volumes) return problems;
  const claims = (volumes.claims ?? ['data']).filter((c): c is (typeof BACKED_UP_VOLUMES)[number] => c !== undefined);
  const listed = JSON.stringify(claims);
  if (!claims.includes('data')) {
    problems.push(
      `backup.volumes.claims: must include "data", which holds the originals that thumbnails and encoded videos are made from, got ${listed}`,
    );
  }
  if (new Set(claims).size !== claims.length) {
    problems.push(`backup.volumes.claims: must name each volume once, got ${listed}`);
  }
  // Why a volume that claims lists does not exist, if it does not.
  const missing = (volume: OwnRepositoryVolume): string | undefined => {
    if (volume === 'dumps') {
      return logicalBackup
        ? undefined
        : '"dumps" is the volume immich-pg-dumps of database.cloudnativePg.logicalBackup, which is not set: there are no dumps to back up';
    }
    return storage?.[volume] === undefined
      ? `"${volume}" has no volume of its own unless storage.${volume} is set; it lies on immich-data and is backed up with it`
      : undefined;
  };
  const secrets: Partial<Record<OwnRepositoryVolume, string>> = volumes.repositorySecrets ?? {};
  for (const volume of BACKED_UP_VOLUMES.filter((v): v is OwnRepositoryVolume => v !== 'data')) {
    const absent = missing(volume);
    const secret = secrets[volume];
    if (claims.includes(volume)) {
      if (absent) problems.push(`backup.volumes.claims: ${absent}, got ${listed}`);
      if (!secret) {
        problems.push(
          `backup.volumes.repositorySecrets.${volume}: required with "${volume}" in backup.volumes.claims: VolSync backs up one volume per restic repository, so it needs a Secret of its own, got nothing`,
        );
      }
    } else if (secret) {
      problems.push(
        `backup.volumes.repositorySecrets.${volume}: only used with "${volume}" in backup.volumes.claims, got "${secret}" with claims ${listed}`,
      );
    }
  }
  const repositories = [volumes.repositorySecret, ...Object.values(secrets)].filter(Boolean);
  if (new Set(repositories).size !== repositories.length) {
    problems.push(
      `backup.volumes.repositorySecrets: each volume needs a restic repository of its own, so a Secret of its own; VolSync does not share one, got ${JSON.stringify({ repositorySecret: volumes.repositorySecret, ...secrets })}`,
    );
  }
  const used = volumes.enabled || volumes.restore?.enabled;
  if (used && !volumes.repositorySecret) {
    problems.push(
      'backup.volumes.repositorySecret: required while backup.volumes.enabled or backup.volumes.restore.enabled is true: the Secret holding the restic repository, got nothing',
    );
  }
  const copyMethod = volumes.copyMethod ?? 'Direct';
  if (volumes.enabled && copyMethod === 'Snapshot' && !volumes.volumeSnapshotClassName) {
    problems.push(
      'backup.volumes.volumeSnapshotClassName: required with copyMethod "Snapshot": the VolumeSnapshotClass of the data volume\'s CSI driver; or use copyMethod "Clone" or "Direct", got nothing',
    );
  }
  if (volumes.volumeSnapshotClassName && copyMethod !== 'Snapshot') {
    problems.push(
      `backup.volumes.volumeSnapshotClassName: only used with copyMethod "Snapshot", got "${volumes.volumeSnapshotClassName}" with copyMethod "${copyMethod}"`,
    );
  }
  return problems;
}
