/**
 * `database.cloudnativePg.logicalBackup`: a scheduled `pg_dump` of the Immich database to a volume
 * of its own, a copy that any PostgreSQL can restore, independent of the Barman Cloud archive.
 */
import * as v from 'valibot';
import { count, cron, resources, strict, volume } from './primitives';

/** Defaults of `logicalBackup`: Immich's own dump time, a week of dumps. */
export const LOGICAL_BACKUP_DEFAULTS = { schedule: '0 2 * * *', keep: 7 } as const;

export const logicalBackupSection = strict({
  /**
   * When to dump: five cron fields, in `timezone` (the CronJob's `timeZone`), like Immich's own
   * dump. @default "0 2 * * *"
   */
  schedule: v.optional(cron(5, LOGICAL_BACKUP_DEFAULTS.schedule), LOGICAL_BACKUP_DEFAULTS.schedule),
  /** Dumps kept on the volume; each successful dump deletes the oldest beyond this. @default 7 */
  keep: v.optional(count(1), LOGICAL_BACKUP_DEFAULTS.keep),
  /** The volume `immich-pg-dumps`: room for `keep` dumps plus the one being written. */
  storage: volume('5Gi'),
  /** Requests and limits of the dump pod. */
  resources: resources('100m', '256Mi', '1Gi'),
});

export type LogicalBackupConfig = v.InferOutput<typeof logicalBackupSection>;
