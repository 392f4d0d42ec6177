/**
 * The `immich-k8s` command, run in this process on repositories of a user's own: a git repository
 * holding configuration files and the folders synthesized from them. (The package test runs the
 * installed command itself.)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';
import { main } from '../src/cli';
import { snapshotDir } from './support/files';
import { EXAMPLE_YAML, ROOT } from './support/synth';

let repo: string;
beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'immich-k8s-repo-'));
  spawnSync('git', ['init', '-q'], { cwd: repo });
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

/** Runs one command line in `cwd` (the repository unless told), with only the environment given. */
function run(args: string[], env: NodeJS.ProcessEnv = {}, cwd = repo) {
  let stdout = '';
  let stderr = '';
  const status = main(args, {
    cwd,
    env,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { status, stdout, stderr };
}

/** Writes a file below the repository, creating its folders. */
function put(path: string, text: string): void {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  writeFileSync(join(repo, path), text);
}

/** The starter configuration with its three blanks filled in. */
const filled = (text: string, domain = 'home.arpa') =>
  text
    .replace("domain: ''", `domain: ${domain}`)
    .replace(/# clientId: .*/, 'clientId: immich')
    .replace(/# repoURL: .*/, 'repoURL: https://git.home.arpa/ops.git');

describe('the command line', () => {
  test('--help lists every command and every option; --version prints the package version', () => {
    const help = run(['--help']);
    expect(help.status).toBe(0);
    for (const command of ['init [DIR]', 'synth', 'validate', 'immich-config']) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command.replace(/[[\]]/g, '\\$&')} `, 'm'));
    }
    for (const option of ['-c, --config FILE', '-o, --out DIR', '-f, --force', '-h, --help', '-v, --version']) {
      expect(help.stdout).toContain(`  ${option} `);
    }
    expect(help.stdout.split('\n').filter((line) => line.length > 80)).toEqual([]);
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(run(['--version'])).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
  });

  test.each([
    [['synth', '--outt', 'deploy'], "Unknown option '--outt'"],
    [['deploy'], 'unknown command "deploy"; the commands are init, synth, validate, immich-config'],
    [['init', '--out', 'deploy'], 'init takes no --out'],
    [['validate', 'immich.yaml'], 'validate takes no arguments, got immich.yaml'],
    [['synth', '--config'], "Option '-c, --config <value>' argument missing"],
    [[], 'a command is required'],
  ])('%j is a usage error: exit status 2, the problem named, nothing written', (args, message) => {
    const { status, stderr } = run(args);
    expect(status).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain('Run "immich-k8s --help"');
    expect(existsSync(join(repo, 'deploy'))).toBe(false);
  });
});

describe('init', () => {
  test('writes a starter configuration whose first line names the shipped JSON Schema by a path that resolves from it', () => {
    expect(run(['init', 'envs']).status).toBe(0);
    const first = readFileSync(join(repo, 'envs', 'immich.yaml'), 'utf8').split('\n')[0]!;
    const [, path] = /^# yaml-language-server: \$schema=(\S+)$/.exec(first) ?? [];
    expect(path).toBeDefined();
    expect(resolve(repo, 'envs', path!)).toBe(join(ROOT, 'schema', 'immich-k8s.schema.json'));
    // The template leaves that line to init, which knows where the package is installed.
    expect(readFileSync(join(ROOT, 'templates', 'immich.yaml'), 'utf8')).not.toContain('$schema');
  });

  test('writes a .gitignore that keeps secret files and the leftovers of an interrupted synth out of git', () => {
    expect(run(['init']).status).toBe(0);
    const ignored = (path: string) => spawnSync('git', ['check-ignore', '-q', path], { cwd: repo }).status === 0;
    for (const path of [
      'immich-config.json',
      'envs/prod.secret.yaml',
      '.env',
      'deploy.next/x.yaml',
      'node_modules/x',
    ]) {
      expect([path, ignored(path)]).toEqual([path, true]);
    }
    expect(ignored('immich.yaml')).toBe(false);
    expect(ignored('deploy/00-namespace-immich.yaml')).toBe(false);
  });

  test('never overwrites a configuration: exit status 1 naming the file, which stays as it was, unless --force', () => {
    put('immich.yaml', 'domain: home.arpa\n');
    const refused = run(['init']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('immich.yaml: exists already and init never overwrites it');
    expect(readFileSync(join(repo, 'immich.yaml'), 'utf8')).toBe('domain: home.arpa\n');
    expect(existsSync(join(repo, '.gitignore'))).toBe(false);
    expect(run(['init', '--force']).status).toBe(0);
    expect(readFileSync(join(repo, 'immich.yaml'), 'utf8')).toContain("domain: ''");
  });

  test('keeps every line of an existing .gitignore and appends only the lines it lacks', () => {
    put('.gitignore', 'dist/\n.env');
    expect(run(['init']).status).toBe(0);
    const lines = readFileSync(join(repo, '.gitignore'), 'utf8').split('\n');
    expect(lines.slice(0, 2)).toEqual(['dist/', '.env']);
    expect(lines.filter((line) => line === '.env')).toHaveLength(1);
    expect(lines).toEqual(expect.arrayContaining(['immich-config.json', '*.secret.yaml', 'node_modules/']));
  });

  test('the starter configuration is refused until domain, oauth.clientId and argocd.repoURL are set, each named once', () => {
    run(['init']);
    const refused = run(['validate']);
    expect(refused.status).toBe(1);
    const problems = refused.stderr.split('\n').filter((line) => line.startsWith('  - '));
    expect(problems.map((p) => p.slice(4, p.indexOf(':')))).toEqual(['domain', 'oauth.clientId', 'argocd.repoURL']);
    expect(refused.stderr).toContain('domain: must be a lower-case DNS name like "example.com", got ""');
  });

  test('once its blanks are set, the starter configuration validates, with no placeholder left, and its JSON Schema agrees', () => {
    run(['init']);
    const text = filled(readFileSync(join(repo, 'immich.yaml'), 'utf8'));
    put('immich.yaml', text);
    const result = run(['validate']);
    expect(result).toMatchObject({
      status: 0,
      stdout: expect.stringMatching(/^immich\.yaml: valid, \d+ manifests\n$/),
    });
    expect(result.stderr).not.toMatch(/placeholder|documentation domain/);
    const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'immich-k8s.schema.json'), 'utf8'));
    const validate = new Ajv({ strict: true }).compile(schema);
    expect([validate(parse(text)), validate.errors]).toEqual([true, null]);
  });
});

describe('synth', () => {
  test('writes what npm run synth writes for the same configuration, but for the folder the Application reads', () => {
    put('envs/prod.yaml', EXAMPLE_YAML);
    const { status, stdout, stderr } = run(['synth', '--config', 'envs/prod.yaml', '--out', 'deploy/prod']);
    expect(status).toBe(0);
    expect(stdout).toContain('envs/prod.yaml: wrote ');
    // The example names dist/, the folder of this project's own Application.
    expect(stderr).toContain(
      `note: --out deploy/prod sets argocd.path to "deploy/prod", its folder in the repository at ${repo} (the file says "dist")`,
    );
    const expected = snapshotDir(join(ROOT, 'dist'));
    const application = 'argocd/90-application-immich.yaml';
    const text = Buffer.from(expected[application]!, 'base64').toString('utf8');
    expect(text).toContain('    path: dist\n');
    expected[application] = Buffer.from(text.replace('    path: dist\n', '    path: deploy/prod\n')).toString('base64');
    expect(snapshotDir(join(repo, 'deploy', 'prod'))).toEqual(expected);
  });

  test('two environments in one repository: each folder gets an Application of its own name that reads that folder', () => {
    const starter = (name: string, domain: string) =>
      filled(readFileSync(join(ROOT, 'templates', 'immich.yaml'), 'utf8'), domain)
        .replace('namespace: immich', `namespace: ${name}`)
        .replace('argocd:\n', `argocd:\n  name: ${name}\n`);
    put('envs/prod.yaml', starter('immich', 'home.arpa'));
    put('envs/staging.yaml', starter('immich-staging', 'staging.home.arpa'));
    for (const env of ['prod', 'staging']) {
      expect(run(['synth', '-c', `envs/${env}.yaml`, '-o', `deploy/${env}`]).status).toBe(0);
    }
    const application = (env: string, name: string) =>
      parse(readFileSync(join(repo, 'deploy', env, 'argocd', `90-application-${name}.yaml`), 'utf8'));
    expect(application('prod', 'immich')).toMatchObject({
      metadata: { name: 'immich' },
      spec: { source: { path: 'deploy/prod' }, destination: { namespace: 'immich' } },
    });
    expect(application('staging', 'immich-staging')).toMatchObject({
      metadata: { name: 'immich-staging' },
      spec: { source: { path: 'deploy/staging' }, destination: { namespace: 'immich-staging' } },
    });
  });

  test('run from a subfolder, the Application still reads the output by its path from the repository root', () => {
    put('ops/immich.yaml', filled(readFileSync(join(ROOT, 'templates', 'immich.yaml'), 'utf8')));
    expect(run(['synth', '--out', 'out'], {}, join(repo, 'ops')).status).toBe(0);
    const app = parse(readFileSync(join(repo, 'ops', 'out', 'argocd', '90-application-immich.yaml'), 'utf8'));
    expect(app.spec.source.path).toBe('ops/out');
  });

  test('fails with exit status 1 on a bad configuration, listing every problem, and leaves the output byte-identical', () => {
    put('immich.yaml', filled(readFileSync(join(ROOT, 'templates', 'immich.yaml'), 'utf8')));
    expect(run(['synth']).status).toBe(0);
    const before = snapshotDir(join(repo, 'deploy'));
    put('immich.yaml', 'domain: bad_domain\nstorage: { data: { size: 10 GB } }\n');
    const { status, stderr } = run(['synth']);
    expect(status).toBe(1);
    expect(stderr).toContain('domain: must be a lower-case DNS name like "example.com", got "bad_domain"');
    expect(stderr).toContain('storage.data.size: must be a Kubernetes quantity');
    expect(snapshotDir(join(repo, 'deploy'))).toEqual(before);
  });

  test('an override from the environment is noted on stderr and applied, as with npm run synth', () => {
    put('immich.yaml', filled(readFileSync(join(ROOT, 'templates', 'immich.yaml'), 'utf8')));
    const { status, stderr } = run(['synth'], { IMMICH_VERSION: 'v3.2.0' });
    expect(status).toBe(0);
    expect(stderr).toContain('note: IMMICH_VERSION=v3.2.0 sets immich.version (the file leaves it out)');
    expect(readFileSync(join(repo, 'deploy', '40-deployment-immich-server.yaml'), 'utf8')).toContain(':v3.2.0');
  });

  test.each([
    ['.', 'is the folder synth runs in'],
    ['envs', 'holds the configuration file envs/immich.yaml'],
    ['notes', 'holds files synth did not write'],
    ['notes/todo.txt', 'is a file'],
  ])('refuses --out %s, whose files it would replace (%s), and leaves them as they were', (out, message) => {
    put('envs/immich.yaml', filled(readFileSync(join(ROOT, 'templates', 'immich.yaml'), 'utf8')));
    put('notes/todo.txt', 'mine\n');
    const before = snapshotDir(repo);
    const { status, stderr } = run(['synth', '--config', 'envs/immich.yaml', '--out', out]);
    expect(status).toBe(1);
    expect(stderr).toContain(`--out: "${out}" ${message}`);
    expect(snapshotDir(repo)).toEqual(before);
  });

  test('outside a git repository the Application reads argocd.path as the file sets it, else --out from where synth runs, with a warning', () => {
    const folder = mkdtempSync(join(tmpdir(), 'immich-k8s-plain-'));
    try {
      const config = filled(readFileSync(join(ROOT, 'templates', 'immich.yaml'), 'utf8'));
      writeFileSync(join(folder, 'immich.yaml'), config);
      const derived = run(['synth', '--out', 'deploy/prod'], {}, folder);
      expect(derived.stderr).toContain(
        'warning: argocd.path: no git repository holds deploy/prod, so the Application reads "deploy/prod"',
      );
      const path = () =>
        parse(readFileSync(join(folder, 'deploy', 'prod', 'argocd', '90-application-immich.yaml'), 'utf8')).spec.source
          .path;
      expect(path()).toBe('deploy/prod');
      writeFileSync(
        join(folder, 'immich.yaml'),
        config.replace('argocd:\n', 'argocd:\n  path: clusters/home/immich\n'),
      );
      const explicit = run(['synth', '--out', 'deploy/prod'], {}, folder);
      expect(explicit).toMatchObject({ status: 0, stderr: expect.not.stringContaining('argocd.path') });
      expect(path()).toBe('clusters/home/immich');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

test('validate checks the configuration and writes nothing', () => {
  put('immich.yaml', filled(readFileSync(join(ROOT, 'templates', 'immich.yaml'), 'utf8')));
  const before = snapshotDir(repo);
  expect(run(['validate']).status).toBe(0);
  expect(snapshotDir(repo)).toEqual(before);
});

test("immich-config prints Immich's config file with the client secret from the environment", () => {
  cpSync(join(ROOT, 'config', 'example.yaml'), join(repo, 'immich.yaml'));
  const { status, stdout } = run(['immich-config'], { IMMICH_OAUTH_CLIENT_SECRET: 's3cret' });
  expect(status).toBe(0);
  expect(JSON.parse(stdout).oauth).toMatchObject({ clientId: 'immich', clientSecret: 's3cret' });
  const missing = run(['immich-config']);
  expect(missing).toMatchObject({ status: 1, stdout: '' });
  expect(missing.stderr).toContain('IMMICH_OAUTH_CLIENT_SECRET: required to render the config file');
});
