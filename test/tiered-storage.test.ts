import { renderArchitecture } from '../src/architecture';
import { SPLIT, TIER_REPOSITORIES, TIERS, VOLUME_BACKUPS } from './support/modes';
import { configError, EXAMPLE_YAML, findOne, synth } from './support/synth';

const RWX = { accessModes: ['ReadWriteMany'] };
const tiered = synth({ storage: TIERS });
const splitTiered = synth({
  ...SPLIT,
  storage: { ...SPLIT.storage, thumbs: { ...TIERS.thumbs, ...RWX }, encodedVideo: { ...TIERS.encodedVideo, ...RWX } },
});
const claims = (manifests: ReturnType<typeof synth>) =>
  manifests.filter((m) => m.object.kind === 'PersistentVolumeClaim').map((m) => m.object.metadata.name);
/** Where a workload's Immich container mounts which claim, below /data. */
const dataMounts = (manifests: ReturnType<typeof synth>, name: string) => {
  const spec = findOne(manifests, 'Deployment', name).spec.template.spec;
  return spec.containers[0].volumeMounts
    .filter((m: any) => m.mountPath === '/data' || m.mountPath.startsWith('/data/'))
    .map((m: any) => [m.mountPath, spec.volumes.find((v: any) => v.name === m.name).persistentVolumeClaim.claimName]);
};

describe('tiered storage', () => {
  test('is off by default: one claim holds all of /data', () => {
    const plain = synth();
    expect(claims(plain)).not.toContain('immich-thumbs');
    expect(claims(plain)).not.toContain('immich-encoded-video');
    expect(dataMounts(plain, 'immich-server')).toEqual([['/data', 'immich-data']]);
  });

  test('storage.thumbs and storage.encodedVideo each make a claim of their own, with their own class and size', () => {
    expect(findOne(tiered, 'PersistentVolumeClaim', 'immich-thumbs').spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'fast-ssd',
      resources: { requests: { storage: '20Gi' } },
    });
    expect(findOne(tiered, 'PersistentVolumeClaim', 'immich-encoded-video').spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'bulk-hdd',
      resources: { requests: { storage: '200Gi' } },
    });
  });

  test('only the one given gets a claim, with the default size', () => {
    const thumbsOnly = synth({ storage: { thumbs: {} } });
    expect(findOne(thumbsOnly, 'PersistentVolumeClaim', 'immich-thumbs').spec.resources.requests.storage).toBe('10Gi');
    expect(claims(thumbsOnly)).not.toContain('immich-encoded-video');
    expect(dataMounts(thumbsOnly, 'immich-server')).toEqual([
      ['/data', 'immich-data'],
      ['/data/thumbs', 'immich-thumbs'],
    ]);
  });

  test('Argo CD never prunes their claims, synced with the server', () => {
    for (const name of ['immich-thumbs', 'immich-encoded-video']) {
      expect(findOne(tiered, 'PersistentVolumeClaim', name).metadata.annotations).toEqual({
        'argocd.argoproj.io/sync-wave': '3',
        'argocd.argoproj.io/sync-options': 'Prune=false,Delete=false',
      });
    }
  });

  test.each(['immich-server', 'immich-microservices'])(
    '%s mounts them over /data, after the upload volume, read-write',
    (name) => {
      expect(dataMounts(splitTiered, name)).toEqual([
        ['/data', 'immich-data'],
        ['/data/thumbs', 'immich-thumbs'],
        ['/data/encoded-video', 'immich-encoded-video'],
      ]);
      const mounts = findOne(splitTiered, 'Deployment', name).spec.template.spec.containers[0].volumeMounts;
      expect(mounts.filter((m: any) => m.readOnly && m.mountPath.startsWith('/data'))).toEqual([]);
    },
  );

  test('pods roll side by side only when every volume below /data is ReadWriteMany', () => {
    const strategy = (storage: Record<string, unknown>) =>
      findOne(synth({ storage }), 'Deployment', 'immich-server').spec.strategy;
    expect(strategy({ data: RWX, thumbs: RWX, encodedVideo: RWX }).type).toBe('RollingUpdate');
    // One pod on ReadWriteMany data, but a ReadWriteOnce thumbnail volume: a surge pod could not mount it.
    expect(strategy({ data: RWX, thumbs: {} })).toEqual({ type: 'Recreate' });
    expect(strategy({ data: RWX, encodedVideo: { accessModes: ['ReadWriteOnce'] } })).toEqual({ type: 'Recreate' });
  });
});

describe('backups of the volumes', () => {
  const volumes = (more: Record<string, unknown>) => ({ backup: { volumes: { ...VOLUME_BACKUPS, ...more } } });
  const all = synth({
    storage: TIERS,
    ...volumes({
      claims: ['data', 'thumbs', 'encodedVideo'],
      repositorySecrets: TIER_REPOSITORIES,
      restore: { enabled: true },
    }),
  });
  const kindNames = (manifests: ReturnType<typeof synth>, kind: string) =>
    manifests.filter((m) => m.object.kind === kind).map((m) => m.object.metadata.name);

  test('by default only immich-data is backed up: thumbnails and encoded videos are made again from it', () => {
    const defaults = synth({ storage: TIERS, ...volumes({ restore: { enabled: true } }) });
    expect(kindNames(defaults, 'ReplicationSource')).toEqual(['immich-data']);
    expect(kindNames(defaults, 'ReplicationDestination')).toEqual(['immich-data-restore']);
  });

  test('each listed volume gets a ReplicationSource and a restore of its own, named after its claim', () => {
    expect(kindNames(all, 'ReplicationSource')).toEqual(['immich-data', 'immich-thumbs', 'immich-encoded-video']);
    expect(kindNames(all, 'ReplicationDestination')).toEqual([
      'immich-data-restore',
      'immich-thumbs-restore',
      'immich-encoded-video-restore',
    ]);
  });

  test('each reads and restores its own claim, into a restic repository of its own, on the same schedule', () => {
    const pairs = [
      ['immich-data', 'immich-data', VOLUME_BACKUPS.repositorySecret],
      ['immich-thumbs', 'immich-thumbs', TIER_REPOSITORIES.thumbs],
      ['immich-encoded-video', 'immich-encoded-video', TIER_REPOSITORIES.encodedVideo],
    ];
    for (const [name, claim, repository] of pairs) {
      const source = findOne(all, 'ReplicationSource', name!);
      expect(source.spec).toMatchObject({ sourcePVC: claim, trigger: { schedule: '0 3 * * *' } });
      expect(source.spec.restic).toMatchObject({
        repository,
        copyMethod: 'Snapshot',
        moverServiceAccount: 'immich-volsync',
      });
      const restore = findOne(all, 'ReplicationDestination', `${name}-restore`);
      expect(restore.spec.restic).toMatchObject({ repository, destinationPVC: claim, copyMethod: 'Direct' });
    }
  });

  test('the architecture document shows the volumes, who mounts them and what backs them up', () => {
    const doc = renderArchitecture(all.map((m) => m.object as any));
    const row = (claim: string) => doc.split('\n').find((line) => line.startsWith(`| \`${claim}\` |`)) ?? '';
    expect(row('immich-thumbs')).toContain('`immich-server` (server) at `/data/thumbs`, read-write');
    expect(row('immich-thumbs')).toContain('fast-ssd');
    expect(row('immich-thumbs')).toContain('(ReplicationSource `immich-thumbs`)');
    const unbacked = renderArchitecture(tiered.map((m) => m.object as any));
    const line = unbacked.split('\n').find((l) => l.startsWith('| `immich-encoded-video` |')) ?? '';
    expect(line).toContain('`immich-server` (server) at `/data/encoded-video`, read-write');
    expect(line).toContain('nothing: Immich makes these files again from the originals (job `Transcode Videos`)');
  });
});

describe('bad input', () => {
  const errorOf = (yaml: string) => configError(`${EXAMPLE_YAML}${yaml}`);
  /** The example's own backup section would be a second one: these start from a minimal file. */
  const backups = (more: string, storage = '{}') =>
    configError(
      `domain: example.com\noauth: { clientId: immich }\nstorage: ${storage}\nbackup:\n  volumes: { enabled: true, repositorySecret: immich-data-restic, ${more} }\n`,
    );

  test('fails on split workers sharing a ReadWriteOnce thumbnail volume, naming its key and the fix', () => {
    const rwxData = 'storage: { data: { accessModes: [ReadWriteMany] }, thumbs: {} }\n';
    expect(errorOf(`server: { workers: split }\n${rwxData}`)).toContain(
      'storage.thumbs.accessModes: server.workers "split" runs 2 pods (server.replicas plus server.microservicesReplicas) that all mount immich-thumbs, which then needs ReadWriteMany storage; set storage.thumbs.accessModes: [ReadWriteMany] with a StorageClass that provides it, got ["ReadWriteOnce"]',
    );
  });

  test('fails on two server replicas on a ReadWriteOnce encoded-video volume', () => {
    const message = errorOf(
      'server: { replicas: 2 }\nstorage: { data: { accessModes: [ReadWriteMany] }, encodedVideo: { accessModes: [ReadWriteOnce] } }\n',
    );
    expect(message).toContain(
      'storage.encodedVideo.accessModes: server.replicas is 2 that all mount immich-encoded-video',
    );
    expect(message).not.toContain('storage.data.accessModes');
  });

  test('fails on an unknown key or a bad size of a tier volume', () => {
    const message = errorOf('storage: { thumbs: { size: 10 GB, existingClaim: mine } }\n');
    expect(message).toContain('storage.thumbs.size: must be a Kubernetes quantity');
    expect(message).toContain('storage.thumbs.existingClaim: unknown key');
  });

  test('fails when claims leaves out data, or names a volume twice', () => {
    expect(backups('claims: [thumbs]')).toContain(
      'backup.volumes.claims: must include "data", which holds the originals that thumbnails and encoded videos are made from, got ["thumbs"]',
    );
    expect(backups('claims: [data, data]')).toContain(
      'backup.volumes.claims: must name each volume once, got ["data","data"]',
    );
  });

  test('fails when claims names a folder that has no volume of its own', () => {
    const message = backups('claims: [data, thumbs], repositorySecrets: { thumbs: immich-thumbs-restic }');
    expect(message).toContain(
      'backup.volumes.claims: "thumbs" has no volume of its own unless storage.thumbs is set; it lies on immich-data and is backed up with it, got ["data","thumbs"]',
    );
  });

  test('fails without a repository Secret of its own for a listed volume', () => {
    const storage = '{ encodedVideo: {} }';
    expect(backups('claims: [data, encodedVideo]', storage)).toContain(
      'backup.volumes.repositorySecrets.encodedVideo: required with "encodedVideo" in backup.volumes.claims: VolSync backs up one volume per restic repository, so it needs a Secret of its own, got nothing',
    );
    const shared = 'claims: [data, encodedVideo], repositorySecrets: { encodedVideo: immich-data-restic }';
    expect(backups(shared, storage)).toContain(
      'backup.volumes.repositorySecrets: each volume needs a restic repository of its own, so a Secret of its own; VolSync does not share one, got {"repositorySecret":"immich-data-restic","encodedVideo":"immich-data-restic"}',
    );
  });

  test('fails on a repository Secret of a volume that claims does not list', () => {
    expect(backups('repositorySecrets: { thumbs: immich-thumbs-restic }')).toContain(
      'backup.volumes.repositorySecrets.thumbs: only used with "thumbs" in backup.volumes.claims, got "immich-thumbs-restic" with claims ["data"]',
    );
  });

  test('fails on an unknown volume in claims', () => {
    expect(backups('claims: [data, library]')).toContain(
      'backup.volumes.claims.1: must be one of "data", "thumbs", "encodedVideo", "dumps", got "library"',
    );
  });
});
