/**
 * The Argo CD health check for CloudNativePG Backups (deploy/argocd-cm-backup-health.yaml), run in
 * a Lua VM on a Backup in every phase CloudNativePG 1.30 defines: a sync may move past the
 * Backup's wave only once the backup has completed, and must stop when it fails.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runHealthScript } from './support/lua';
import { ROOT, synth } from './support/synth';
import { CNPG_BACKUP } from './support/modes';

const patch = parse(readFileSync(join(ROOT, 'deploy', 'argocd-cm-backup-health.yaml'), 'utf8'));
const FIXTURES = join(ROOT, 'test', 'fixtures', 'cloudnative-pg');
/** Every `BackupPhase` constant of CloudNativePG's api/v1/backup_types.go. */
const PHASES = [...readFileSync(join(FIXTURES, 'backup-phases.go.txt'), 'utf8').matchAll(/BackupPhase\w+ = "([^"]+)"/g)]
  .map((m) => m[1]!)
  .sort();
const { metadata, spec, statuses } = parse(readFileSync(join(FIXTURES, 'backup-statuses.yaml'), 'utf8'));
const backup = (status: unknown, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'postgresql.cnpg.io/v1',
  kind: 'Backup',
  metadata: { ...metadata, ...extra },
  spec,
  ...(status ? { status } : {}),
});
/** The Backup synth writes before an upgrade, and the argocd-cm key of its kind. */
const synthesized = synth({
  database: { engine: 'cloudnative-pg', cloudnativePg: { backup: CNPG_BACKUP } },
  backup: { database: { enabled: false } },
}).find((m) => m.object.kind === 'Backup')!.object;
const KEY = `resource.customizations.health.${synthesized.apiVersion.split('/')[0]}_${synthesized.kind}`;
const health = (object: unknown) => runHealthScript(patch.data[KEY], object);

/** The health each phase must map to; a phase CloudNativePG adds needs a decision here. */
const EXPECTED: Record<string, string> = {
  pending: 'Progressing',
  started: 'Progressing',
  running: 'Progressing',
  finalizing: 'Progressing',
  completed: 'Healthy',
  failed: 'Degraded',
  walArchivingFailing: 'Degraded',
  'invalid backup definition': 'Degraded',
};

test('the patch adds a health check for the kind and group of the synthesized Backup to argocd-cm in argocd', () => {
  expect(patch).toMatchObject({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'argocd-cm', namespace: 'argocd' },
  });
  expect(KEY).toBe('resource.customizations.health.postgresql.cnpg.io_Backup');
  expect(Object.keys(patch.data)).toEqual([KEY]);
});

test('every phase CloudNativePG defines has a fixture status and an expected health', () => {
  expect(PHASES).toHaveLength(8);
  expect(Object.keys(EXPECTED).sort()).toEqual(PHASES);
  expect(
    Object.keys(statuses)
      .filter((name) => name !== 'created')
      .sort(),
  ).toEqual(PHASES);
});

test.each(PHASES)('a Backup in phase %s has the expected health', (phase) => {
  expect(statuses[phase].phase).toBe(phase);
  expect(health(backup(statuses[phase])).status).toBe(EXPECTED[phase]);
});

test('a Backup the operator has not looked at yet is Progressing, so the next wave waits', () => {
  expect(statuses.created).toBeNull();
  expect(health(backup(null))).toEqual({
    status: 'Progressing',
    message: 'waiting for the operator to start the backup',
  });
  expect(health(backup({ phase: '' })).status).toBe('Progressing');
});

test('a completed Backup says when it finished', () => {
  expect(health(backup(statuses.completed))).toEqual({
    status: 'Healthy',
    message: 'completed at 2026-12-04T03:01:42Z',
  });
});

test("a failed Backup is Degraded with the operator's error, which fails the sync", () => {
  expect(health(backup(statuses.failed))).toEqual({
    status: 'Degraded',
    message: 'failed: requested plugin is not available: barman-cloud.cloudnative-pg.io',
  });
  expect(health(backup({ phase: 'failed' }))).toEqual({ status: 'Degraded', message: 'failed' });
});

test('a phase a later CloudNativePG adds keeps the sync waiting rather than letting it pass', () => {
  expect(health(backup({ phase: 'uploading' }))).toEqual({ status: 'Progressing', message: 'uploading' });
});

test('a Backup being deleted is Progressing', () => {
  const deleting = backup(statuses.completed, { deletionTimestamp: '2026-12-05T00:00:00Z' });
  expect(health(deleting)).toEqual({ status: 'Progressing', message: 'being deleted' });
});

test("the VM opens only the libraries Argo CD does: a script that needs Lua's string library fails here too", () => {
  expect(() => runHealthScript('return { status = string.upper("healthy") }', backup(null))).toThrow(/string/);
  expect(runHealthScript('return { status = "Healthy" }', backup(null))).toEqual({ status: 'Healthy' });
});
