/** The `backup` section: Immich's own database dump and VolSync backups of the upload volume. */
import * as v from 'valibot';
import { DATABASE_DUMPS } from '../constants';
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

export const backupSection = section({
  /** Immich's own nightly database dump into `/data/backups` (`backup.database` of the config file). */
  database: section({
    /** @default true with the bundled database, false with CloudNativePG (whose backups replace it) */
    enabled: v.optional(bool()),
    /** When to dump, in `timezone` (the server's `TZ`). @default "0 02 * * *" */
    cronExpression: v.optional(
      text(CRON, 'must be a five-field cron expression like "0 02 * * *"'),
      DATABASE_DUMPS.defaults.cronExpression,
    ),
    /** Dumps to keep. @default 14 */
    keepLastAmount: v.optional(count(1), DATABASE_DUMPS.defaults.keepLastAmount),
  }),
  /** Restic backups of the upload volume `immich-data` by VolSync. */
  volumes: section({
    /** @default false */
    enabled: v.optional(bool(), false),
    /** Secret with the restic repository (`RESTIC_REPOSITORY`, `RESTIC_PASSWORD`, credentials); required when enabled. */
    repositorySecret: v.optional(dnsSubdomain('immich-data-restic')),
    /**
     * When to back up: five cron fields, in VolSync's time zone (UTC unless its controller sets
     * another), not `timezone`. @default "0 3 * * *" (after Immich's 02:00 dump where `timezone` is UTC or east of it)
     */
    schedule: v.optional(cron(5, '0 3 * * *'), '0 3 * * *'),
    /** Snapshots restic keeps per period. @default { hourly: 0, daily: 7, weekly: 4, monthly: 6 } */
    retain: section({
      hourly: v.optional(count(0), 0),
      daily: v.optional(count(0), 7),
      weekly: v.optional(count(0), 4),
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
    /**
     * Also back up the dumps volume `immich-pg-dumps` of `database.cloudnativePg.logicalBackup`,
     * into the restic repository of this Secret (another than `repositorySecret`), which you
     * create in every secrets mode. @default the dumps stay in the cluster
     */
    dumpsRepositorySecret: v.optional(dnsSubdomain('immich-pg-dumps-restic')),
    /** Restic's cache volume. @default "1Gi" */
    cacheCapacity: v.optional(quantity('1Gi'), '1Gi'),
    /** StorageClass of the cache volume; the cluster default when unset. */
    cacheStorageClass: v.optional(dnsSubdomain('local-path')),
    /** Restore `immich-data` from the repository; the server is stopped while this is on. */
    restore: section({
      /** @default false */
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

/** Problems across the keys of `backup.volumes`. */
export function volumeBackupProblems(volumes: DeepPartial<VolumeBackupConfig> | undefined): string[] {
  const problems: string[] = [];
  if (!volumes) return problems;
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
