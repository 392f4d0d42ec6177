import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeManifests } from '../src/output';
import { previousRelease, serverRelease, upgradeReminder } from '../src/upgrade';
import { CNPG_BACKUP } from './support/modes';
import { referenceProblem } from './support/markdown';
import { config, synth } from './support/synth';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const cnpg = (cloudnativePg: Record<string, unknown>) =>
  config({ database: { engine: 'cloudnative-pg', cloudnativePg }, backup: { database: { enabled: false } } });

describe('the release of a previous output', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'immich-k8s-upgrade-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('is the tag of the server image, without its digest', () => {
    const before = synth({ immich: { version: 'v3.2.0', digests: { server: DIGEST } } });
    writeManifests(before, dir);
    expect(previousRelease(synth(), dir)).toBe('v3.2.0');
    expect(serverRelease(`ghcr.io/immich-app/immich-server:v3.2.0@${DIGEST}`)).toBe('v3.2.0');
    expect(serverRelease('ghcr.io/immich-app/immich-machine-learning:v3.2.0')).toBeUndefined();
  });

  test('is unknown without a previous output, or when its server file names no server image', () => {
    expect(previousRelease(synth(), dir)).toBeUndefined();
    writeFileSync(join(dir, '40-deployment-immich-server.yaml'), 'spec: [unclosed\n');
    expect(previousRelease(synth(), dir)).toBeUndefined();
    writeFileSync(
      join(dir, '40-deployment-immich-server.yaml'),
      'image: ghcr.io/immich-app/immich-machine-learning:v3.2.0\n',
    );
    expect(previousRelease(synth(), dir)).toBeUndefined();
  });
});

describe('the reminder before an upgrade', () => {
  const version = (c: ReturnType<typeof config>, to: string) => ({ ...c, immich: { ...c.immich, version: to } });

  test('is silent while the release stays, and without a previous release', () => {
    expect(upgradeReminder(config(), config().immich.version)).toBeUndefined();
    expect(upgradeReminder(config(), undefined)).toBeUndefined();
  });

  test('dumps the bundled postgres as the configured database user', () => {
    const bundled = version(config({ database: { username: 'immich' } }), 'v3.4.0');
    expect(upgradeReminder(bundled, 'v3.3.1')).toContain(
      'kubectl -n immich exec immich-postgres-0 -- pg_dumpall --clean --if-exists --username=immich | gzip > immich-before-v3.4.0.sql.gz',
    );
  });

  test('dumps a CloudNativePG cluster without backups from its primary', () => {
    expect(upgradeReminder(version(cnpg({}), 'v3.4.0'), 'v3.3.1')).toContain(
      'kubectl -n immich exec $(kubectl -n immich get pod -l cnpg.io/cluster=immich-pg,cnpg.io/instanceRole=primary -o name) -c postgres -- pg_dumpall --clean --if-exists | gzip > immich-before-v3.4.0.sql.gz',
    );
  });

  test('with backups but none before upgrades, asks for a base backup and waits for it', () => {
    const reminder = upgradeReminder(
      version(cnpg({ backup: { ...CNPG_BACKUP, beforeUpgrade: false } }), 'v3.4.0'),
      'v3.3.1',
    );
    expect(reminder).toContain(
      "take a base backup first: kubectl cnpg backup immich-pg -n immich --method plugin --plugin-name barman-cloud.cloudnative-pg.io --backup-name immich-pg-before-v3-4-0 && kubectl -n immich wait backup/immich-pg-before-v3-4-0 --for=jsonpath='{.status.phase}'=completed --timeout=2h",
    );
    expect(reminder).not.toContain('Argo CD');
  });
});

test('every reminder names the guide to the backup before an upgrade, and the guide has that heading', () => {
  const cases = [
    config(),
    cnpg({}),
    cnpg({ backup: CNPG_BACKUP }),
    cnpg({ backup: { ...CNPG_BACKUP, beforeUpgrade: false } }),
  ];
  for (const c of cases) {
    const reminder = upgradeReminder({ ...c, immich: { ...c.immich, version: 'v3.4.0' } }, 'v3.3.1')!;
    const guide = /\(see (docs\/[^)\s]+)\)$/.exec(reminder)?.[1];
    expect(guide).toBe('docs/upgrades.md#before-an-immich-upgrade');
    expect(referenceProblem(guide!)).toBeUndefined();
  }
});
