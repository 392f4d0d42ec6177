/** Loading: YAML, environment overrides, checks across keys and one error listing every problem. */
import { readFileSync } from 'node:fs';
import * as v from 'valibot';
import { parseDocument } from 'yaml';
import {
  type Config,
  type LibraryConfig,
  type Parsed,
  PSS_LEVELS,
  type PssLevel,
  type SecretValues,
  configSchema,
} from './schema';

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** Environment variables of the reference deployment and the config key each one overrides. */
export const ENV_OVERRIDES = {
  BASE_DOMAIN: ['domain'],
  IMMICH_VERSION: ['immich', 'version'],
  TZ: ['timezone'],
  IMMICH_DB_USERNAME: ['database', 'username'],
  IMMICH_DB_DATABASE_NAME: ['database', 'name'],
  IMMICH_OAUTH_CLIENT_ID: ['oauth', 'clientId'],
  IMMICH_SECRETS_MODE: ['secrets', 'mode'],
} as const satisfies Record<string, readonly string[]>;

/** Where the shipped example configuration lives, relative to the project root. */
export const DEFAULT_CONFIG_FILE = 'config/example.yaml';

/** Thrown with every problem of a configuration, one per line. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses and validates a configuration given as YAML text plus environment overrides.
 * Collects every problem into one ConfigError.
 */
export function parseConfig(yamlText: string, env: NodeJS.ProcessEnv, source = 'config'): Config {
  const doc = parseDocument(yamlText, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      // Pretty errors start with "<what> at line L, column C:" followed by a source excerpt.
      doc.errors.map((e) => `${source}: malformed YAML: ${e.message.split('\n')[0]?.replace(/:$/, '')}`),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw) || raw === null) {
    throw new ConfigError(source, [`${source}: must be a YAML mapping of keys, got ${describe(raw)}`]);
  }

  const input = structuredClone(raw) as Record<string, unknown>;
  const fromEnv = new Map<string, string>();
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(input, path, value);
    fromEnv.set(path.join('.'), name);
  }

  const result = v.safeParse(configSchema, input, { abortPipeEarly: true });
  const problems: string[] = [];
  for (const issue of result.issues ?? []) {
    const keys = (issue.path ?? []).map((item) => String(item.key));
    const key = keys.join('.') || '(root)';
    const envName = fromEnv.get(key);
    const label = envName ? `${envName} (${key})` : key;
    const got =
      issue.expected === 'never'
        ? `"${keys.at(-1)}"`
        : key.startsWith('secrets.sealedSecrets.')
          ? redacted(issue.input)
          : describe(issue.input);
    problems.push(`${label}: ${issue.message}, got ${got}`);
  }
  // Checks across keys and the environment, run on what parsed so far so one run lists everything.
  const partial = result.output as DeepPartial<Parsed>;
  const oauthOn = partial.oauth?.enabled !== false;
  if (oauthOn && !partial.oauth?.clientId) {
    problems.push(
      'oauth.clientId: required while oauth.enabled is true; set it in the file or with IMMICH_OAUTH_CLIENT_ID, got nothing',
    );
  }
  const inline = partial.secrets?.mode === 'inline';
  const dbPassword = env.IMMICH_DB_PASSWORD;
  const oauthClientSecret = env.IMMICH_OAUTH_CLIENT_SECRET;
  if (inline && !dbPassword) {
    problems.push('IMMICH_DB_PASSWORD: required when secrets.mode is "inline", got nothing');
  }
  if (inline && oauthOn && !oauthClientSecret) {
    problems.push(
      'IMMICH_OAUTH_CLIENT_SECRET: required when secrets.mode is "inline" and oauth.enabled is true, got nothing',
    );
  }
  problems.push(...secretSourceProblems(partial, oauthOn));
  if (partial.argocd?.enabled && !partial.argocd.repoURL) {
    problems.push('argocd.repoURL: required while argocd.enabled is true, got nothing');
  }
  const librarySource = partial.library?.source;
  const podLevel = librarySource ? podSecurityLevel({ source: librarySource }) : undefined;
  const enforce = partial.podSecurity?.enforce;
  if (podLevel && enforce && enforce !== 'auto' && PSS_LEVELS.indexOf(enforce) < PSS_LEVELS.indexOf(podLevel)) {
    problems.push(
      `podSecurity.enforce: "${enforce}" would reject the immich-server pod, whose library.source "${librarySource}" needs "${podLevel}"; use "${podLevel}", "auto" or another library source, got "${enforce}"`,
    );
  }
  if (!result.success || problems.length > 0) throw new ConfigError(source, problems);

  const parsed = result.output;
  const secretValues: SecretValues | undefined =
    inline && dbPassword ? { dbPassword, oauthClientSecret: oauthOn ? oauthClientSecret : undefined } : undefined;
  return {
    ...parsed,
    host: parsed.host ?? `immich.${parsed.domain}`,
    oauth: {
      ...parsed.oauth,
      issuerUrl: parsed.oauth.issuerUrl ?? `https://auth.${parsed.domain}/application/o/immich/`,
    },
    podSecurity: {
      enforce: parsed.podSecurity.enforce === 'auto' ? podSecurityLevel(parsed.library) : parsed.podSecurity.enforce,
    },
    ...(secretValues ? { secretValues } : {}),
  };
}

/**
 * The strongest Pod Security Standard all pods meet. Only the photo library varies: an inline NFS
 * volume is not in the restricted list of volume types, a hostPath volume is not even baseline.
 */
export function podSecurityLevel(library: { readonly source: LibraryConfig['source'] }): PssLevel {
  if (library.source === 'hostPath') return 'privileged';
  return library.source === 'nfs' ? 'baseline' : 'restricted';
}

/** Keys the chosen secrets mode needs but the configuration lacks. */
function secretSourceProblems(partial: DeepPartial<Parsed>, oauthOn: boolean): string[] {
  const mode = partial.secrets?.mode;
  const missing = (key: string, when: string) => `${key}: required when ${when}, got nothing`;
  const problems: string[] = [];
  if (mode === 'external-secrets') {
    const external = partial.secrets?.externalSecrets;
    const when = 'secrets.mode is "external-secrets"';
    if (!external?.storeRef?.name) problems.push(missing('secrets.externalSecrets.storeRef.name', when));
    if (!external?.dbPassword) problems.push(missing('secrets.externalSecrets.dbPassword', when));
    if (oauthOn && !external?.oauthClientSecret) {
      problems.push(missing('secrets.externalSecrets.oauthClientSecret', `${when} and oauth.enabled is true`));
    }
  }
  if (mode === 'sealed-secrets') {
    const sealed = partial.secrets?.sealedSecrets;
    const when = 'secrets.mode is "sealed-secrets"';
    if (!sealed?.dbPassword) problems.push(missing('secrets.sealedSecrets.dbPassword', when));
    if (oauthOn && !sealed?.oauthClientSecret) {
      problems.push(missing('secrets.sealedSecrets.oauthClientSecret', `${when} and oauth.enabled is true`));
    }
  }
  return problems;
}

/**
 * Loads the configuration file named by `IMMICH_K8S_CONFIG` (default: the shipped example) and
 * applies the environment overrides. The only place input is checked.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const file = env.IMMICH_K8S_CONFIG || DEFAULT_CONFIG_FILE;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [
      `IMMICH_K8S_CONFIG: cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? 'error'}); it must name a readable YAML file`,
    ]);
  }
  return parseConfig(text, env, file);
}

/** Describes a possibly secret value without showing it. */
function redacted(value: unknown): string {
  return typeof value === 'string' ? `a ${value.length}-character value (not shown)` : describe(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function setPath(root: Record<string, unknown>, path: readonly string[], value: string): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}
