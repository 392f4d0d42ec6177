/**
 * The Secrets the stack consumes and where their values come from in each `secrets.mode`: the
 * checks across `secrets` and the keys that use a Secret, the inline values, and warnings about
 * secret sources that nothing reads.
 */
import { NAMES } from '../constants';
import { REDIS_SECRET } from '../lib/redis';
import type { DeepPartial } from './primitives';
import type { Parsed, SecretMode, SecretValues } from './schema';

type ValueName = keyof SecretValues;

/** The environment variable each value is read from in inline mode. */
export const SECRET_ENV: Readonly<Record<ValueName, string>> = {
  dbPassword: 'IMMICH_DB_PASSWORD',
  oauthClientSecret: 'IMMICH_OAUTH_CLIENT_SECRET',
  backupAccessKeyId: 'IMMICH_BACKUP_ACCESS_KEY_ID',
  backupSecretAccessKey: 'IMMICH_BACKUP_SECRET_ACCESS_KEY',
  redisPassword: 'IMMICH_REDIS_PASSWORD',
  resticRepository: 'IMMICH_RESTIC_REPOSITORY',
  resticPassword: 'IMMICH_RESTIC_PASSWORD',
  resticAccessKeyId: 'IMMICH_RESTIC_ACCESS_KEY_ID',
  resticSecretAccessKey: 'IMMICH_RESTIC_SECRET_ACCESS_KEY',
};

/** A Secret the stack consumes: its name, the values it is made of, and when it is used. */
export interface ConsumedSecret {
  readonly name: string;
  /** Values the Secret always holds. */
  readonly values: readonly ValueName[];
  /** Values it holds when they are given, both or neither (an S3 repository's access keys). @default none */
  readonly pair?: readonly [ValueName, ValueName];
  /** When the configuration uses it, as messages say it; unset for the always-used DB password. */
  readonly when?: string;
  /** Whether an error should point at `secrets.existing`, as for Secrets that other tools often make. */
  readonly oftenExisting?: boolean;
}

/** The Secrets this configuration reads (the operator-made `immich-pg-app` aside). */
export function consumedSecrets(partial: DeepPartial<Parsed>): ConsumedSecret[] {
  const database = partial.database;
  const cnpg = database?.cloudnativePg;
  const onCloudnativePg = database?.engine === 'cloudnative-pg';
  const volumes = partial.backup?.volumes;
  const secrets: (ConsumedSecret | false | undefined)[] = [
    // With CloudNativePG the operator makes the password; only a bundled postgres kept beside it needs one.
    (!onCloudnativePg || Boolean(cnpg?.importFrom) || Boolean(cnpg?.keepBundled)) && {
      name: NAMES.dbSecret,
      values: ['dbPassword'],
    },
    partial.oauth?.enabled !== false && {
      name: NAMES.configSecret,
      values: ['oauthClientSecret'],
      when: 'oauth.enabled is true',
    },
    onCloudnativePg &&
      cnpg?.backup?.credentialsSecret !== undefined && {
        name: cnpg.backup.credentialsSecret,
        values: ['backupAccessKeyId', 'backupSecretAccessKey'],
        when: 'database.cloudnativePg.backup is set',
        oftenExisting: true,
      },
    partial.valkey?.mode === 'external' &&
      partial.valkey.external?.password && {
        name: REDIS_SECRET.name,
        values: ['redisPassword'],
        when: 'valkey.external.password is true',
      },
    Boolean(volumes?.enabled || volumes?.restore?.enabled) &&
      volumes?.repositorySecret !== undefined && {
        name: volumes.repositorySecret,
        values: ['resticRepository', 'resticPassword'],
        pair: ['resticAccessKeyId', 'resticSecretAccessKey'],
        when: 'backup.volumes.enabled or backup.volumes.restore.enabled is true',
        oftenExisting: true,
      },
  ];
  return secrets.filter((s): s is ConsumedSecret => Boolean(s));
}

/** The consumed Secrets the mode synthesizes: all but those in `secrets.existing`; none in `existing` mode. */
export function synthesizedSecrets(partial: DeepPartial<Parsed>): ConsumedSecret[] {
  if ((partial.secrets?.mode ?? 'existing') === 'existing') return [];
  const existing = new Set(partial.secrets?.existing ?? []);
  return consumedSecrets(partial).filter((secret) => !existing.has(secret.name));
}

/** A value of a mode's source: a secret value, or the OAuth client id a store may hold. */
type SourceName = ValueName | 'oauthClientId';

/** Where the mode takes each value from: the key that sets it, and whether it is set. */
function modeSource(
  partial: DeepPartial<Parsed>,
  env: NodeJS.ProcessEnv,
): { key: (name: SourceName) => string; has: (name: SourceName) => boolean } {
  if (partial.secrets?.mode === 'inline') {
    // The client id is no secret value: inline mode reads it from oauth.clientId alone.
    const variable = (name: SourceName) => (name === 'oauthClientId' ? undefined : SECRET_ENV[name]);
    return {
      key: (name) => variable(name) ?? name,
      has: (name) => Boolean(env[variable(name) ?? '']),
    };
  }
  const mode = partial.secrets?.mode;
  const section = mode === 'sealed-secrets' ? 'sealedSecrets' : 'externalSecrets';
  const values = (partial.secrets?.[section] ?? {}) as Record<string, unknown>;
  return { key: (name) => `secrets.${section}.${name}`, has: (name) => values[name] !== undefined };
}

/** Values or keys the mode needs but the configuration or environment lacks, and the OAuth client id. */
export function secretProblems(partial: DeepPartial<Parsed>, env: NodeJS.ProcessEnv): string[] {
  const mode: SecretMode = partial.secrets?.mode ?? 'existing';
  const problems: string[] = [];
  if (mode === 'external-secrets' && !partial.secrets?.externalSecrets?.storeRef?.name) {
    problems.push(
      'secrets.externalSecrets.storeRef.name: required when secrets.mode is "external-secrets", got nothing',
    );
  }
  const source = modeSource(partial, env);
  const synthesized = synthesizedSecrets(partial);
  for (const secret of synthesized) {
    const when = `${secret.when ? ` and ${secret.when}` : ''}${secret.oftenExisting ? `, unless "${secret.name}" is listed in secrets.existing` : ''}`;
    for (const name of secret.values) {
      if (!source.has(name))
        problems.push(`${source.key(name)}: required when secrets.mode is "${mode}"${when}, got nothing`);
    }
    const [first, second] = secret.pair ?? [];
    if (first && second && source.has(first) !== source.has(second)) {
      const [given, lacking] = source.has(first) ? [first, second] : [second, first];
      problems.push(
        `${source.key(lacking)}: required with ${source.key(given)}: S3 access keys come in pairs, got nothing`,
      );
    }
  }

  if (partial.oauth?.enabled !== false) {
    const clientId = partial.oauth?.clientId;
    const fromStore = mode !== 'inline' && synthesized.some((s) => s.name === NAMES.configSecret);
    const storeKey = fromStore ? source.key('oauthClientId') : undefined;
    const inStore = storeKey !== undefined && source.has('oauthClientId');
    if (!clientId && !inStore) {
      problems.push(
        `oauth.clientId: required while oauth.enabled is true; set it in the file or with IMMICH_OAUTH_CLIENT_ID${storeKey ? `, or as ${storeKey}` : ''}, got nothing`,
      );
    }
    if (clientId && inStore) {
      problems.push(`oauth.clientId: set it or ${storeKey}, not both, got ${JSON.stringify(clientId)}`);
    }
  }
  return problems;
}

/** The inline mode's values of the Secrets it synthesizes, from the environment. */
export function inlineSecretValues(parsed: Parsed, env: NodeJS.ProcessEnv): SecretValues {
  const names = synthesizedSecrets(parsed).flatMap((s) => [...s.values, ...(s.pair ?? [])]);
  return Object.fromEntries(names.filter((n) => env[SECRET_ENV[n]]).map((n) => [n, env[SECRET_ENV[n]]]));
}

/** Secret sources and `secrets.existing` entries that nothing reads, each with the reason. */
export function secretWarnings(parsed: Parsed): string[] {
  const { mode, existing } = parsed.secrets;
  const warnings: string[] = [];
  const consumed = consumedSecrets(parsed);
  const synthesized = synthesizedSecrets(parsed);
  const used = new Set<string>(synthesized.flatMap((s) => [...s.values, ...(s.pair ?? [])]));
  if (synthesized.some((s) => s.name === NAMES.configSecret)) used.add('oauthClientId');
  const owner = (name: string) => consumed.find((s) => [...s.values, ...(s.pair ?? [])].includes(name as ValueName));

  /** Why a value of the mode's section does nothing. */
  const reason = (name: string): string => {
    const secret = owner(name === 'oauthClientId' ? 'oauthClientSecret' : name);
    if (secret) return `Secret "${secret.name}" is listed in secrets.existing, so it is not synthesized`;
    if (name === 'dbPassword') {
      return 'on CloudNativePG the operator makes the database password (Secret immich-pg-app); only a bundled postgres kept beside the cluster (database.cloudnativePg.importFrom or keepBundled) reads it';
    }
    const when: Record<string, string> = {
      oauthClientSecret: 'oauth.enabled is true',
      oauthClientId: 'oauth.enabled is true',
      backupAccessKeyId: 'database.cloudnativePg.backup is set',
      backupSecretAccessKey: 'database.cloudnativePg.backup is set',
      redisPassword: 'valkey.mode is "external" with valkey.external.password',
    };
    return `it is read only when ${when[name] ?? 'backup.volumes.enabled or backup.volumes.restore.enabled is true'}`;
  };

  const sections = [
    ['externalSecrets', 'external-secrets'],
    ['sealedSecrets', 'sealed-secrets'],
  ] as const;
  for (const [section, sectionMode] of sections) {
    const set = Object.entries(parsed.secrets[section])
      .filter(([name, value]) => value !== undefined && name !== 'storeRef' && name !== 'refreshInterval')
      .map(([name]) => name);
    if (mode !== sectionMode) {
      if (set.length > 0) {
        warnings.push(
          `secrets.${section}: does nothing while secrets.mode is "${mode}" (it sets ${set.join(', ')}); remove it`,
        );
      }
      continue;
    }
    for (const name of set.filter((n) => !used.has(n))) {
      warnings.push(`secrets.${section}.${name}: does nothing: ${reason(name)}; remove it`);
    }
  }

  if (existing.length > 0 && mode === 'existing') {
    warnings.push(
      'secrets.existing: does nothing while secrets.mode is "existing", where you create every Secret; remove it',
    );
  } else {
    const names = consumed.map((s) => `"${s.name}"`).join(', ');
    for (const name of existing.filter((n) => !consumed.some((s) => s.name === n))) {
      warnings.push(`secrets.existing: "${name}" is no Secret this configuration reads (it reads ${names}); remove it`);
    }
  }
  return warnings;
}
