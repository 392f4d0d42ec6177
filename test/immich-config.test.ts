/**
 * The Immich system config file (`IMMICH_CONFIG_FILE`) of every scenario holds only keys Immich
 * knows, with values of the type it expects: Immich ignores an unknown key (it only logs
 * `Unknown keys found`) and refuses to start on a value of the wrong type.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCharts } from '../src/chart';
import { IMMICH_CONFIG_KEY, IMMICH_CONFIG_KEYS_AFTER_V3_1_0, NAMES } from '../src/constants';
import { renderImmichConfig } from '../src/immich-config';
import { renderCharts } from '../src/output';
import { SCENARIOS, scenarioConfig } from './support/modes';
import { ROOT } from './support/synth';

/** `GET /api/system-config/defaults` of a real Immich v3.1.0 server: every key, with its default. */
const DEFAULTS: unknown = JSON.parse(
  readFileSync(join(ROOT, 'test', 'fixtures', 'immich-v3.1.0', 'system-config-defaults.json'), 'utf8'),
);

const typeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** Keys of a config file Immich does not know, and values whose type differs from Immich's default. */
function configFileProblems(file: unknown, defaults: unknown = DEFAULTS, path = ''): string[] {
  const at = path || '(the file)';
  if (typeOf(file) !== typeOf(defaults)) return [`${at}: ${typeOf(file)} where Immich has ${typeOf(defaults)}`];
  if (Array.isArray(file)) {
    const [element] = defaults as unknown[];
    return element === undefined ? [] : file.flatMap((item, i) => configFileProblems(item, element, `${path}[${i}]`));
  }
  if (typeOf(file) !== 'object') return [];
  return Object.entries(file as Record<string, unknown>).flatMap(([key, value]) => {
    const keyPath = path ? `${path}.${key}` : key;
    if (IMMICH_CONFIG_KEYS_AFTER_V3_1_0.includes(keyPath)) return [];
    const known = defaults as Record<string, unknown>;
    if (!Object.hasOwn(known, key)) return [`${keyPath}: not a key of Immich v3.1.0's config file`];
    return configFileProblems(value, known[key], keyPath);
  });
}

/** Leaf key paths of a config file. */
function leafPaths(file: unknown, path = ''): string[] {
  if (typeOf(file) !== 'object') return [path];
  return Object.entries(file as Record<string, unknown>).flatMap(([key, value]) =>
    leafPaths(value, path ? `${path}.${key}` : key),
  );
}

/** The config file as the secret operators write it: the client secret action filled in. */
const filled = (template: string) => template.replace(/\{\{.*?\}\}/g, JSON.stringify('client-secret'));

/**
 * Every gate scenario, plus OAuth off and OAuth on a plain-http issuer (which adds a key), with
 * each config file it yields: what `npm run immich-config` prints for `existing` mode, and the one
 * in the manifests (ConfigMap, Secret, or the ExternalSecret or SealedSecret template).
 */
const VARIANTS = [
  ...Object.entries(SCENARIOS),
  ['OAuth off', { overrides: { oauth: { enabled: false } } }],
  [
    'OAuth on a plain-http issuer, inline secrets',
    {
      overrides: {
        ...SCENARIOS['secrets mode inline']!.overrides,
        oauth: { clientId: 'immich', issuerUrl: 'http://auth.lan/o/immich/' },
      },
    },
  ],
] as const;

const FILES = VARIANTS.flatMap(([name, scenario]) => {
  const config = scenarioConfig(scenario);
  const charts = buildCharts(config);
  const objects: any[] = renderCharts(charts).map((m) => m.object);
  const printed = renderImmichConfig(config, {
    machineLearningUrl: charts.app.machineLearningUrl,
    oauthClientSecret: 'client-secret',
  });
  const rendered = objects
    .filter((o) => o.metadata.name === NAMES.configSecret)
    .map((o): [string, string | undefined] => [
      o.kind,
      o.data?.[IMMICH_CONFIG_KEY] ??
        o.stringData?.[IMMICH_CONFIG_KEY] ??
        o.spec?.target?.template?.data?.[IMMICH_CONFIG_KEY] ??
        o.spec?.template?.data?.[IMMICH_CONFIG_KEY],
    ])
    .filter((entry): entry is [string, string] => entry[1] !== undefined);
  return [
    [`${name}: printed`, printed] as const,
    ...rendered.map(([kind, text]) => [`${name}: ${kind}`, filled(text)] as const),
  ];
});

test('the files cover every form: printed, ConfigMap, Secret, ExternalSecret and SealedSecret', () => {
  const forms = new Set(FILES.map(([name]) => name.slice(name.lastIndexOf(': ') + 2)));
  expect([...forms].sort()).toEqual(['ConfigMap', 'ExternalSecret', 'SealedSecret', 'Secret', 'printed']);
});

test('the variants reach the keys written only sometimes: the client secret, the plain-http issuer, transcoding', () => {
  const paths = new Set(FILES.flatMap(([, text]) => leafPaths(JSON.parse(text))));
  for (const key of ['oauth.clientSecret', 'oauth.allowInsecureRequests', 'ffmpeg.accel', 'ffmpeg.accelDecode'])
    expect(paths).toContain(key);
});

test.each(FILES)('%s: every key is one Immich v3.1.0 knows, with a value of its type', (_name, text) => {
  const file = JSON.parse(text);
  expect(leafPaths(file).length).toBeGreaterThanOrEqual(5);
  expect(configFileProblems(file)).toEqual([]);
});

test('the check fails on a misspelt key, a value of the wrong type and a list of the wrong items', () => {
  expect(
    configFileProblems({
      oauth: { enabled: true, autoLanuch: true },
      backup: { database: { keepLastAmount: 'fourteen' } },
      machineLearning: { urls: [3003] },
      ffmpeg: { accel: ['qsv'] },
    }),
  ).toEqual([
    "oauth.autoLanuch: not a key of Immich v3.1.0's config file",
    'backup.database.keepLastAmount: string where Immich has number',
    'machineLearning.urls[0]: number where Immich has string',
    'ffmpeg.accel: array where Immich has string',
  ]);
});
