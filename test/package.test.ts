/**
 * The packed package, installed with npm into an empty folder as a user's repository would:
 * as a library, a cdk8s app built on it gives the same objects as the committed dist/ and the
 * same error for a bad configuration; as the `immich-k8s` command, it writes the same files.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../src/config';
import { readManifests, snapshotDir } from './support/files';
import { EXAMPLE_YAML, ROOT } from './support/synth';

/** A consumer app: synthesizes each configuration file named into out/<file>/, or says why not. */
const APP = `
const { readFileSync } = require('node:fs');
const { App } = require('cdk8s');
const { parse } = require('yaml');
const { ArgoCdChart, ConfigError, ImmichChart, parseConfig } = require('immich-k8s');

for (const file of process.argv.slice(2)) {
  try {
    const config = parseConfig(parse(readFileSync(file, 'utf8')));
    const app = new App({ outdir: 'out/' + file });
    new ImmichChart(app, 'photos', { config });
    if (config.argocd.enabled) new ArgoCdChart(app, 'photos-argocd', { config });
    app.synth();
  } catch (err) {
    console.error(file + ': ' + (err instanceof ConfigError ? 'ConfigError: ' : '') + err.message);
    process.exitCode = 1;
  }
}
`;

/** A configuration object the package must refuse. */
const BAD = { domain: 'bad_domain', storage: { data: { size: '10 GB' } } };

const TYPED_APP = `
import { App } from 'cdk8s';
import { ImmichChart, parseConfig, type Config } from 'immich-k8s';

const config: Config = parseConfig({ domain: 'photos.home.arpa' });
const chart: ImmichChart = new ImmichChart(new App(), 'photos', { config });
export const url: string = chart.machineLearningUrl;
// @ts-expect-error the chart takes a parsed configuration, not the raw object
new ImmichChart(new App(), 'raw', { config: { domain: 'photos.home.arpa' } });
`;

let dir: string;
let packed: { path: string }[];
/** One run of the app, on the example and on the bad configuration. */
let app: { status: number | null; stderr: string };
const run = (command: string, args: string[], cwd = dir) => {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'immich-k8s-app-'));
  const [pack] = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT)) as {
    filename: string;
    files: { path: string }[];
  }[];
  packed = pack!.files;
  const tarball = join(dir, pack!.filename);
  // A lock file naming the exact versions this project locks, so that npm installs offline from
  // its cache, as on any machine that ran `npm ci` here: the package and every package it depends
  // on (cdk8s, cdk8s-plus-28 and constructs among them), each unpacked into the folder as a user's
  // install would, with no other step.
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version: string; dependencies?: Record<string, string> }>;
  };
  const ours = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, any>;
  const own = Object.keys(ours.dependencies);
  const installed = (path: string, name: string) =>
    path === `node_modules/${name}` || path.startsWith(`node_modules/${name}/`);
  const locked = Object.fromEntries(
    Object.entries(lock.packages).filter(([path]) => own.some((name) => installed(path, name))),
  );
  const dependencies = { 'immich-k8s': `file:${tarball}` };
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'cluster', private: true, dependencies }));
  writeFileSync(
    join(dir, 'package-lock.json'),
    JSON.stringify({
      name: 'cluster',
      lockfileVersion: 3,
      requires: true,
      packages: {
        '': { name: 'cluster', dependencies },
        'node_modules/immich-k8s': {
          version: ours.version,
          resolved: `file:${tarball}`,
          bin: ours.bin,
          dependencies: ours.dependencies,
        },
        ...locked,
      },
    }),
  );
  run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund']);
  writeFileSync(join(dir, 'main.js'), APP);
  writeFileSync(join(dir, 'example.yaml'), EXAMPLE_YAML);
  writeFileSync(join(dir, 'bad.yaml'), JSON.stringify(BAD));
  app = spawnSync(process.execPath, ['main.js', 'example.yaml', 'bad.yaml'], { cwd: dir, encoding: 'utf8' });
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the package holds compiled JavaScript and type declarations, and no TypeScript source or test', () => {
  const paths = packed.map((f) => f.path);
  expect(paths).toEqual(expect.arrayContaining(['package.json', 'lib/src/index.js', 'lib/src/index.d.ts']));
  // The command, the starter configuration, the schema it names and the reference it points to.
  expect(paths).toEqual(
    expect.arrayContaining([
      'lib/src/cli/bin.js',
      'templates/immich.yaml',
      'schema/immich-k8s.schema.json',
      'docs/configuration.md',
    ]),
  );
  expect(paths.filter((p) => /\.ts$/.test(p) && !p.endsWith('.d.ts'))).toEqual([]);
  expect(paths.filter((p) => /^(test|src|dist|config)\//.test(p))).toEqual([]);
  // No compiled file outlives its source (a stale lib/src/x.js would shadow lib/src/x/index.js).
  const orphans = paths.filter((p) => {
    const source = p.replace(/^lib\//, '').replace(/(\.d\.ts|\.js)$/, '.ts');
    return p.startsWith('lib/') && !existsSync(join(ROOT, source));
  });
  expect(orphans).toEqual([]);
});

test('a cdk8s app with ImmichChart from the installed package synthesizes exactly the objects of dist/', () => {
  expect(app.stderr).not.toContain('example.yaml:');
  const out = join(dir, 'out', 'example.yaml');
  const key = (o: any) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const synthesized = readdirSync(out)
    .flatMap((f) => parseAllDocuments(readFileSync(join(out, f), 'utf8')).map((d) => d.toJS()))
    .sort((a, b) => key(a).localeCompare(key(b)));
  const committed = readManifests(join(ROOT, 'dist'))
    .map((m) => m.object)
    .sort((a, b) => key(a).localeCompare(key(b)));
  expect(synthesized.length).toBeGreaterThan(20);
  expect(synthesized).toEqual(committed);
});

test('a bad configuration object gets the same error as from synth, as a ConfigError', () => {
  expect(app.status).not.toBe(0);
  const expected = (() => {
    try {
      parseConfig(BAD);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('expected the configuration to be rejected');
  })();
  expect(expected).toContain('domain: must be a lower-case DNS name');
  expect(app.stderr).toContain(`bad.yaml: ConfigError: ${expected}`);
});

test('the type declarations type a consumer app, and reject a raw object as the configuration', () => {
  const file = join(dir, 'app.ts');
  writeFileSync(file, TYPED_APP);
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    target: ts.ScriptTarget.ES2022,
    // A Node app: no DOM, and no @types/node, so the declarations must need neither.
    lib: ['lib.es2022.d.ts'],
    types: [],
  });
  const problems = ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0]);
  expect(problems).toEqual([]);
});

describe('the immich-k8s command of the installed package, in a git repository of configurations', () => {
  /** Runs the installed command as npm links it, in the repository (the install folder). */
  const command = (...args: string[]) =>
    spawnSync(join(dir, 'node_modules', '.bin', 'immich-k8s'), args, {
      cwd: dir,
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
    });
  /** Writes a configuration below the repository. */
  const put = (file: string, text: string) => {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text);
  };
  beforeAll(() => {
    spawnSync('git', ['init', '-q'], { cwd: dir });
  });

  test('npx finds the command; --version prints the version of the package', () => {
    const ours = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(run('npx', ['--offline', 'immich-k8s', '--version']).trim()).toBe(ours.version);
  });

  test('init writes a configuration naming the schema in node_modules, refused until its blanks are set, then valid', () => {
    const init = command('init');
    expect(init.status).toBe(0);
    const text = readFileSync(join(dir, 'immich.yaml'), 'utf8');
    const [first] = text.split('\n');
    expect(first).toBe('# yaml-language-server: $schema=node_modules/immich-k8s/schema/immich-k8s.schema.json');
    expect(existsSync(resolve(dir, 'node_modules/immich-k8s/schema/immich-k8s.schema.json'))).toBe(true);
    expect(command('validate').status).toBe(1);
    put(
      'immich.yaml',
      text
        .replace("domain: ''", 'domain: home.arpa')
        .replace(/# clientId: .*/, 'clientId: immich')
        .replace(/# repoURL: .*/, 'repoURL: https://git.home.arpa/ops.git')
        .replace('argocd:\n', 'argocd:\n  name: immich-home\n'),
    );
    expect(command('validate')).toMatchObject({ status: 0, stdout: expect.stringContaining('immich.yaml: valid') });
  });

  test('synth of the example writes exactly the committed dist/, the Application reading deploy/prod', () => {
    put('envs/prod.yaml', EXAMPLE_YAML);
    const result = command('synth', '--config', 'envs/prod.yaml', '--out', 'deploy/prod');
    expect(result.status).toBe(0);
    const expected = snapshotDir(join(ROOT, 'dist'));
    const application = 'argocd/90-application-immich.yaml';
    const text = Buffer.from(expected[application]!, 'base64').toString('utf8');
    expected[application] = Buffer.from(text.replace('    path: dist\n', '    path: deploy/prod\n')).toString('base64');
    expect(snapshotDir(join(dir, 'deploy', 'prod'))).toEqual(expected);
  });

  test('a second environment gets a folder and an Application of its own', () => {
    expect(command('synth', '--out', 'deploy/home').status).toBe(0);
    const app = readFileSync(join(dir, 'deploy', 'home', 'argocd', '90-application-immich-home.yaml'), 'utf8');
    expect(app).toContain('  name: immich-home\n');
    expect(app).toContain('    path: deploy/home\n');
    expect(existsSync(join(dir, 'deploy', 'prod', 'argocd', '90-application-immich.yaml'))).toBe(true);
  });

  test('a bad configuration exits 1 listing every problem and leaves deploy/prod byte-identical', () => {
    const before = snapshotDir(join(dir, 'deploy', 'prod'));
    put('envs/prod.yaml', 'domain: bad_domain\nstorage: { data: { size: 10 GB } }\n');
    const result = command('synth', '--config', 'envs/prod.yaml', '--out', 'deploy/prod');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('domain: must be a lower-case DNS name');
    expect(result.stderr).toContain('storage.data.size: must be a Kubernetes quantity');
    expect(result.stderr).not.toContain('    at ');
    expect(snapshotDir(join(dir, 'deploy', 'prod'))).toEqual(before);
    expect(command('validate', '--config', 'envs/prod.yaml').status).toBe(1);
  });
});
