import { VOLUME_BACKUPS } from './support/modes';
import { allowed, type Peer } from './support/netpol';
import { volsyncMoverPod } from './support/operator-pods';
import { pssViolations } from '../src/lib/pss';
import { configError, EXAMPLE_YAML, findOne, synth } from './support/synth';

const withVolumes = (volumes: Record<string, unknown>) => ({ backup: { volumes } });
const manifests = synth(withVolumes(VOLUME_BACKUPS));
const source = findOne(manifests, 'ReplicationSource', 'immich-data');

describe('volume backups', () => {
  test("a restic ReplicationSource backs up immich-data at 03:00, after Immich's 02:00 dump", () => {
    expect(source.apiVersion).toBe('volsync.backube/v1alpha1');
    expect(source.spec.sourcePVC).toBe('immich-data');
    expect(source.spec.trigger).toEqual({ schedule: '0 3 * * *' });
    expect(source.spec.restic).toMatchObject({
      repository: 'immich-data-restic',
      copyMethod: 'Snapshot',
      volumeSnapshotClassName: 'csi-snapclass',
      retain: { hourly: 0, daily: 7, weekly: 4, monthly: 6 },
      cacheCapacity: '1Gi',
    });
  });

  test("the mover runs as the server's uid and gid, non-root with seccomp, under an account without a token", () => {
    expect(source.spec.restic.moverSecurityContext).toEqual({
      runAsUser: 1000,
      runAsGroup: 1000,
      runAsNonRoot: true,
      fsGroup: 1000,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(source.spec.restic.moverServiceAccount).toBe('immich-volsync');
    expect(findOne(manifests, 'ServiceAccount', 'immich-volsync').automountServiceAccountToken).toBe(false);
  });

  test('the mover pod VolSync builds from it meets restricted', () => {
    expect(pssViolations(volsyncMoverPod(source), 'restricted')).toEqual([]);
  });

  test('schedule, retention and copy method follow the configuration', () => {
    const custom = findOne(
      synth(
        withVolumes({
          enabled: true,
          repositorySecret: 'restic',
          schedule: '30 1 * * 0',
          retain: { hourly: 24, monthly: 12 },
          copyMethod: 'Clone',
          cacheStorageClass: 'local-path',
        }),
      ),
      'ReplicationSource',
      'immich-data',
    );
    expect(custom.spec.trigger.schedule).toBe('30 1 * * 0');
    expect(custom.spec.restic).toMatchObject({
      copyMethod: 'Clone',
      retain: { hourly: 24, daily: 7, weekly: 4, monthly: 12 },
      cacheStorageClassName: 'local-path',
    });
    expect(custom.spec.restic).not.toHaveProperty('volumeSnapshotClassName');
  });

  test('Argo CD never prunes the ReplicationSource and syncs it with the claim it reads', () => {
    expect(source.metadata.annotations).toEqual({
      'argocd.argoproj.io/sync-wave': '3',
      'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false,SkipDryRunOnMissingResource=true',
    });
  });

  test('nothing is synthesized while backups are off', () => {
    const kinds = synth().map((m) => m.object.kind);
    expect(kinds).not.toContain('ReplicationSource');
    expect(kinds).not.toContain('ReplicationDestination');
  });
});

describe('volume restore', () => {
  const restoring = synth(
    withVolumes({ ...VOLUME_BACKUPS, restore: { enabled: true, restoreAsOf: '2026-11-26T08:00:00+01:00' } }),
  );
  const destination = findOne(restoring, 'ReplicationDestination', 'immich-data-restore');

  test('a ReplicationDestination writes the chosen snapshot back into immich-data, keeping newer files', () => {
    expect(destination.spec.trigger).toEqual({ manual: 'restore-1' });
    expect(destination.spec.restic).toMatchObject({
      repository: 'immich-data-restic',
      destinationPVC: 'immich-data',
      copyMethod: 'Direct',
      restoreAsOf: '2026-11-26T08:00:00+01:00',
      moverServiceAccount: 'immich-volsync',
    });
    expect(destination.spec.restic).not.toHaveProperty('enableFileDeletion');
    expect(pssViolations(volsyncMoverPod(destination), 'restricted')).toEqual([]);
  });

  test('stops the server while it runs', () => {
    expect(findOne(restoring, 'Deployment', 'immich-server').spec.replicas).toBe(0);
    expect(findOne(manifests, 'Deployment', 'immich-server').spec.replicas).toBe(1);
  });

  test('a new trigger runs it again', () => {
    const again = synth(withVolumes({ ...VOLUME_BACKUPS, restore: { enabled: true, trigger: 'restore-2' } }));
    expect(findOne(again, 'ReplicationDestination', 'immich-data-restore').spec.trigger).toEqual({
      manual: 'restore-2',
    });
  });
});

describe('network paths of the mover', () => {
  const objects = manifests.map((m) => m.object);
  const namespaceLabels = { 'kubernetes.io/metadata.name': 'immich' };
  const mover: Peer = {
    kind: 'pod',
    namespace: 'immich',
    namespaceLabels,
    podLabels: source.spec.restic.moverPodLabels,
  };
  const server: Peer = {
    kind: 'pod',
    namespace: 'immich',
    namespaceLabels,
    podLabels: { 'app.kubernetes.io/name': 'immich-server', 'app.kubernetes.io/instance': 'immich' },
  };

  test('the mover reaches the repository on 443 and nothing in the namespace; nothing reaches it', () => {
    expect(allowed(objects, mover, { kind: 'ip', ip: '203.0.113.7' }, 443)).toBe(true);
    expect(allowed(objects, mover, { kind: 'ip', ip: '203.0.113.7' }, 80)).toBe(false);
    expect(allowed(objects, mover, server, 2283)).toBe(false);
    expect(allowed(objects, server, mover, 443)).toBe(false);
  });

  test('repository addresses and ports are configurable', () => {
    const narrowed = synth({
      ...withVolumes(VOLUME_BACKUPS),
      networkPolicy: { volumeBackups: { cidrs: ['192.168.1.20/32'], ports: [9000] } },
    }).map((m) => m.object);
    expect(allowed(narrowed, mover, { kind: 'ip', ip: '192.168.1.20' }, 9000)).toBe(true);
    expect(allowed(narrowed, mover, { kind: 'ip', ip: '203.0.113.7' }, 443)).toBe(false);
  });

  test('a repository published behind the in-cluster Traefik is reached on its entry points only when said so', () => {
    const traefik: Peer = {
      kind: 'pod',
      namespace: 'traefik',
      namespaceLabels: { 'kubernetes.io/metadata.name': 'traefik' },
      podLabels: { 'app.kubernetes.io/name': 'traefik' },
    };
    const published = synth({
      ...withVolumes(VOLUME_BACKUPS),
      networkPolicy: { volumeBackups: { viaIngressController: true } },
    }).map((m) => m.object);
    expect(allowed(published, mover, traefik, 8443)).toBe(true);
    expect(allowed(published, mover, traefik, 8000)).toBe(true);
    expect(allowed(published, mover, traefik, 2283)).toBe(false);
    expect(allowed(objects, mover, traefik, 8443)).toBe(false);
  });
});

describe('bad input', () => {
  const errorOf = (volumes: string) =>
    configError(EXAMPLE_YAML.replace('    keepLastAmount: 14\n', `    keepLastAmount: 14\n  volumes:\n${volumes}`));

  test('fails when Snapshot has no volumeSnapshotClassName', () => {
    expect(errorOf('    enabled: true\n    repositorySecret: restic\n    copyMethod: Snapshot\n')).toContain(
      'backup.volumes.volumeSnapshotClassName: required with copyMethod "Snapshot"',
    );
  });

  test('fails when enabled without a repository Secret', () => {
    expect(errorOf('    enabled: true\n')).toContain(
      'backup.volumes.repositorySecret: required while backup.volumes.enabled',
    );
  });

  test('fails when the repository is reached through an ingress controller without entry points', () => {
    const message = configError(
      `${EXAMPLE_YAML.replace(/^networkPolicy:\n( {2}.*\n)*/m, '')}networkPolicy:\n  ingressController: { ports: [] }\n  volumeBackups: { viaIngressController: true }\n`,
    );
    expect(message).toContain(
      "networkPolicy.volumeBackups.viaIngressController: needs the ingress controller's entry points, but networkPolicy.ingressController.ports is empty",
    );
  });

  test('fails on an unknown copy method, a six-field schedule and a negative retention', () => {
    const message = errorOf(
      '    enabled: true\n    repositorySecret: restic\n    copyMethod: Rsync\n    schedule: "0 0 3 * * *"\n    retain: { daily: -1 }\n',
    );
    expect(message).toContain('backup.volumes.copyMethod: must be one of "Direct", "Clone", "Snapshot", got "Rsync"');
    expect(message).toContain(
      'backup.volumes.schedule: must be a five-field cron expression, like "0 3 * * *"; it has 6 fields',
    );
    expect(message).toContain('backup.volumes.retain.daily: must be at least 0, got -1');
  });
});
