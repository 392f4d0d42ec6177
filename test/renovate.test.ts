/**
 * renovate.json: its regex managers, read from the file itself and applied the way Renovate's
 * regex manager applies them (`any` and `recursive` strategies, constant templates), find the Immich
 * release, the digests beside it and every pinned image, and an update of each is self-contained.
 * Renovate's own validator checks the file in CI (.ci/run).
 * @see https://docs.renovatebot.com/modules/manager/regex/
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildCharts } from '../src/chart';
import { DEFAULT_IMMICH_VERSION, IMAGES } from '../src/constants';
import { podSpecOf } from '../src/lib/pss';
import { renderCharts } from '../src/output';
import { filesBelow } from './support/files';
import { SCENARIOS, scenarioConfig } from './support/modes';
import { EXAMPLE_YAML, ROOT, config, findOne, mainContainer, synth } from './support/synth';

interface Manager {
  customType: string;
  fileMatch: string[];
  matchStrings: string[];
  matchStringsStrategy?: 'any' | 'recursive' | 'combination';
  depNameTemplate?: string;
  datasourceTemplate?: string;
}
interface Dep {
  depName?: string;
  currentValue?: string;
  currentDigest?: string;
  datasource?: string;
  replaceString: string;
}

const renovate = JSON.parse(readFileSync(join(ROOT, 'renovate.json'), 'utf8'));
const MANAGERS: Manager[] = renovate.customManagers;
const FIELDS = ['depName', 'currentValue', 'currentDigest', 'datasource'] as const;

/** A template of constant text; Renovate's Handlebars would also fill in groups, which none uses. */
function template(text: string): string {
  if (text.includes('{{')) throw new Error(`template ${text} uses Handlebars, which this test does not run`);
  return text;
}

function dependency(groups: Record<string, string | undefined>, replaceString: string, manager: Manager): Dep {
  const dep: Dep = { replaceString };
  for (const field of FIELDS) {
    const tmpl = (manager as unknown as Record<string, string | undefined>)[`${field}Template`];
    const value = tmpl !== undefined ? template(tmpl) : groups[field];
    if (value) dep[field] = value;
  }
  return dep;
}

/** The dependencies one manager extracts from one file, in Renovate's order. */
function extract(manager: Manager, content: string): Dep[] {
  const regexes = manager.matchStrings.map((s) => new RegExp(s, 'g'));
  const strategy = manager.matchStringsStrategy ?? 'any';
  if (strategy === 'any') {
    return regexes.flatMap((re) => [...content.matchAll(re)].map((m) => dependency(m.groups ?? {}, m[0], manager)));
  }
  if (strategy !== 'recursive') throw new Error(`strategy ${strategy} is not mirrored here`);
  const recurse = (text: string, index: number, groups: Record<string, string | undefined>): Dep[] =>
    index === regexes.length
      ? [dependency(groups, text, manager)]
      : [...text.matchAll(regexes[index]!)].flatMap((m) => recurse(m[0], index + 1, { ...groups, ...m.groups }));
  return recurse(content, 0, {});
}

/** A dependency as Renovate reports it, without the text it replaces. */
function withoutReplaceString(dep: Dep): Omit<Dep, 'replaceString'> {
  const { depName, currentValue, currentDigest, datasource } = dep;
  return Object.fromEntries(Object.entries({ depName, currentValue, currentDigest, datasource }).filter(([, v]) => v));
}

/** Every dependency Renovate finds in a file of the repository, or in the given text at that path. */
function depsOf(path: string, content = readFileSync(join(ROOT, path), 'utf8')): Omit<Dep, 'replaceString'>[] {
  return MANAGERS.filter((m) => m.fileMatch.some((f) => new RegExp(f).test(path))).flatMap((m) =>
    extract(m, content).map((dep) => withoutReplaceString(dep)),
  );
}

const SERVER = 'ghcr.io/immich-app/immich-server';
const ML = 'ghcr.io/immich-app/immich-machine-learning';
const DIGEST = (c: string) => `sha256:${c.repeat(64)}`;
/** The example with the server and machine-learning digests pinned, each with its tag in a comment. */
const PINNED = EXAMPLE_YAML.replace(
  /^immich:\n {2}version: (\S+)\n/m,
  (_, v: string) =>
    `immich:\n  version: ${v}\n  digests:\n    server: ${DIGEST('1')} # ${v}\n    machineLearning: '${DIGEST('2')}' # ${v}-cuda\n`,
);
/** A ref as `name:tag@digest`. */
const ref = (dep: Omit<Dep, 'replaceString'>) =>
  `${dep.depName}:${dep.currentValue}${dep.currentDigest ? `@${dep.currentDigest}` : ''}`;

test('Renovate runs only these regex managers, each naming its image and the docker datasource', () => {
  expect(renovate.enabledManagers).toEqual(['custom.regex']);
  expect(MANAGERS.length).toBeGreaterThanOrEqual(5);
  for (const manager of MANAGERS) {
    expect(manager).toMatchObject({ customType: 'regex', datasourceTemplate: 'docker' });
    expect(manager.depNameTemplate ?? manager.matchStrings.join('')).toMatch(/ghcr\.io\/|\(\?<depName>/);
  }
});

test('no match string uses what RE2, the engine Renovate prefers, cannot run: lookaround or backreferences', () => {
  for (const source of MANAGERS.flatMap((m) => m.matchStrings)) expect(source).not.toMatch(/\(\?<?[=!]|\\[1-9]/);
});

test('immich.version is found in every configuration file of config/ and config/examples/, with the release it deploys', () => {
  const files = filesBelow(join(ROOT, 'config')).filter((f) => /\.ya?ml$/.test(f));
  expect(files).toEqual(expect.arrayContaining(['example.yaml', 'examples/home-ha.yaml']));
  for (const file of files) {
    expect(depsOf(`config/${file}`)).toEqual([
      { depName: SERVER, currentValue: config().immich.version, datasource: 'docker' },
    ]);
  }
});

test('the example pins the default release, and both are in the group Renovate moves together', () => {
  expect(config().immich.version).toBe(DEFAULT_IMMICH_VERSION);
  expect(depsOf('config/example.yaml')[0]!.depName).toBe(depsOf('src/constants.ts')[0]!.depName);
});

test('src/constants.ts yields the default release and every image pinned by digest', () => {
  const pinned = Object.values(IMAGES).filter((image) => image.includes('@sha256:'));
  expect(pinned.length).toBeGreaterThanOrEqual(3);
  const deps = depsOf('src/constants.ts');
  expect(deps[0]).toEqual({ depName: SERVER, currentValue: DEFAULT_IMMICH_VERSION, datasource: 'docker' });
  expect(deps.slice(1).map(ref).sort()).toEqual([...pinned].sort());
  for (const dep of deps.slice(1)) expect(dep.datasource).toBe('docker');
});

test('every image of every scenario is either an Immich image of immich.version or pinned where Renovate finds it', () => {
  const tracked = new Set(depsOf('src/constants.ts').map(ref));
  for (const scenario of Object.values(SCENARIOS)) {
    const scenarioed = scenarioConfig(scenario);
    const objects = renderCharts(buildCharts(scenarioed)).map((m) => m.object as any);
    const images = objects.flatMap((o) => [
      ...[...(podSpecOf(o)?.containers ?? []), ...(podSpecOf(o)?.initContainers ?? [])].map((c: any) => c.image),
      ...(o.kind === 'Cluster' ? [o.spec.imageName] : []),
    ]);
    expect(images.length).toBeGreaterThan(3);
    for (const image of images) {
      const immichTag = new RegExp(`^(${SERVER}|${ML}):([^@]+)`).exec(image)?.[2];
      if (immichTag) expect(immichTag.replace(/-[a-z]+$/, '')).toBe(scenarioed.immich.version);
      else expect({ image, tracked: tracked.has(image) }).toEqual({ image, tracked: true });
    }
  }
});

test('pinned digests are found with the tag in their comment, the machine-learning one with its backend suffix', () => {
  const version = config().immich.version;
  expect(depsOf('config/pinned.yaml', PINNED)).toEqual([
    { depName: SERVER, currentValue: version, datasource: 'docker' },
    { depName: SERVER, currentValue: version, currentDigest: DIGEST('1'), datasource: 'docker' },
    { depName: ML, currentValue: `${version}-cuda`, currentDigest: DIGEST('2'), datasource: 'docker' },
  ]);
  // What Renovate tracks is what synth renders from the same file.
  const [, server, ml] = depsOf('config/pinned.yaml', PINNED);
  const manifests = synth(parse(PINNED) as Record<string, unknown>);
  expect(mainContainer(findOne(manifests, 'Deployment', 'immich-server')).image).toBe(ref(server!));
  expect(mainContainer(findOne(manifests, 'Deployment', 'immich-machine-learning')).image).toBe(ref(ml!));
});

test('keys outside the immich section, and digests without their tag comment, are not taken for Immich images', () => {
  const other = `${PINNED}\nserver:\n  version: v1.0.0\n  server: ${DIGEST('3')} # v1.0.0\n`;
  expect(depsOf('config/pinned.yaml', other)).toEqual(depsOf('config/pinned.yaml', PINNED));
  const uncommented = PINNED.replace(/ # v[^\n]*/g, '');
  expect(depsOf('config/pinned.yaml', uncommented)).toEqual([
    { depName: SERVER, currentValue: config().immich.version, datasource: 'docker' },
  ]);
});

test('the updates of one release apply in any order, each confirmed on its own, as Renovate writes a branch', () => {
  // Renovate replaces currentValue and currentDigest inside each replaceString, one upgrade after
  // another, and after each re-extracts the file to confirm that dependency now has the new values.
  const managers = MANAGERS.filter((m) => m.fileMatch.some((f) => new RegExp(f).test('config/pinned.yaml')));
  const upgrades = managers.flatMap((manager) =>
    extract(manager, PINNED).map((dep, index) => ({
      manager,
      index,
      dep,
      newValue: dep.currentValue!.replace(/^v\d+\.\d+\.\d+/, 'v9.0.0'),
      newDigest: dep.currentDigest && DIGEST(dep.depName === SERVER ? '4' : '5'),
    })),
  );
  expect(upgrades).toHaveLength(3);
  for (const order of [upgrades, [...upgrades].reverse(), [upgrades[1]!, upgrades[0]!, upgrades[2]!]]) {
    let content = PINNED;
    for (const { manager, index, dep, newValue, newDigest } of order) {
      const at = content.indexOf(dep.replaceString);
      expect(at).toBeGreaterThanOrEqual(0);
      let replaced = dep.replaceString.replace(dep.currentValue!, newValue);
      if (dep.currentDigest && newDigest) replaced = replaced.replace(dep.currentDigest, newDigest);
      content = content.slice(0, at) + replaced + content.slice(at + dep.replaceString.length);
      expect(extract(manager, content)[index]).toMatchObject({
        currentValue: newValue,
        ...(newDigest ? { currentDigest: newDigest } : {}),
      });
    }
    expect(depsOf('config/pinned.yaml', content).map(ref)).toEqual([
      `${SERVER}:v9.0.0`,
      `${SERVER}:v9.0.0@${DIGEST('4')}`,
      `${ML}:v9.0.0-cuda@${DIGEST('5')}`,
    ]);
  }
});

test('one pull request moves the server and machine-learning images together', () => {
  const names = new Set([...depsOf('config/pinned.yaml', PINNED), ...depsOf('src/constants.ts')].map((d) => d.depName));
  const group = renovate.packageRules.find((rule: any) => rule.groupName);
  expect(group.matchPackageNames.sort()).toEqual([ML, SERVER]);
  expect([...names].filter((name) => group.matchPackageNames.includes(name)).sort()).toEqual([ML, SERVER]);
});

test('no PostgreSQL major release is proposed for either postgres image: that needs a dump and restore', () => {
  const postgres = depsOf('src/constants.ts')
    .map((d) => d.depName!)
    .filter((name) => /postgres|vectorchord/.test(name));
  expect(postgres).toHaveLength(2);
  const off = renovate.packageRules.find((rule: any) => rule.enabled === false);
  expect(off).toMatchObject({ matchUpdateTypes: ['major'] });
  expect([...off.matchPackageNames].sort()).toEqual([...postgres].sort());
});
