/**
 * The JSON Schema editors read (schema/immich-k8s.schema.json, generated from the valibot schema)
 * agrees with synth: it accepts every configuration the project ships and refuses the typical
 * mistakes synth refuses. What it cannot say is listed here by name, each with an example.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { configSchema, parseConfig } from '../src/config';
import { EXAMPLE, EXAMPLE_YAML, ROOT } from './support/synth';
import { CNPG_BACKUP, PLAINTEXT, SCENARIOS } from './support/modes';

const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'immich-k8s.schema.json'), 'utf8'));
// Strict: no keyword the standard does not define, no type left implicit.
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

/** Where ajv finds a problem, as synth names keys: `storage.data.sise`. */
function schemaProblems(config: unknown): string[] {
  if (validate(config)) return [];
  return (validate.errors ?? []).map((e) => {
    const path = e.instancePath.split('/').slice(1);
    if (e.keyword === 'additionalProperties') path.push(String(e.params.additionalProperty));
    if (e.keyword === 'required') path.push(String(e.params.missingProperty));
    return path.join('.');
  });
}

/** The problems synth reports, by key; none when it accepts the configuration. */
function synthProblems(config: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(config as object, env, 'test');
    return [];
  } catch (err) {
    return (err as { problems?: string[] }).problems ?? [String(err)];
  }
}

/** The example with some top-level sections replaced. */
const withSections = (sections: Record<string, unknown>) => ({ ...EXAMPLE, ...sections });

test('config/example.yaml names the schema on its first line, for editors', () => {
  expect(EXAMPLE_YAML.split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/immich-k8s.schema.json');
});

test.each(readdirSync(join(ROOT, 'config', 'examples')).filter((f) => f.endsWith('.yaml')))(
  'config/examples/%s names the schema on its first line, by a path that leads to it',
  (file) => {
    const first = readFileSync(join(ROOT, 'config', 'examples', file), 'utf8').split('\n')[0] ?? '';
    const [, path] = /^# yaml-language-server: \$schema=(\S+)$/.exec(first) ?? [];
    expect(path && existsSync(join(ROOT, 'config', 'examples', path))).toBe(true);
  },
);

test('the schema accepts config/example.yaml', () => {
  expect(schemaProblems(parse(EXAMPLE_YAML))).toEqual([]);
});

test.each(Object.entries(SCENARIOS))(
  'the schema accepts the configuration of the gate scenario "%s"',
  (_, scenario) => {
    const config = withSections(scenario.overrides);
    expect(synthProblems(config, PLAINTEXT)).toEqual([]);
    expect(schemaProblems(config)).toEqual([]);
  },
);

test('every key has a description or its parent describes it, and every described default is a valid value', () => {
  const undescribedSections: string[] = [];
  const walk = (node: any, path: string[]) => {
    for (const [key, child] of Object.entries<any>(node.properties ?? {})) {
      if (child.properties && !child.description && path.length > 0) undescribedSections.push([...path, key].join('.'));
      walk(child, [...path, key]);
    }
  };
  walk(schema, []);
  expect(undescribedSections).toEqual([]);
  // Spot checks that the doc comments reached the schema, with the defaults of the valibot schema.
  expect(schema.properties.namespace).toMatchObject({
    default: 'immich',
    description: expect.stringMatching(/^Namespace/),
  });
  expect(schema.properties.storage.properties.data.properties.size).toMatchObject({
    default: '100Gi',
    description: 'Requested capacity.',
  });
  expect(schema.properties.host.description).toContain('Default: "immich.<domain>".');
});

/** Mistakes users make, each refused by synth and by the schema at the same key. */
const MISTAKES: [string, Record<string, unknown>, string][] = [
  ['an unknown top-level key', { ...EXAMPLE, domian: 'example.com' }, 'domian'],
  ['an unknown key in a section', withSections({ storage: { data: { sise: '10Gi' } } }), 'storage.data.sise'],
  ['a value outside an enum', withSections({ machineLearning: { backend: 'nvidia' } }), 'machineLearning.backend'],
  ['a string where a number goes', withSections({ machineLearning: { replicas: '2' } }), 'machineLearning.replicas'],
  ['a string where a boolean goes', withSections({ networkPolicy: { enabled: 'yes' } }), 'networkPolicy.enabled'],
  ['a negative count', withSections({ machineLearning: { replicas: -1 } }), 'machineLearning.replicas'],
  ['a fraction where a whole number goes', withSections({ server: { replicas: 1.5 } }), 'server.replicas'],
  [
    'a port out of range',
    withSections({ networkPolicy: { serverEgress: { ports: [70000] } } }),
    'networkPolicy.serverEgress.ports.0',
  ],
  ['an upper-case namespace', { ...EXAMPLE, namespace: 'Immich' }, 'namespace'],
  ['a list where a mapping goes', withSections({ storage: ['data'] }), 'storage'],
  ['a quantity with a space', withSections({ storage: { data: { size: '10 GB' } } }), 'storage.data.size'],
  ['an empty list of entry points', withSections({ ingress: { entryPoints: [] } }), 'ingress.entryPoints'],
  [
    'an empty label selector',
    withSections({ networkPolicy: { dns: { podSelector: {} } } }),
    'networkPolicy.dns.podSelector',
  ],
  ['no domain', Object.fromEntries(Object.entries(EXAMPLE).filter(([k]) => k !== 'domain')), 'domain'],
  ['an empty domain, as init leaves it', { ...EXAMPLE, domain: '' }, 'domain'],
  ['an unknown library source', withSections({ library: { source: 'smb', path: '/photos' } }), 'library.source'],
];

test.each(MISTAKES)('the schema refuses %s, as synth does, at the same key', (_, config, key) => {
  const fromSynth = synthProblems(config);
  expect(fromSynth.some((p) => p.startsWith(`${key}:`) || p.includes(`(${key})`))).toBe(true);
  expect(schemaProblems(config)).toContain(key);
});

/**
 * Checks inside the valibot schema that JSON Schema cannot state (functions of one value or of one
 * section). Each rule names the keys it guards and an input only synth refuses.
 */
const UNSTATED_CHECKS: { rule: string; keys: RegExp; example: Record<string, unknown>; message: string }[] = [
  {
    rule: 'a quantity is greater than zero',
    keys: /\.(size|capacity|cacheCapacity|cpu|memory)$/,
    example: { storage: { data: { size: '0' } } },
    message: 'storage.data.size: must be greater than zero',
  },
  {
    rule: 'requests do not exceed limits',
    keys: /(^|\.)resources(\.\w+)?$/,
    example: { resources: { server: { requests: { memory: '8Gi' } } } },
    message: 'resources.server.requests.memory: must not exceed the memory limit "4Gi"',
  },
  {
    rule: 'immich.version is a release tag, a floating one only with immich.allowFloatingTag',
    keys: /^immich$/,
    example: { immich: { version: 'latest' } },
    message: 'immich.version: is a floating tag',
  },
  {
    rule: 'timezone is an IANA time zone spelled as in the tz database',
    keys: /^timezone$/,
    example: { timezone: 'europe/berlin' },
    message: 'timezone: must be spelled as in the tz database: "Europe/Berlin"',
  },
  {
    rule: 'a CIDR is an IPv4 or IPv6 range',
    keys: /\.cidrs\.\*$/,
    example: { networkPolicy: { serverEgress: { cidrs: ['10.0.0.0/33'] } } },
    message: 'networkPolicy.serverEgress.cidrs.0: must be an IPv4 or IPv6 CIDR',
  },
  {
    rule: 'a trusted proxy is an IP address or CIDR',
    keys: /^immich\.trustedProxies\.\*$/,
    example: { immich: { trustedProxies: ['proxy.local'] } },
    message: 'immich.trustedProxies.0: must be an IP address or CIDR',
  },
  {
    rule: 'a toleration has a value only with operator Equal',
    keys: /\.tolerations\.\*$/,
    example: { machineLearning: { gpu: { tolerations: [{ key: 'gpu', value: 'yes' }] } } },
    message: 'machineLearning.gpu.tolerations.0: value is only allowed with operator "Equal"',
  },
  {
    rule: 'TLS comes from a cert resolver or a Secret, not both',
    keys: /^ingress\.tls$/,
    example: { ingress: { tls: { certResolver: 'letsencrypt', secretName: 'immich-tls' } } },
    message: 'ingress.tls: set certResolver or secretName, not both',
  },
  {
    rule: 'a cron expression has valid fields',
    keys: /\.schedule$/,
    example: { backup: { volumes: { enabled: true, repositorySecret: 'restic', schedule: '0 25 * * *' } } },
    message: 'backup.volumes.schedule: must be a five-field cron expression',
  },
  {
    rule: 'a point in time is RFC 3339 with a zone',
    keys: /\.(restoreAsOf|targetTime)$/,
    example: {
      backup: {
        volumes: {
          enabled: true,
          repositorySecret: 'restic',
          restore: { enabled: true, restoreAsOf: '2026-11-26 08:00' },
        },
      },
    },
    message: 'backup.volumes.restore.restoreAsOf: must be an RFC 3339 time',
  },
  {
    rule: 'the CloudNativePG database owner is not the superuser',
    keys: /^database\.cloudnativePg\.owner$/,
    example: { database: { engine: 'cloudnative-pg', cloudnativePg: { owner: 'postgres' } } },
    message: 'database.cloudnativePg.owner: must not be "postgres"',
  },
  {
    rule: 'the object store Secret names two different keys',
    keys: /\.credentialsKeys$/,
    example: {
      database: {
        engine: 'cloudnative-pg',
        cloudnativePg: {
          backup: { ...CNPG_BACKUP, credentialsKeys: { accessKeyId: 'KEY', secretAccessKey: 'KEY' } },
        },
      },
      backup: {},
    },
    message: 'database.cloudnativePg.backup.credentialsKeys.secretAccessKey: must differ from accessKeyId',
  },
];

/** Key paths of every check and raw check in the valibot schema (`*` for any item or map key). */
function checkedKeys(): string[] {
  const found: string[] = [];
  const walk = (node: any, path: string[]) => {
    if (node.pipe?.some((a: any) => a.type === 'check' || a.type === 'raw_check')) found.push(path.join('.'));
    if (node.wrapped) walk(node.wrapped, path);
    for (const [key, child] of Object.entries(node.entries ?? {})) walk(child, [...path, key]);
    if (node.type === 'union' || node.type === 'variant') for (const option of node.options) walk(option, path);
    if (node.type === 'array') walk(node.item, [...path, '*']);
    if (node.type === 'record') walk(node.value, [...path, '*']);
  };
  walk(configSchema, []);
  return [...new Set(found)];
}

test('every check the JSON Schema cannot state belongs to exactly one rule listed here, and every rule guards a key', () => {
  const keys = checkedKeys();
  expect(keys.length).toBeGreaterThan(40);
  const unlisted = keys.filter((key) => UNSTATED_CHECKS.filter((r) => r.keys.test(key)).length !== 1);
  expect(unlisted).toEqual([]);
  const idle = UNSTATED_CHECKS.filter((r) => !keys.some((key) => r.keys.test(key))).map((r) => r.rule);
  expect(idle).toEqual([]);
});

test.each(UNSTATED_CHECKS.map((r) => [r.rule, r] as const))(
  'only synth refuses what breaks the rule "%s"',
  (_, { example, message }) => {
    const config = withSections(example);
    expect(schemaProblems(config)).toEqual([]);
    expect(synthProblems(config, PLAINTEXT)).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  },
);

/**
 * Rules across keys, checked after the schema (src/config/load.ts and the checks it calls): the
 * functions by name, then the rules written out in load.ts itself.
 */
const CROSS_KEY_RULES: { rule: string; example: Record<string, unknown>; env?: NodeJS.ProcessEnv; message: string }[] =
  [
    {
      rule: 'secretProblems',
      example: { oauth: { enabled: true } },
      message: 'oauth.clientId: required while oauth.enabled is true',
    },
    {
      rule: 'databaseProblems',
      example: { database: { cloudnativePg: { importFrom: 'bundled' } } },
      message: 'database.cloudnativePg.importFrom: only used with database.engine "cloudnative-pg"',
    },
    {
      rule: 'volumeBackupProblems',
      example: {
        backup: {
          ...(EXAMPLE.backup as object),
          volumes: { enabled: true, repositorySecret: 'restic', claims: ['thumbs'] },
        },
      },
      message: 'backup.volumes.claims: must include "data"',
    },
    {
      rule: 'scalingProblems',
      example: { server: { workers: 'split', replicas: 2 } },
      message: 'storage.data.accessModes:',
    },
    {
      rule: 'accelerationProblems',
      example: { transcoding: { hardwareDecoding: true } },
      message: 'transcoding.hardwareDecoding: needs transcoding.acceleration other than "none"',
    },
    {
      rule: 'publishedTargetProblems',
      example: { networkPolicy: { ingressController: { ports: [] }, volumeBackups: { viaIngressController: true } } },
      message: 'networkPolicy.volumeBackups.viaIngressController: needs the ingress controller',
    },
    {
      rule: 'routeProblems',
      example: { ingress: { kind: 'httproute' } },
      message: 'ingress.gateway.name: required with ingress.kind "httproute"',
    },
    {
      rule: 'inline secrets beside Argo CD need argocd.allowInlineSecrets',
      example: { secrets: { mode: 'inline' } },
      env: PLAINTEXT,
      message: 'secrets.mode: "inline" writes plaintext Secrets',
    },
    {
      rule: 'argocd.repoURL is required while argocd.enabled',
      example: { argocd: { enabled: true } },
      message: 'argocd.repoURL: required while argocd.enabled is true',
    },
    {
      rule: 'podSecurity.enforce admits the photo library',
      example: { library: { source: 'hostPath', path: '/srv/photos' }, podSecurity: { enforce: 'restricted' } },
      message: 'podSecurity.enforce: "restricted" would reject the immich-server pod',
    },
  ];

test('every function of checks across keys that parseConfig calls is listed here by name', () => {
  const load = readFileSync(join(ROOT, 'src', 'config', 'load.ts'), 'utf8');
  const called = [...load.matchAll(/problems\.push\(\s*\.\.\.(\w+)\(/g)].map((m) => m[1]);
  expect(called.sort()).toEqual(
    CROSS_KEY_RULES.map((r) => r.rule)
      .filter((r) => /^\w+$/.test(r))
      .sort(),
  );
});

test.each(CROSS_KEY_RULES.map((r) => [r.rule, r] as const))(
  'only synth refuses what breaks the rule across keys "%s"',
  (_, { example, env, message }) => {
    const config = withSections(example);
    expect(schemaProblems(config)).toEqual([]);
    expect(synthProblems(config, env)).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  },
);
