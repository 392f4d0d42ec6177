/**
 * `database.cloudnativePg.logicalBackup`: a scheduled `pg_dump` of the Immich database to a volume
 * of its own, a copy that any PostgreSQL can restore, independent of the Barman Cloud archive.
 */
import * as v from 'valibot';
import { type DeepPartial, count, cron, resources, strict, volume } from './primitives';

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

/** What the cross-checks read of the configuration. */
interface LogicalBackupInput {
  readonly database?: { readonly cloudnativePg?: { readonly logicalBackup?: unknown } };
  readonly backup?: {
    readonly volumes?: DeepPartial<{ enabled: boolean; repositorySecret: string; dumpsRepositorySecret: string }>;
  };
}

/** Problems of `backup.volumes.dumpsRepositorySecret`, which carries the dumps off-site. */
export function logicalBackupProblems(input: LogicalBackupInput): string[] {
  const volumes = input.backup?.volumes;
  const secret = volumes?.dumpsRepositorySecret;
  if (!secret) return [];
  const key = 'backup.volumes.dumpsRepositorySecret';
  const problems: string[] = [];
  if (!input.database?.cloudnativePg?.logicalBackup) {
    problems.push(
      `${key}: only used with database.cloudnativePg.logicalBackup, which writes the dumps, got "${secret}"`,
    );
  }
  if (!volumes.enabled) {
    problems.push(`${key}: only used with backup.volumes.enabled true, got "${secret}" with it off`);
  }
  if (secret === volumes.repositorySecret) {
    problems.push(
      `${key}: must name another repository than backup.volumes.repositorySecret: VolSync writes every volume's snapshots under the same host and path, so two volumes in one repository would prune each other's; got "${secret}" for both`,
    );
  }
  return problems;
}
