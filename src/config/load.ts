/** Loading: YAML, environment overrides, checks across keys and one error listing every problem. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { distance } from 'fastest-levenshtein';
import * as v from 'valibot';
import { LineCounter, type YAMLError, isMap, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import { type Config, type LibraryConfig, type Parsed, PSS_LEVELS, type PssLevel, configSchema } from './schema';
import { databaseProblems } from './database';
import { volumeBackupProblems } from './backup';
import { scalingProblems } from './scaling';
import { accelerationProblems } from './acceleration';
import { type RouteConfig, resolveRoute, routeProblems } from './ingress';
import { type DeepPartial, schemaShapes, takeListsOutOfMappings } from './primitives';
import { inlineSecretValues, secretProblems, secretWarnings } from './secrets';

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

/**
 * Variables that only fill their key when the file leaves it out. Shells and CI images set `TZ`
 * for their own reasons; a file that names its time zone must give the same output everywhere.
 */
export const ENV_FALLBACKS: readonly (keyof typeof ENV_OVERRIDES)[] = ['TZ'];

/** Where the shipped example configuration lives, relative to the project root. */
export const DEFAULT_CONFIG_FILE = 'config/example.yaml';

/** The object a YAML document describes; a malformed document is a ConfigError. */
function parseYaml(yamlText: string, source: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { prettyErrors: true, uniqueKeys: true, lineCounter });
  if (doc.errors.length === 0) return doc.toJS() ?? {};
  const lineOf = (offset: number) => lineCounter.linePos(offset).line;
  // A tab in the indentation makes the parser misread what follows it too: one message says it all.
  const tabLines = [...new Set(doc.errors.filter((e) => e.code === 'TAB_AS_INDENT').map((e) => lineOf(e.pos[0])))];
  if (tabLines.length > 0) {
    const lines = tabLines.length === 1 ? `line ${tabLines[0]}` : `lines ${tabLines.join(', ')}`;
    throw new ConfigError(source, [`${source}: ${lines}: tabs are not allowed for indentation in YAML; use spaces`]);
  }
  throw new ConfigError(
    source,
    doc.errors.map((e) =>
      e.code === 'DUPLICATE_KEY'
        ? duplicateKeyProblem(doc, e, lineOf, source)
        : // Pretty errors start with "<what> at line L, column C:" followed by a source excerpt.
          `${source}: malformed YAML: ${e.message.split('\n')[0]?.replace(/:$/, '')}`,
    ),
  );
}

/** Names a repeated key by its path and the lines of both. */
function duplicateKeyProblem(
  doc: ReturnType<typeof parseDocument>,
  error: YAMLError,
  lineOf: (offset: number) => number,
  source: string,
): string {
  const line = lineOf(error.pos[0]);
  let problem = `${source}: malformed YAML: a key is set twice, at line ${line}; keep one`;
  visit(doc, {
    Pair(_, pair, ancestors) {
      if (!isScalar(pair.key) || pair.key.range?.[0] !== error.pos[0]) return undefined;
      const keys: string[] = [];
      for (const [i, node] of ancestors.entries()) {
        if (isPair(node)) keys.push(String(isScalar(node.key) ? node.key.value : node.key));
        if (isSeq(node)) keys.push(String(node.items.indexOf(ancestors[i + 1])));
      }
      const name = pair.key.value;
      const map = ancestors.at(-1);
      const first = isMap(map) ? map.items.find((p) => isScalar(p.key) && p.key.value === name) : undefined;
      const firstLine = isScalar(first?.key) && first.key.range ? lineOf(first.key.range[0]) : line;
      const where = firstLine === line ? `on line ${line}` : `at lines ${firstLine} and ${line}`;
      problem = `${[...keys, String(name)].join('.')}: set twice, ${where} of ${source}; keep one`;
      return visit.BREAK;
    },
  });
  return problem;
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
 * ConfigError. Prints nothing: the overrides applied come back as `notes`, for the caller to show.
 */
export function parseConfig(config: string | object, env: NodeJS.ProcessEnv = {}, source = 'config'): Config {
  const raw: unknown = typeof config === 'string' ? parseYaml(config, source) : config;
  if (typeof raw !== 'object' || Array.isArray(raw) || raw === null) {
    throw new ConfigError(source, [`${source}: must be a YAML mapping of keys, got ${describe(raw)}`]);
  }

  const input = structuredClone(raw) as Record<string, unknown>;
  const { fromEnv, notes } = applyOverrides(input, env);
  const lists = takeListsOutOfMappings(configSchema, input);

  const result = v.safeParse(configSchema, input, { abortPipeEarly: true });
  const problems: string[] = [];
  const refused = new Set<string>();
  for (const issue of result.issues ?? []) {
    const keys = (issue.path ?? []).map((item) => String(item.key));
    const key = keys.join('.') || '(root)';
    refused.add(key);
    const envName = fromEnv.get(key);
    const label = envName ? `${envName} (${key})` : key;
    if (issue.expected === 'never') {
      const hint = didYouMean(keys);
      problems.push(
        `${label}: unknown key; ${hint ? `did you mean ${hint}? ` : ''}${issue.message}, got "${keys.at(-1)}"`,
      );
      continue;
    }
    const list = lists.get(key);
    const got = list
      ? `a list ${describe(list)}`
      : key.startsWith('secrets.sealedSecrets.')
        ? redacted(issue.input)
        : issue.type === 'array' && isMapping(issue.input)
          ? `a mapping ${describe(issue.input)}`
          : describe(issue.input);
    problems.push(`${label}: ${issue.message}, got ${got}`);
  }
  // Checks across keys and the environment, run on what parsed so far so one run lists everything.
  const ownProblems = problems.length;
  const partial = result.output as DeepPartial<Parsed>;
  problems.push(...secretProblems(partial, env));
  problems.push(...databaseProblems(partial.database, partial.backup?.database?.enabled));
  problems.push(
    ...volumeBackupProblems(partial.backup?.volumes, partial.storage, partial.database?.cloudnativePg?.logicalBackup),
  );
  problems.push(...scalingProblems(partial));
  problems.push(...accelerationProblems(partial));
  problems.push(...publishedTargetProblems(partial.networkPolicy));
  problems.push(...routeProblems(partial.ingress));
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
  // A key refused above is missing from what parsed, so a check across keys would call it unset too.
  const shown = problems.filter((p, i) => i < ownProblems || !refused.has(p.slice(0, p.indexOf(':'))));
  if (!result.success || shown.length > 0) throw new ConfigError(source, shown);

  const parsed = result.output;
  const secretValues = parsed.secrets.mode === 'inline' ? inlineSecretValues(parsed, env) : undefined;
  const ingress = resolveRoute(parsed.ingress);
  return {
    ...parsed,
    host: parsed.host ?? `immich.${parsed.domain}`,
    ingress,
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
    notes,
    warnings: [...configWarnings(parsed, ingress), ...secretWarnings(parsed)],
  };
}

/**
 * Sets the keys the environment overrides (a fallback only where the file leaves its key out).
 * Returns which variable set each key, and one note per key whose value changed: the output then
 * never depends on the shell without saying so. Secret values are no overrides and never noted.
 */
function applyOverrides(input: Record<string, unknown>, env: NodeJS.ProcessEnv) {
  const fromEnv = new Map<string, string>();
  const notes: string[] = [];
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const previous = getPath(input, path);
    const fallback = ENV_FALLBACKS.includes(name as keyof typeof ENV_OVERRIDES);
    if ((fallback && previous !== undefined) || previous === value) continue;
    setPath(input, path, value);
    const key = path.join('.');
    fromEnv.set(key, name);
    // Quoted unless plain, so that a value with spaces or line breaks still makes one line.
    const shown = /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
    notes.push(
      previous === undefined
        ? `${name}=${shown} sets ${key} (the file leaves it out)`
        : `${name}=${shown} overrides ${key} (the file says ${describe(previous)})`,
    );
  }
  return { fromEnv, notes };
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
function configWarnings(parsed: Parsed, route: RouteConfig): string[] {
  const warnings: string[] = [];
  const shared =
    route.kind === 'ingressroute' ? route.entryPoints.filter((name) => SHARED_ENTRY_POINTS.includes(name)) : [];
  if (route.kind === 'ingressroute' && shared.length > 0 && !route.readTimeoutRaised) {
    warnings.push(
      `ingress.entryPoints: ${shared.map((n) => `"${n}"`).join(', ')} keeps Traefik's default 60 s readTimeout, which cuts large video uploads; raise transport.respondingTimeouts.readTimeout of that entry point (see docs/routes.md#ingressroute) and set ingress.readTimeoutRaised: true, or use an entry point of its own`,
    );
  }
  // Documentation domains synthesize fine but point at nothing.
  const placeholders: [string, string | undefined][] = [
    ['domain', parsed.domain],
    ['host', parsed.host],
    ['library.server', parsed.library.source === 'nfs' ? parsed.library.server : undefined],
    ['argocd.repoURL', parsed.argocd.enabled ? parsed.argocd.repoURL : undefined],
  ];
  for (const [key, value] of placeholders) {
    if (!value || !/(^|[./@])example\.(com|org|net)([/:]|$)/.test(value)) continue;
    const what =
      value === EXAMPLE_PLACEHOLDERS[key] ? "the example's placeholder" : 'a documentation domain (RFC 2606)';
    warnings.push(`${key}: "${value}" is ${what}; set your own`);
  }
  return warnings;
}

/** The shipped example's own placeholders, by key (config/example.yaml; a test holds them equal). */
export const EXAMPLE_PLACEHOLDERS: Readonly<Record<string, string>> = {
  domain: 'example.com',
  'library.server': 'nas.example.com',
  'argocd.repoURL': 'https://git.example.com/home/immich-k8s.git',
};

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
  return parseConfig(readConfigText(file, path, 'IMMICH_K8S_CONFIG'), env, file);
}

/**
 * The text of a configuration file, or a ConfigError naming `key` (where the path came from:
 * `IMMICH_K8S_CONFIG`, the CLI's `--config`), the path as given and the absolute path tried.
 */
export function readConfigText(file: string, path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const tried = resolve(path);
    throw new ConfigError(file, [
      `${key}: cannot read "${file}"${tried === file ? '' : ` at ${tried}`} (${(err as NodeJS.ErrnoException).code ?? 'error'}); it must name a readable YAML file`,
    ]);
  }
}

let shapes: ReturnType<typeof schemaShapes> | undefined;
/** The shape of every key path of the schema, read on first use. */
const schemaPaths = () => (shapes ??= schemaShapes(configSchema));

/**
 * Known keys close to an unknown one, quoted: the nearest key beside it, or keys of that name, or
 * close to it, elsewhere in the schema (a `workers` at the top is `server.workers`). A key beside
 * it wins when it is one edit away or no farther than any elsewhere.
 */
function didYouMean(keys: readonly string[]): string | undefined {
  const paths = [...schemaPaths().values()].map(({ path }) => path).filter((path) => path.length > 0);
  const key = keys.at(-1) ?? '';
  // Two edits cover a swapped pair of letters; short keys allow fewer, so that suggestions stay plausible.
  const limit = Math.min(3, Math.floor(key.length / 3));
  const nearest = (candidates: readonly (readonly string[])[]) => {
    const scored = candidates
      .map((path) => ({ path, d: distance(key.toLowerCase(), (path.at(-1) ?? '').toLowerCase()) }))
      .filter(({ d }) => d <= limit);
    const d = Math.min(...scored.map((s) => s.d));
    return { d, paths: scored.filter((s) => s.d === d).map((s) => s.path) };
  };
  const parent = keys.slice(0, -1);
  const beside = nearest(
    paths.filter(
      (path) =>
        path.length === keys.length && path.at(-1) !== key && parent.every((k, i) => path[i] === k || path[i] === '*'),
    ),
  );
  // A path through a list or a map cannot be written as one key path, so it is not offered.
  const elsewhere = nearest(paths.filter((path) => !path.includes('*') && path.join('.') !== keys.join('.')));
  const [sibling] = beside.paths;
  if (sibling && beside.d <= Math.max(1, elsewhere.d)) return `"${sibling.at(-1)}"`;
  if (elsewhere.paths.length === 0 || elsewhere.paths.length > 3) return undefined;
  return elsewhere.paths.map((path) => `"${path.join('.')}"`).join(' or ');
}

function isMapping(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

function getPath(root: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
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
