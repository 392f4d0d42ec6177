/** Loading: YAML, environment overrides, checks across keys and one error listing every problem. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as v from 'valibot';
import { parseDocument } from 'yaml';
import { type Config, type LibraryConfig, type Parsed, PSS_LEVELS, type PssLevel, configSchema } from './schema';
import { databaseProblems } from './database';
import { volumeBackupProblems } from './backup';
import { scalingProblems } from './scaling';
import { accelerationProblems } from './acceleration';
import { inlineSecretValues, secretProblems, secretWarnings } from './secrets';
import type { DeepPartial } from './primitives';

/** Environment variables of the reference deployment and the config key each one overrides. */
export const ENV_OVERRIDES = {
  BASE_DOMAIN: ['domain'],
  IMMICH_VERSION: ['immich', 'version'],
  TZ: ['timezone'],
  IMMICH_LOG_LEVEL: ['immich', 'logLevel'],
  IMMICH_DB_ENGINE: ['database', 'engine'],
  IMMICH_DB_USERNAME: ['database', 'username'],
  IMMICH_DB_DATABASE_NAME: ['database', 'name'],
  IMMICH_OAUTH_CLIENT_ID: ['oauth', 'clientId'],
  IMMICH_SECRETS_MODE: ['secrets', 'mode'],
} as const satisfies Record<string, readonly string[]>;

/** Where the shipped example configuration lives, relative to the project root. */
export const DEFAULT_CONFIG_FILE = 'config/example.yaml';

/** The object a YAML document describes; a malformed document is a ConfigError. */
function parseYaml(yamlText: string, source: string): unknown {
  const doc = parseDocument(yamlText, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      // Pretty errors start with "<what> at line L, column C:" followed by a source excerpt.
      doc.errors.map((e) => `${source}: malformed YAML: ${e.message.split('\n')[0]?.replace(/:$/, '')}`),
    );
  }
  return doc.toJS() ?? {};
}

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
 * Parses and validates a configuration given as YAML text or as the object it describes, plus
 * environment overrides (secret values and the ENV_OVERRIDES; none unless passed, so a library
 * caller's process environment is never read by accident). Collects every problem into one
 * ConfigError.
 */
export function parseConfig(config: string | object, env: NodeJS.ProcessEnv = {}, source = 'config'): Config {
  const raw: unknown = typeof config === 'string' ? parseYaml(config, source) : config;
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
  problems.push(...secretProblems(partial, env));
  problems.push(...databaseProblems(partial.database, partial.backup?.database?.enabled));
  problems.push(...volumeBackupProblems(partial.backup?.volumes));
  problems.push(...scalingProblems(partial));
  problems.push(...accelerationProblems(partial));
  problems.push(...publishedTargetProblems(partial.networkPolicy));
  if (partial.secrets?.mode === 'inline' && partial.argocd?.enabled && !partial.argocd.allowInlineSecrets) {
    problems.push(
      'secrets.mode: "inline" writes plaintext Secrets into dist/, which argocd.enabled syncs from git; use "external-secrets" or "sealed-secrets", or set argocd.allowInlineSecrets: true if that repository is yours alone, got "inline"',
    );
  }
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
  const secretValues = parsed.secrets.mode === 'inline' ? inlineSecretValues(parsed, env) : undefined;
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
    backup: {
      ...parsed.backup,
      // CloudNativePG's backups replace Immich's dump, which would need a superuser.
      database: {
        ...parsed.backup.database,
        enabled: parsed.backup.database.enabled ?? parsed.database.engine === 'bundled',
      },
    },
    ...(secretValues ? { secretValues } : {}),
    warnings: [...configWarnings(parsed), ...secretWarnings(parsed)],
  };
}

/** A destination reached through the ingress controller needs its entry points. */
function publishedTargetProblems(policy: DeepPartial<Parsed['networkPolicy']> | undefined): string[] {
  if (policy?.ingressController?.ports?.length !== 0) return [];
  const targets: [string, boolean | undefined][] = [
    ['cloudnativePg.objectStore', policy.cloudnativePg?.objectStore?.viaIngressController],
    ['volumeBackups', policy.volumeBackups?.viaIngressController],
  ];
  return targets
    .filter(([, via]) => via)
    .map(
      ([key]) =>
        `networkPolicy.${key}.viaIngressController: needs the ingress controller's entry points, but networkPolicy.ingressController.ports is empty; list them there, or set this to false, got true`,
    );
}

/** Entry points of the Traefik Helm chart, which share Traefik's default 60 s read timeout. */
const SHARED_ENTRY_POINTS = ['web', 'websecure'];

/** What works but deserves attention: each warning names the key and the fix. */
function configWarnings(parsed: Parsed): string[] {
  const warnings: string[] = [];
  const shared = parsed.ingress.entryPoints.filter((name) => SHARED_ENTRY_POINTS.includes(name));
  if (shared.length > 0 && !parsed.ingress.readTimeoutRaised) {
    warnings.push(
      `ingress.entryPoints: ${shared.map((n) => `"${n}"`).join(', ')} keeps Traefik's default 60 s readTimeout, which cuts large video uploads; raise transport.respondingTimeouts.readTimeout of that entry point (see the README) and set ingress.readTimeoutRaised: true, or use an entry point of its own`,
    );
  }
  // The shipped example's placeholders synthesize fine but point at nothing.
  const placeholders: [string, string | undefined][] = [
    ['domain', parsed.domain],
    ['host', parsed.host],
    ['library.server', parsed.library.source === 'nfs' ? parsed.library.server : undefined],
    ['argocd.repoURL', parsed.argocd.enabled ? parsed.argocd.repoURL : undefined],
  ];
  for (const [key, value] of placeholders) {
    if (value && /(^|[./@])example\.(com|org|net)([/:]|$)/.test(value)) {
      warnings.push(`${key}: "${value}" is the example's placeholder; set your own`);
    }
  }
  return warnings;
}

/**
 * The strongest Pod Security Standard all pods meet. Only the photo library varies: a hostPath
 * volume is not even baseline; an NFS export is mounted through a claim, which restricted allows.
 */
export function podSecurityLevel(library: { readonly source: LibraryConfig['source'] }): PssLevel {
  return library.source === 'hostPath' ? 'privileged' : 'restricted';
}

/**
 * Loads the configuration file named by `IMMICH_K8S_CONFIG` (default: the shipped example) and
 * applies the environment overrides. The only place input is checked.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const file = env.IMMICH_K8S_CONFIG || DEFAULT_CONFIG_FILE;
  // `npm run` starts in the project root; a relative path means the folder the user typed it in.
  const path = env.IMMICH_K8S_CONFIG ? resolve(env.INIT_CWD ?? process.cwd(), file) : file;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
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
