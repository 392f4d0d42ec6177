/** Messages of a configuration that cannot be used: each names the key, the value and the fix. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { distance } from 'fastest-levenshtein';
import { parse } from 'yaml';
import { EXAMPLE_PLACEHOLDERS, configSchema, loadConfig, parseConfig } from '../src/config';
import { schemaShapes } from '../src/config/primitives';
import { EXAMPLE_YAML, ROOT, configError } from './support/synth';

const MINIMAL = 'domain: photos.home.arpa\noauth: { clientId: immich }\n';
/** The problem lines of a rejected configuration. */
const problems = (yamlText: string) =>
  configError(yamlText)
    .split('\n')
    .filter((line) => line.startsWith('  - '))
    .map((line) => line.slice(4));
/** The problem about one key, or undefined. */
const problemAt = (yamlText: string, key: string) => problems(yamlText).find((p) => p.startsWith(`${key}: `));
/** Every key path the schema names, through no list or map. */
const PATHS = [...schemaShapes(configSchema).values()]
  .map(({ path }) => path)
  .filter((path) => path.length > 0 && !path.includes('*'));
/** A YAML flow mapping that puts `value` at `path`. */
const at = (path: readonly string[], value: string): string =>
  path.reduceRight((inner, key) => `{ ${key}: ${inner} }`, value).slice(2, -2);

describe('unknown keys', () => {
  test('fails on a misspelt key, suggesting the key beside it', () => {
    expect(problemAt(`${MINIMAL}server: { replcias: 2 }\n`, 'server.replcias')).toBe(
      'server.replcias: unknown key; did you mean "replicas"? allowed keys here: workers, replicas, microservicesReplicas, got "replcias"',
    );
  });

  test('fails on a key at the wrong level, suggesting the path where it belongs', () => {
    expect(problemAt(`${MINIMAL}workers: split\n`, 'workers')).toMatch(
      /^workers: unknown key; did you mean "server\.workers"\? allowed keys here: namespace, /,
    );
  });

  test('fails on a key that belongs in several sections, suggesting each', () => {
    expect(problemAt(`${MINIMAL}replicas: 2\n`, 'replicas')).toContain(
      'did you mean "server.replicas" or "machineLearning.replicas"?',
    );
  });

  test('fails on a misspelt key inside a list item, suggesting the key beside it', () => {
    const yaml = `${MINIMAL}machineLearning: { gpu: { tolerations: [{ oprator: Exists }] } }\n`;
    expect(problemAt(yaml, 'machineLearning.gpu.tolerations.0.oprator')).toContain('did you mean "operator"?');
  });

  test('fails on a key close to nothing without a suggestion', () => {
    expect(problemAt(`${MINIMAL}colour: blue\n`, 'colour')).not.toContain('did you mean');
  });

  // Every key of the schema, so that a new section is covered without a new test.
  test('every key of the schema, misspelt in its place, is answered with its own name', () => {
    const missed = PATHS.filter((path) => path.join('.') !== 'library.source').flatMap((path) => {
      const key = path.at(-1)!;
      const typo = [...path.slice(0, -1), `${key}${key.at(-1)}`];
      // The library's keys depend on its source; any source will do for the suggestion.
      const yaml = typo[0] === 'library' && typo[1] ? `library: { source: none, ${typo[1]}: 1 }` : at(typo, '1');
      // Only the domain beside it: other problems of the file do not matter here.
      const problem = problemAt(`domain: photos.home.arpa\n${yaml}\n`, typo.join('.'));
      return problem?.includes(`unknown key; did you mean "${key}"?`) ? [] : [`${path.join('.')}: ${problem}`];
    });
    expect(missed).toEqual([]);
  });

  test('every nested key put at the top level is answered with the paths of that name', () => {
    const topLevel = PATHS.filter((path) => path.length === 1).map(([key]) => key!);
    const names = new Set(PATHS.filter((path) => path.length > 1).map((path) => path.at(-1)!));
    const missed = [...names]
      .filter((name) => !topLevel.includes(name))
      .flatMap((name) => {
        const paths = PATHS.filter((path) => path.length > 1 && path.at(-1) === name).map((path) => path.join('.'));
        const problem = problemAt(`domain: photos.home.arpa\n${name}: 1\n`, name) ?? '';
        // One slip from a top-level key (`resource` for `resources`) is taken for that slip.
        const slip = topLevel.find((key) => distance(key.toLowerCase(), name.toLowerCase()) === 1);
        const expected = slip
          ? `did you mean "${slip}"?`
          : paths.length <= 3
            ? `did you mean ${paths.map((p) => `"${p}"`).join(' or ')}?`
            : undefined;
        const ok = expected ? problem.includes(expected) : !problem.includes('did you mean');
        return ok ? [] : [`${name}: expected ${expected ?? 'no suggestion'}, got ${problem}`];
      });
    expect(missed).toEqual([]);
  });
});

describe('lists and mappings', () => {
  test.each([
    [
      'monitoring: { labels: [a, b] }',
      'monitoring.labels: must be a mapping of labels like { release: kube-prometheus-stack }, got a list ["a","b"]',
    ],
    [
      'server: [a, b]',
      'server: must be a mapping with keys workers, replicas, microservicesReplicas, got a list ["a","b"]',
    ],
    ['server: []', 'server: must be a mapping with keys workers, replicas, microservicesReplicas, got a list []'],
    ['library: [nfs]', 'library: must have source "none", "pvc", "nfs" or "hostPath", got a list ["nfs"]'],
    [
      'machineLearning: { gpu: { tolerations: [[Exists]] } }',
      'machineLearning.gpu.tolerations.0: must be a mapping with keys key, operator, value, effect, got a list ["Exists"]',
    ],
  ])('fails when a list stands where a mapping belongs: %s', (yaml, problem) => {
    expect(problems(`${MINIMAL}${yaml}\n`)).toContain(problem);
  });

  // Valibot reads a list as the mapping of its indexes, which a map of labels would take.
  test('every mapping of the schema refuses a list', () => {
    const mappings = [...schemaShapes(configSchema).values()].filter(
      ({ path, shape }) => path.length > 0 && !path.includes('*') && (shape === 'object' || shape === 'record'),
    );
    expect(mappings.length).toBeGreaterThan(50);
    const missed = mappings.flatMap(({ path }) => {
      const problem = problemAt(`domain: photos.home.arpa\n${at(path, '[x]')}\n`, path.join('.'));
      return problem?.endsWith(', got a list ["x"]') ? [] : [`${path.join('.')}: ${problem}`];
    });
    expect(missed).toEqual([]);
  });

  test('fails when a mapping stands where a list belongs', () => {
    expect(problems(`${MINIMAL}ingress: { entryPoints: { websecure: true } }\n`)).toContain(
      'ingress.entryPoints: must be a list, got a mapping {"websecure":true}',
    );
  });
});

describe('malformed YAML', () => {
  test('fails when a key is repeated, naming its path and both lines', () => {
    const yaml = `${MINIMAL}server:\n  replicas: 2\n  workers: split\n  replicas: 3\n`;
    expect(problems(yaml)).toEqual(['server.replicas: set twice, at lines 4 and 6 of test.yaml; keep one']);
  });

  test('fails when a key of a list item is repeated, naming its index', () => {
    const yaml = `${MINIMAL}machineLearning:\n  gpu:\n    tolerations:\n      - { key: a, key: b }\n`;
    expect(problems(yaml)).toEqual([
      'machineLearning.gpu.tolerations.0.key: set twice, on line 6 of test.yaml; keep one',
    ]);
  });

  test('fails with one message naming the line when a tab indents a line', () => {
    // The parser alone reports this one tab four times over.
    expect(problems(`${MINIMAL}ingress:\n  entryPoints:\n    - web\n\t- websecure\n`)).toEqual([
      'test.yaml: line 6: tabs are not allowed for indentation in YAML; use spaces',
    ]);
  });

  test('fails with one message naming every line a tab indents', () => {
    expect(problems(`${MINIMAL}server:\n\treplicas: 2\n\tworkers: split\n`)).toEqual([
      'test.yaml: lines 4, 5: tabs are not allowed for indentation in YAML; use spaces',
    ]);
  });
});

describe('the configuration file', () => {
  test('fails when a relative IMMICH_K8S_CONFIG names a missing file, showing the absolute path tried', () => {
    expect(() => loadConfig({ IMMICH_K8S_CONFIG: 'mine.yaml', INIT_CWD: '/srv/nowhere' })).toThrow(
      'IMMICH_K8S_CONFIG: cannot read "mine.yaml" at /srv/nowhere/mine.yaml (ENOENT); it must name a readable YAML file',
    );
  });

  test('fails when an absolute IMMICH_K8S_CONFIG names a missing file, naming it once', () => {
    expect(() => loadConfig({ IMMICH_K8S_CONFIG: '/srv/nowhere/mine.yaml' })).toThrow(
      'IMMICH_K8S_CONFIG: cannot read "/srv/nowhere/mine.yaml" (ENOENT)',
    );
  });
});

describe('placeholder warnings', () => {
  test("the example's own placeholders are named as such", () => {
    const example = parse(EXAMPLE_YAML) as Record<string, unknown>;
    for (const [key, value] of Object.entries(EXAMPLE_PLACEHOLDERS)) {
      expect(key.split('.').reduce<any>((node, k) => node?.[k], example)).toBe(value);
    }
    const warnings = parseConfig(EXAMPLE_YAML, {}).warnings.filter((w) => /example\.(com|org|net)/.test(w));
    expect(warnings).toEqual(
      Object.entries(EXAMPLE_PLACEHOLDERS).map(
        ([key, value]) => `${key}: "${value}" is the example's placeholder; set your own`,
      ),
    );
  });

  test('another documentation domain is named as one', () => {
    const yaml = `${MINIMAL.replace('photos.home.arpa', 'example.org')}host: photos.example.net\nlibrary: { source: nfs, server: files.example.net, path: /photos }\n`;
    expect(parseConfig(yaml, {}).warnings).toEqual(
      expect.arrayContaining([
        'domain: "example.org" is a documentation domain (RFC 2606); set your own',
        'host: "photos.example.net" is a documentation domain (RFC 2606); set your own',
        'library.server: "files.example.net" is a documentation domain (RFC 2606); set your own',
      ]),
    );
  });
});

test("the configuration guide's example message is what synth prints for the file it describes", () => {
  const guide = readFileSync(join(ROOT, 'docs', 'configuration-guide.md'), 'utf8');
  const shown = /```\n(Invalid configuration \(config\/example\.yaml\):\n[^`]*)```/.exec(guide)?.[1];
  const file = `${EXAMPLE_YAML}storage: { data: { size: 10 GB } }\nserver: { replcias: 2 }\nmonitoring: { labels: [a, b] }\n`;
  expect(() => parseConfig(file, {}, 'config/example.yaml')).toThrow(
    shown?.trimEnd() ?? 'no example in docs/configuration-guide.md',
  );
});

test('fails once per key: a value its schema refuses is not reported again as missing by a check across keys', () => {
  const yaml = `domain: photos.home.arpa\noauth: { clientId: '' }\nargocd: { enabled: true, repoURL: '' }\n`;
  expect(problems(yaml)).toEqual([
    'oauth.clientId: must not be empty, got ""',
    'argocd.repoURL: must be a Git URL like "https://git.example.com/home/immich-k8s.git", got ""',
  ]);
});
