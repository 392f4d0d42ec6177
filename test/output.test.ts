import { linkSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Yaml } from 'cdk8s';
import { YamlCache, bundleKey, exactJson } from '../src/lib/yaml-cache';
import { type Manifest, writeManifests } from '../src/output';
import { snapshotDir } from './support/files';
import { synth } from './support/synth';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'immich-k8s-output-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const MANIFESTS = synth();

describe('the YAML cache', () => {
  const file = () => join(dir, 'main.js.yaml-cache');
  /** A renderer that counts its calls, around cdk8s's. */
  const counting = () => {
    const render = jest.fn((object: object) => Yaml.stringify(object));
    return render;
  };

  test("gives cdk8s's text for every object, rendered on the first run and read back on the next", () => {
    const first = counting();
    const cold = YamlCache.open(file(), 'code-1', first);
    const texts = MANIFESTS.map((m) => cold.yaml(m.object));
    cold.save();
    expect(first).toHaveBeenCalledTimes(MANIFESTS.length);
    expect(texts).toEqual(MANIFESTS.map((m) => Yaml.stringify(m.object)));

    const second = counting();
    const warm = YamlCache.open(file(), 'code-1', second);
    expect(MANIFESTS.map((m) => warm.yaml(JSON.parse(JSON.stringify(m.object))))).toEqual(texts);
    expect(second).not.toHaveBeenCalled();
  });

  test('renders a changed object afresh and keeps only the objects of the last run', () => {
    const object = { kind: 'ConfigMap', data: { TZ: 'UTC' } };
    const before = YamlCache.open(file(), 'code-1');
    before.yaml(object);
    before.yaml({ kind: 'Secret' });
    before.save();

    const render = counting();
    const after = YamlCache.open(file(), 'code-1', render);
    expect(after.yaml({ kind: 'ConfigMap', data: { TZ: 'Europe/Berlin' } })).toContain('TZ: Europe/Berlin');
    expect(render).toHaveBeenCalledTimes(1);
    after.save();
    const saved = readFileSync(file(), 'utf8');
    expect(saved).toContain('Europe/Berlin');
    expect(saved).not.toContain('Secret');
  });

  test('ignores a cache written by other code, and a damaged one', () => {
    const written = YamlCache.open(file(), 'code-1');
    written.yaml({ kind: 'Namespace' });
    written.save();

    const render = counting();
    YamlCache.open(file(), 'code-2', render).yaml({ kind: 'Namespace' });
    expect(render).toHaveBeenCalledTimes(1);

    for (const damage of ['[["{\\"kind\\":', '{}', '[["{\\"kind\\":\\"Namespace\\"}", 7]]']) {
      writeFileSync(file(), `code-1\n${damage}`);
      const damaged = counting();
      expect(YamlCache.open(file(), 'code-1', damaged).yaml({ kind: 'Namespace' })).toBe('kind: Namespace\n');
      expect(damaged).toHaveBeenCalledTimes(1);
    }
  });

  test('never keeps a Secret, so that inline values stay out of build/', () => {
    const cache = YamlCache.open(file(), 'code-1');
    const secret = { apiVersion: 'v1', kind: 'Secret', stringData: { password: 'pw-123' } };
    expect(cache.yaml(secret)).toBe(Yaml.stringify(secret));
    cache.yaml({ kind: 'Namespace' });
    cache.save();
    expect(readFileSync(file(), 'utf8')).not.toContain('pw-123');
    expect(readFileSync(file(), 'utf8')).toContain('Namespace');
  });

  test('writes nothing when the run rendered exactly the cached objects', () => {
    const run = (kinds: string[]) => {
      const cache = YamlCache.open(file(), 'code-1');
      for (const kind of kinds) cache.yaml({ kind });
      cache.save();
      return statSync(file()).ino; // save() writes a new file and renames it over the old one
    };
    const first = run(['Namespace', 'ConfigMap']);
    expect(run(['ConfigMap', 'Namespace'])).toBe(first);
    expect(run(['Namespace'])).not.toBe(first);
  });

  test.each([
    ['undefined, which cdk8s writes as null', { a: undefined }, {}],
    ['-0', { a: -0 }, { a: 0 }],
    ['NaN', { a: Number.NaN }, { a: null }],
    ['a Date', { a: new Date(0) }, { a: '1970-01-01T00:00:00.000Z' }],
  ])('never takes %s for the value whose JSON it shares', (_name, object, lookalike) => {
    expect(JSON.stringify(object)).toBe(JSON.stringify(lookalike));
    expect(exactJson(object)).toBeUndefined();
    const cache = YamlCache.open(file(), 'code-1');
    expect(cache.yaml(lookalike)).toBe(Yaml.stringify(lookalike));
    expect(cache.yaml(object)).toBe(Yaml.stringify(object));
    expect(Yaml.stringify(object)).not.toBe(Yaml.stringify(lookalike));
  });

  test('tells plain values apart by their JSON, key order included', () => {
    expect(exactJson({ a: 1, b: ['x', true, null, { c: 1.5 }] })).toBe('{"a":1,"b":["x",true,null,{"c":1.5}]}');
    expect(exactJson({ b: 1, a: 1 })).not.toBe(exactJson({ a: 1, b: 1 }));
    // JSON would hold what toJSON() returns, not the object: rendered afresh, not trusted to JSON.
    expect(exactJson({ a: { toJSON: () => 'x', b: 1 } })).toBeUndefined();
  });

  test('is keyed by the bundle file, and not used for TypeScript sources', () => {
    const bundle = join(dir, 'main.js');
    writeFileSync(bundle, '1');
    const key = bundleKey(bundle);
    expect(key).toMatch(new RegExp(`^1:[\\d.]+:\\d+:${process.version.replace(/\./g, '\\.')}$`));
    writeFileSync(bundle, '22');
    expect(bundleKey(bundle)).not.toBe(key);
    expect(bundleKey(join(dir, 'main.ts'))).toBeUndefined();
  });
});

describe('writing over a previous output', () => {
  const write = (manifests: readonly Manifest[], out: string, previous?: string) =>
    writeManifests(manifests, join(dir, out), { previous: previous && join(dir, previous) });

  test('links the files that did not change from the previous output and writes the others', () => {
    write(MANIFESTS, 'old');
    // A file edited by hand since, and one that is a symbolic link to somewhere else, are written afresh.
    writeFileSync(join(dir, 'old', '00-namespace-immich.yaml'), 'edited\n');
    rmSync(join(dir, 'old', '30-service-valkey.yaml'));
    symlinkSync(join(dir, 'elsewhere.yaml'), join(dir, 'old', '30-service-valkey.yaml'));
    writeFileSync(join(dir, 'elsewhere.yaml'), readFileSync(join(dir, 'old', '30-service-immich-server.yaml')));
    // A file also linked from outside the output is not shared with the new output either.
    linkSync(join(dir, 'old', '30-service-immich-machine-learning.yaml'), join(dir, 'outside.yaml'));

    const changed = synth({ timezone: 'Europe/Berlin' });
    write(changed, 'new', 'old');
    write(changed, 'fresh');
    expect(snapshotDir(join(dir, 'new'))).toEqual(snapshotDir(join(dir, 'fresh')));

    const inode = (folder: string, file: string) => lstatSync(join(dir, folder, file)).ino;
    const linked = [
      '10-networkpolicy-default-deny.yaml',
      '20-persistentvolumeclaim-immich-ml-cache.yaml',
      '30-service-immich-server.yaml',
    ];
    for (const file of linked) expect(inode('new', file)).toBe(inode('old', file));
    const written = [
      '00-namespace-immich.yaml',
      '30-service-valkey.yaml',
      '40-deployment-immich-server.yaml',
      '40-deployment-immich-machine-learning.yaml',
      '30-service-immich-machine-learning.yaml',
      'ARCHITECTURE.md',
    ];
    for (const file of written) {
      expect(lstatSync(join(dir, 'new', file)).isFile()).toBe(true);
      expect(inode('new', file)).not.toBe(inode('old', file));
    }
  });
});
