import { isAscii } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { filesBelow, runSynth, snapshotDir } from './support/files';
import { ROOT } from './support/synth';

/** One run of the app on the example, shared by the tests that start from a synthesized dist/. */
let baseline: { dir: string; status: number | null; stderr: string };
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'immich-k8s-baseline-'));
  cpSync(join(ROOT, 'config'), join(dir, 'config'), { recursive: true });
  baseline = { dir, ...runSynth(dir) };
});
afterAll(() => rmSync(baseline.dir, { recursive: true, force: true }));

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'immich-k8s-'));
  cpSync(join(ROOT, 'config'), join(work, 'config'), { recursive: true });
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

/** Puts the baseline's output in the work folder, as if synth had just run there. */
const synthesized = () => cpSync(join(baseline.dir, 'dist'), join(work, 'dist'), { recursive: true });

test('synth writes one file per object into dist/ from the example configuration', () => {
  expect(baseline.status).toBe(0);
  const files = readdirSync(join(baseline.dir, 'dist'));
  expect(files).toContain('00-namespace-immich.yaml');
  expect(files).toContain('40-statefulset-immich-postgres.yaml');
  expect(files).toContain('50-ingressroute-immich.yaml');
});

test('synth succeeds and prints a warning when the shared entry point keeps its upload read timeout', () => {
  expect(baseline.status).toBe(0);
  expect(baseline.stderr).toMatch(
    /^warning: ingress\.entryPoints: "websecure" keeps Traefik's default 60 s readTimeout/m,
  );
  writeFileSync(
    join(work, 'raised.yaml'),
    `${readFileSync(join(work, 'config', 'example.yaml'), 'utf8')}`.replace(
      'ingress:\n',
      'ingress:\n  readTimeoutRaised: true\n',
    ),
  );
  const raised = runSynth(work, { IMMICH_K8S_CONFIG: 'raised.yaml' });
  expect(raised.status).toBe(0);
  expect(raised.stderr).not.toContain('readTimeout');
  expect(raised.stderr).toMatch(/^warning: domain: "example\.com" is the example's placeholder; set your own$/m);
});

describe('the environment of the shell', () => {
  const serverTz = () =>
    /name: TZ\n\s+value: (\S+)/.exec(readFileSync(join(work, 'dist', '40-deployment-immich-server.yaml'), 'utf8'))?.[1];
  const notes = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('note:'));

  test('synth of the example prints no note', () => {
    expect(notes(baseline.stderr)).toEqual([]);
  });

  test('TZ leaves a file that sets timezone alone, and an override is noted on stderr with exit code 0', () => {
    const { status, stderr } = runSynth(work, { TZ: 'America/New_York', IMMICH_VERSION: 'v3.2.0' });
    expect(status).toBe(0);
    expect(notes(stderr)).toEqual([
      expect.stringMatching(
        /^note: IMMICH_VERSION=v3\.2\.0 overrides immich\.version \(the file says "v\d+\.\d+\.\d+"\)$/,
      ),
    ]);
    expect(serverTz()).toBe('UTC');
  });

  test('TZ fills a timezone the file leaves out, and says so on stderr', () => {
    const example = readFileSync(join(work, 'config', 'example.yaml'), 'utf8');
    writeFileSync(join(work, 'no-tz.yaml'), example.replace(/^timezone: .*\n/m, ''));
    const { status, stderr } = runSynth(work, { IMMICH_K8S_CONFIG: 'no-tz.yaml', TZ: 'America/New_York' });
    expect(status).toBe(0);
    expect(notes(stderr)).toEqual(['note: TZ=America/New_York sets timezone (the file leaves it out)']);
    expect(serverTz()).toBe('America/New_York');
  });
});

describe('a change of immich.version against the previous dist/', () => {
  const reminders = (stderr: string) => stderr.split('\n').filter((line) => line.includes('immich.version moves'));
  const release = () =>
    /immich-server:([^@\s]+)/.exec(readFileSync(join(work, 'dist', '40-deployment-immich-server.yaml'), 'utf8'))![1];

  test('prints one warning with the dump to take first, and none at the same release or without a previous dist/', () => {
    expect(reminders(baseline.stderr)).toEqual([]);
    synthesized();
    const from = release();
    const moved = runSynth(work, { IMMICH_VERSION: 'v9.0.0' });
    expect(moved.status).toBe(0);
    expect(reminders(moved.stderr)).toEqual([
      `warning: immich.version moves from ${from} to v9.0.0: Immich migrates its database when it starts and cannot undo that; dump it before you apply: kubectl -n immich exec immich-postgres-0 -- pg_dumpall --clean --if-exists --username=postgres | gzip > immich-before-v9.0.0.sql.gz (see docs/upgrades.md#before-an-immich-upgrade)`,
    ]);
    expect(release()).toBe('v9.0.0');
    expect(reminders(runSynth(work, { IMMICH_VERSION: 'v9.0.0' }).stderr)).toEqual([]);
  });

  test('on CloudNativePG with backups, names the base backup Argo CD takes and the command that takes it without Argo CD', () => {
    const example = readFileSync(join(work, 'config', 'example.yaml'), 'utf8');
    writeFileSync(
      join(work, 'cnpg.yaml'),
      example
        .replace(/^backup:\n( {2}.*\n)+/m, '')
        .concat(
          'database:\n  engine: cloudnative-pg\n  cloudnativePg:\n    backup:\n      destinationPath: s3://immich-backups/immich\n      credentialsSecret: immich-pg-backup-credentials\n',
        ),
    );
    const env = { IMMICH_K8S_CONFIG: 'cnpg.yaml' };
    expect(runSynth(work, env).status).toBe(0);
    const moved = runSynth(work, { ...env, IMMICH_VERSION: 'v9.0.0' });
    expect(moved.status).toBe(0);
    expect(reminders(moved.stderr)).toHaveLength(1);
    expect(reminders(moved.stderr)[0]).toContain(
      'Argo CD takes the base backup immich-pg-before-v9-0-0 first (with deploy/argocd-cm-backup-health.yaml in argocd-cm); with kubectl apply, first run: kubectl cnpg backup immich-pg -n immich --method plugin --plugin-name barman-cloud.cloudnative-pg.io --backup-name immich-pg-before-v9-0-0 && ',
    );
    expect(readdirSync(join(work, 'dist'))).toContain('50-backup-immich-pg-before-v9-0-0.yaml');
  });
});

test('synth output matches the committed dist/', () => {
  expect(snapshotDir(join(baseline.dir, 'dist'))).toEqual(snapshotDir(join(ROOT, 'dist')));
});

test('synth is deterministic: two runs give byte-identical output', () => {
  expect(runSynth(work).status).toBe(0);
  expect(snapshotDir(join(work, 'dist'))).toEqual(snapshotDir(join(baseline.dir, 'dist')));
});

test('fails with exit code 1 and leaves the previous dist/ byte-identical on a bad configuration', () => {
  synthesized();
  const before = snapshotDir(join(work, 'dist'));
  writeFileSync(join(work, 'bad.yaml'), 'domain: bad_domain\nstorage: { data: { size: 10 GB } }\n');
  const { status, stderr } = runSynth(work, { IMMICH_K8S_CONFIG: 'bad.yaml' });
  expect(status).toBe(1);
  expect(stderr).toContain('domain: must be a lower-case DNS name like "example.com", got "bad_domain"');
  expect(stderr).toContain('storage.data.size: must be a Kubernetes quantity');
  expect(stderr).not.toContain('    at '); // a list of problems, not a stack trace
  expect(snapshotDir(join(work, 'dist'))).toEqual(before);
});

test('fails and leaves dist/ untouched when inline secrets lack their values', () => {
  synthesized();
  const before = snapshotDir(join(work, 'dist'));
  const { status, stderr } = runSynth(work, { IMMICH_SECRETS_MODE: 'inline' });
  expect(status).toBe(1);
  expect(stderr).toContain('IMMICH_DB_PASSWORD: required');
  expect(snapshotDir(join(work, 'dist'))).toEqual(before);
});

test('fails when IMMICH_K8S_CONFIG names a missing file, showing the absolute path it tried', () => {
  const { status, stderr } = runSynth(work, { IMMICH_K8S_CONFIG: 'missing.yaml' });
  expect(status).toBe(1);
  expect(stderr).toContain(`IMMICH_K8S_CONFIG: cannot read "missing.yaml" at ${join(work, 'missing.yaml')} (ENOENT)`);
});

test('inline mode beside Argo CD is refused unless allowed explicitly', () => {
  const env = { IMMICH_SECRETS_MODE: 'inline', IMMICH_DB_PASSWORD: 'pw-123', IMMICH_OAUTH_CLIENT_SECRET: 'cs-456' };
  const refused = runSynth(work, env);
  expect(refused.status).toBe(1);
  expect(refused.stderr).toContain(
    'secrets.mode: "inline" writes plaintext Secrets into dist/, which argocd.enabled syncs from git',
  );
});

test('inline mode writes the Secrets only when asked to', () => {
  const example = readFileSync(join(work, 'config', 'example.yaml'), 'utf8');
  writeFileSync(
    join(work, 'inline.yaml'),
    example.replace('  enabled: true\n  repoURL', '  enabled: true\n  allowInlineSecrets: true\n  repoURL'),
  );
  const env = {
    IMMICH_K8S_CONFIG: 'inline.yaml',
    IMMICH_SECRETS_MODE: 'inline',
    IMMICH_DB_PASSWORD: 'pw-123',
    IMMICH_OAUTH_CLIENT_SECRET: 'cs-456',
  };
  expect(runSynth(work, env).status).toBe(0);
  const files = readdirSync(join(work, 'dist'));
  expect(files).toEqual(expect.arrayContaining(['10-secret-immich-db.yaml', '10-secret-immich-config.yaml']));
  expect(readFileSync(join(work, 'dist', '10-secret-immich-db.yaml'), 'utf8')).toContain('pw-123');
});

test('npm run synth runs the same bundle through a code cache, and ignores a cache made for another bundle', () => {
  const cache = join(ROOT, 'build', 'main.js.v8cache');
  writeFileSync(cache, Buffer.alloc(64, 7));
  const run = () =>
    spawnSync(process.execPath, [join(ROOT, 'scripts', 'run.cjs'), 'main'], {
      cwd: work,
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
    });
  expect(run().status).toBe(0);
  // The new cache names the very file it was made from.
  const { size, mtimeMs, ino } = statSync(join(ROOT, 'build', 'main.js'));
  expect(readFileSync(cache, 'latin1').split('\n', 1)[0]).toBe(`${size}:${mtimeMs}:${ino}`);
  rmSync(join(work, 'dist'), { recursive: true });
  expect(run().status).toBe(0);
  expect(snapshotDir(join(work, 'dist'))).toEqual(snapshotDir(join(baseline.dir, 'dist')));
});

test('the bundles are plain ASCII, which run.cjs decodes on its fast path', () => {
  for (const bundle of ['main.js', 'immich-config.js']) {
    expect(isAscii(readFileSync(join(ROOT, 'build', bundle)))).toBe(true);
  }
});

test('with no source changed since the last build, nothing is rebuilt', () => {
  const script =
    "import { buildApps, buildLib } from './scripts/build.cjs'; console.log(await buildApps(), buildLib());";
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  expect(result.stdout.trim()).toBe('false false');
});

test('a build removes compiled files whose source is gone, and keeps the others', () => {
  const src = join(work, 'src');
  const out = join(work, 'lib');
  for (const file of ['index.ts', 'architecture/index.ts']) {
    mkdirSync(dirname(join(src, file)), { recursive: true });
    writeFileSync(join(src, file), '');
  }
  const compiled = ['index.js', 'index.d.ts', 'architecture/index.js', 'architecture.js', 'architecture.d.ts'];
  for (const file of compiled) {
    mkdirSync(dirname(join(out, file)), { recursive: true });
    writeFileSync(join(out, file), '');
  }
  const script = `const { pruneOutputs } = require('./scripts/build.cjs'); console.log(JSON.stringify(pruneOutputs(${JSON.stringify(out)}, ${JSON.stringify(src)})));`;
  const result = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8' });
  expect(JSON.parse(result.stdout)).toEqual(expect.arrayContaining(['architecture.js', 'architecture.d.ts']));
  expect(filesBelow(out).sort()).toEqual(['architecture/index.js', 'index.d.ts', 'index.js']);
});

test('the committed dist/ holds no secret object', () => {
  const files = filesBelow(join(ROOT, 'dist'));
  expect(files.filter((f) => f.includes('-secret-'))).toEqual([]);
  for (const f of files) {
    expect(readFileSync(join(ROOT, 'dist', f), 'utf8')).not.toMatch(/^kind: Secret$/m);
  }
});

describe('the cdk8s CLI', () => {
  /** A home whose cached "latest version" makes the CLI announce an upgrade, without any network. */
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'immich-k8s-home-'));
    writeFileSync(join(home, '.cdk8s-cli.version'), '99.0.0');
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));
  const cli = (command: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(command, args, { cwd: ROOT, env: { PATH: process.env.PATH, HOME: home, ...env }, encoding: 'utf8' });

  test('called directly, it checks for an upgrade (so the next test can fail)', () => {
    const bin = join(ROOT, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s');
    const result = cli(process.execPath, [bin, 'synth', '--app', 'false', '--output', join(home, 'out')]);
    expect(result.stderr).toContain('A new version 99.0.0 of cdk8s-cli is available');
  }, 60_000);

  test('`npm run cdk8s -- synth` skips the upgrade check, and a failed synth leaves the committed dist/ byte-identical', () => {
    const before = snapshotDir(join(ROOT, 'dist'));
    const result = cli('npm', ['run', '--silent', 'cdk8s', '--', 'synth'], { IMMICH_VERSION: 'not-a-version' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('IMMICH_VERSION (immich.version): must be a release tag like');
    expect(result.stderr).not.toContain('A new version');
    expect(snapshotDir(join(ROOT, 'dist'))).toEqual(before);
  }, 60_000);
});

describe('npm run immich-config', () => {
  // As `npm run immich-config` runs it: the bundle through scripts/run.cjs and its code cache.
  const render = (env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [join(ROOT, 'scripts', 'run.cjs'), 'immich-config'], {
      cwd: work,
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
    });

  test('renders the configuration named by IMMICH_K8S_CONFIG with the client secret', () => {
    writeFileSync(join(work, 'mine.yaml'), 'domain: photos.home.arpa\noauth: { clientId: mine }\n');
    const { status, stdout } = render({ IMMICH_K8S_CONFIG: 'mine.yaml', IMMICH_OAUTH_CLIENT_SECRET: 's3cret' });
    expect(status).toBe(0);
    expect(JSON.parse(stdout).oauth).toMatchObject({ clientId: 'mine', clientSecret: 's3cret' });
  });

  test('asks for no database password when the configuration uses inline secrets', () => {
    writeFileSync(
      join(work, 'inline.yaml'),
      'domain: photos.home.arpa\noauth: { clientId: mine }\nsecrets: { mode: inline }\n',
    );
    const { status, stdout } = render({ IMMICH_K8S_CONFIG: 'inline.yaml', IMMICH_OAUTH_CLIENT_SECRET: 'x' });
    expect(status).toBe(0);
    expect(JSON.parse(stdout).oauth.clientSecret).toBe('x');
  });

  test('notes an override on stderr, but not the secrets mode it reads the file in', () => {
    writeFileSync(
      join(work, 'inline.yaml'),
      'domain: photos.home.arpa\noauth: { clientId: mine }\nsecrets: { mode: inline }\n',
    );
    const env = { IMMICH_K8S_CONFIG: 'inline.yaml', IMMICH_OAUTH_CLIENT_ID: 'other', IMMICH_OAUTH_CLIENT_SECRET: 'x' };
    const { status, stdout, stderr } = render(env);
    expect(status).toBe(0);
    expect(JSON.parse(stdout).oauth.clientId).toBe('other');
    expect(stderr.split('\n').filter((line) => line.startsWith('note:'))).toEqual([
      'note: IMMICH_OAUTH_CLIENT_ID=other overrides oauth.clientId (the file says "mine")',
    ]);
  });

  test('fails with exit code 1 and prints no file without the client secret', () => {
    const { status, stdout, stderr } = render({});
    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain('IMMICH_OAUTH_CLIENT_SECRET: required to render the config file');
  });
});

test('a relative IMMICH_K8S_CONFIG is read from the folder npm was started in', () => {
  const sub = join(work, 'configs');
  cpSync(join(work, 'config'), sub, { recursive: true });
  writeFileSync(join(sub, 'mine.yaml'), 'domain: photos.home.arpa\noauth: { clientId: mine }\n');
  // npm runs scripts in the project root and passes the user's folder as INIT_CWD.
  const { status, stderr } = runSynth(work, { IMMICH_K8S_CONFIG: 'mine.yaml', INIT_CWD: sub });
  expect({
    status,
    stderr: stderr
      .split('\n')
      .filter((l) => !l.startsWith('warning:'))
      .join(''),
  }).toEqual({ status: 0, stderr: '' });
  expect(readFileSync(join(work, 'dist', '50-ingressroute-immich.yaml'), 'utf8')).toContain('immich.photos.home.arpa');
});

describe('a dist/ that cannot be replaced', () => {
  /**
   * Runs synth as an unprivileged user (as root, permissions would not apply), from a copy of the
   * self-contained bundle inside the work folder, which that user can read wherever the clone is.
   */
  const runAsUser = (cwd: string) => {
    const command = process.getuid?.() === 0 ? 'setpriv' : process.execPath;
    const args = [join(cwd, 'main.js')];
    const full =
      process.getuid?.() === 0 ? ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args] : args;
    return spawnSync(command, full, { cwd, env: { PATH: process.env.PATH }, encoding: 'utf8' });
  };
  const giveAway = (dir: string) => {
    if (process.getuid?.() === 0) spawnSync('chown', ['-R', '65534:65534', dir]);
  };

  test('fails with one clear line, leaves dist/ byte-identical and leaves nothing behind', () => {
    synthesized();
    cpSync(join(ROOT, 'build', 'main.js'), join(work, 'main.js'));
    giveAway(work);
    spawnSync('chmod', ['-R', 'a-w', join(work, 'dist')]);
    const before = snapshotDir(join(work, 'dist'));
    const { status, stderr } = runAsUser(work);
    spawnSync('chmod', ['-R', 'u+w', join(work, 'dist')]);
    expect(status).toBe(1);
    const errors = stderr.split('\n').filter((l) => l && !l.startsWith('warning:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^cannot replace dist\/: .*dist is not writable by this user; the previous dist\/ is unchanged/,
    );
    expect(snapshotDir(join(work, 'dist'))).toEqual(before);
    expect(readdirSync(work).filter((f) => f.startsWith('dist.'))).toEqual([]);
  });

  test('a run cut off between its renames is restored, even when the next synth fails', () => {
    synthesized();
    const expected = snapshotDir(join(work, 'dist'));
    // Cut off after dist/ was renamed away and before the new one took its place.
    spawnSync('mv', [join(work, 'dist'), join(work, 'dist.old')]);
    writeFileSync(join(work, 'bad.yaml'), 'domain: bad_domain\n');
    expect(runSynth(work, { IMMICH_K8S_CONFIG: 'bad.yaml' }).status).toBe(1);
    expect(snapshotDir(join(work, 'dist'))).toEqual(expected);
  });

  test('leftovers of an interrupted run are cleaned up', () => {
    synthesized();
    const expected = snapshotDir(join(work, 'dist'));
    cpSync(join(work, 'dist'), join(work, 'dist.next'), { recursive: true });
    writeFileSync(join(work, 'dist.next', 'stale.yaml'), 'kind: Stale\n');
    cpSync(join(work, 'dist'), join(work, 'dist.old'), { recursive: true });
    expect(runSynth(work).status).toBe(0);
    expect(snapshotDir(join(work, 'dist'))).toEqual(expected);
    expect(readdirSync(work).filter((f) => f.startsWith('dist.'))).toEqual([]);
  });
});
