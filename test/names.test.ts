import type { SecretMode } from '../src/config';
import {
  CNPG_BACKUP,
  DUMPS_REPOSITORY,
  INLINE,
  MODES,
  SPLIT,
  TIER_REPOSITORIES,
  TIERS,
  VOLUME_BACKUPS,
} from './support/modes';
import { findOne, synth } from './support/synth';

const kindNames = (manifests: ReturnType<typeof synth>) =>
  manifests.map((m) => `${m.object.kind}/${m.object.metadata.name}`).sort();

/** Every object of every secrets mode, by kind and name: a change here renames or drops user data. */
const COMMON = [
  'Application/immich',
  'Deployment/immich-machine-learning',
  'Deployment/immich-server',
  'Deployment/valkey',
  'IngressRoute/immich',
  'Namespace/immich',
  'NetworkPolicy/allow-dns',
  'NetworkPolicy/default-deny',
  'NetworkPolicy/immich-machine-learning',
  'NetworkPolicy/immich-postgres',
  'NetworkPolicy/immich-server',
  'NetworkPolicy/valkey',
  'PersistentVolume/immich-library-immich',
  'PersistentVolumeClaim/immich-data',
  'PersistentVolumeClaim/immich-library',
  'PersistentVolumeClaim/immich-ml-cache',
  'PersistentVolumeClaim/valkey-data',
  'Service/immich-machine-learning',
  'Service/immich-postgres',
  'Service/immich-postgres-headless',
  'Service/immich-server',
  'Service/valkey',
  'ServiceAccount/immich-machine-learning',
  'ServiceAccount/immich-postgres',
  'ServiceAccount/immich-server',
  'ServiceAccount/valkey',
  'StatefulSet/immich-postgres',
];
const BY_MODE: Record<SecretMode, string[]> = {
  existing: [],
  inline: ['Secret/immich-config', 'Secret/immich-db'],
  'external-secrets': ['ExternalSecret/immich-config', 'ExternalSecret/immich-db'],
  'sealed-secrets': ['SealedSecret/immich-config', 'SealedSecret/immich-db'],
};

test.each(Object.keys(MODES) as SecretMode[])('secrets mode %s synthesizes exactly the locked objects', (mode) => {
  const { overrides, env } = MODES[mode];
  expect(kindNames(synth(overrides, env))).toEqual([...COMMON, ...BY_MODE[mode]].sort());
});

/** The bundled postgres, which CloudNativePG replaces unless it is kept for an import or a way back. */
const BUNDLED_POSTGRES = [
  'NetworkPolicy/immich-postgres',
  'Service/immich-postgres',
  'Service/immich-postgres-headless',
  'ServiceAccount/immich-postgres',
  'StatefulSet/immich-postgres',
];
const CLOUDNATIVE_PG = ['Cluster/immich-pg', 'NetworkPolicy/immich-pg'];
/** The base backup before an upgrade is named after the release (`immich.version` v3.3.1 below). */
const OFF_SITE = ['Backup/immich-pg-before-v3-3-1', 'ObjectStore/immich-pg-backup', 'ScheduledBackup/immich-pg'];
const withoutBundled = COMMON.filter((name) => !BUNDLED_POSTGRES.includes(name));
const cnpg = (cloudnativePg: Record<string, unknown>) => ({
  database: { engine: 'cloudnative-pg', cloudnativePg },
  backup: { database: { enabled: false } },
  immich: { version: 'v3.3.1' },
});

test.each<[string, Record<string, unknown>, SecretMode, string[]]>([
  ['cloudnative-pg without backups', cnpg({}), 'existing', [...withoutBundled, ...CLOUDNATIVE_PG]],
  [
    'cloudnative-pg with backups, inline',
    cnpg({ backup: CNPG_BACKUP }),
    'inline',
    [...withoutBundled, ...CLOUDNATIVE_PG, ...OFF_SITE, 'Secret/immich-config', 'Secret/immich-pg-backup-credentials'],
  ],
  [
    'cloudnative-pg with backups, external-secrets',
    cnpg({ backup: CNPG_BACKUP }),
    'external-secrets',
    [
      ...withoutBundled,
      ...CLOUDNATIVE_PG,
      ...OFF_SITE,
      'ExternalSecret/immich-config',
      'ExternalSecret/immich-pg-backup-credentials',
    ],
  ],
  [
    'cloudnative-pg importing the bundled database, sealed-secrets',
    cnpg({ backup: CNPG_BACKUP, importFrom: 'bundled' }),
    'sealed-secrets',
    [
      ...COMMON,
      ...CLOUDNATIVE_PG,
      ...OFF_SITE,
      'SealedSecret/immich-config',
      'SealedSecret/immich-db',
      'SealedSecret/immich-pg-backup-credentials',
    ],
  ],
  [
    'cloudnative-pg with logical backups',
    cnpg({ logicalBackup: {} }),
    'existing',
    [
      ...withoutBundled,
      ...CLOUDNATIVE_PG,
      'CronJob/immich-pg-dump',
      'NetworkPolicy/immich-pg-dump',
      'PersistentVolumeClaim/immich-pg-dumps',
      'ServiceAccount/immich-pg-dump',
    ],
  ],
  [
    'cloudnative-pg with logical backups, the dumps backed up and restored by VolSync',
    {
      ...cnpg({ logicalBackup: {} }),
      backup: {
        database: { enabled: false },
        volumes: {
          ...VOLUME_BACKUPS,
          claims: ['data', 'dumps'],
          repositorySecrets: { dumps: DUMPS_REPOSITORY },
          restore: { enabled: true },
        },
      },
    },
    'existing',
    [
      ...withoutBundled,
      ...CLOUDNATIVE_PG,
      'CronJob/immich-pg-dump',
      'NetworkPolicy/immich-pg-dump',
      'PersistentVolumeClaim/immich-pg-dumps',
      'ServiceAccount/immich-pg-dump',
      'NetworkPolicy/immich-volsync',
      'ReplicationDestination/immich-data-restore',
      'ReplicationDestination/immich-pg-dumps-restore',
      'ReplicationSource/immich-data',
      'ReplicationSource/immich-pg-dumps',
      'ServiceAccount/immich-volsync',
    ],
  ],
  [
    'cloudnative-pg keeping the bundled database',
    cnpg({ keepBundled: true }),
    'existing',
    [...COMMON, ...CLOUDNATIVE_PG],
  ],
  [
    'split workers with 3 API, 2 worker and 2 machine-learning pods and a Sentinel set, inline',
    SPLIT,
    'inline',
    [
      ...COMMON.filter(
        (name) =>
          ![
            'Deployment/valkey',
            'NetworkPolicy/valkey',
            'PersistentVolumeClaim/valkey-data',
            'Service/valkey',
            'ServiceAccount/valkey',
          ].includes(name),
      ),
      'Deployment/immich-microservices',
      'NetworkPolicy/immich-microservices',
      'PodDisruptionBudget/immich-machine-learning',
      'PodDisruptionBudget/immich-microservices',
      'PodDisruptionBudget/immich-server',
      'Secret/immich-config',
      'Secret/immich-db',
      'Secret/immich-redis',
      'ServiceAccount/immich-microservices',
    ],
  ],
  [
    'a bundled Dragonfly behind Service valkey, with external plugins',
    { valkey: { engine: 'dragonfly' }, immich: { externalPlugins: true } },
    'existing',
    [
      ...COMMON.filter(
        (name) => !['Deployment/valkey', 'PersistentVolumeClaim/valkey-data', 'ServiceAccount/valkey'].includes(name),
      ),
      'Deployment/dragonfly',
      'PersistentVolumeClaim/dragonfly-data',
      'PersistentVolumeClaim/immich-plugins',
      'ServiceAccount/dragonfly',
    ],
  ],
  [
    'volume backups and a restore',
    { backup: { volumes: { ...VOLUME_BACKUPS, restore: { enabled: true } } } },
    'existing',
    [
      ...COMMON,
      'NetworkPolicy/immich-volsync',
      'ReplicationDestination/immich-data-restore',
      'ReplicationSource/immich-data',
      'ServiceAccount/immich-volsync',
    ],
  ],
  [
    'cloudnative-pg behind a PgBouncer pooler',
    cnpg({ pooler: { enabled: true } }),
    'existing',
    [
      ...withoutBundled,
      ...CLOUDNATIVE_PG,
      'NetworkPolicy/immich-pg-pooler-rw',
      'PodDisruptionBudget/immich-pg-pooler-rw',
      'Pooler/immich-pg-pooler-rw',
    ],
  ],
  [
    'thumbnails and encoded video on volumes of their own, each backed up and restored',
    {
      storage: TIERS,
      backup: {
        volumes: {
          ...VOLUME_BACKUPS,
          claims: ['data', 'thumbs', 'encodedVideo'],
          repositorySecrets: TIER_REPOSITORIES,
          restore: { enabled: true },
        },
      },
    },
    'existing',
    [
      ...COMMON,
      'NetworkPolicy/immich-volsync',
      'PersistentVolumeClaim/immich-encoded-video',
      'PersistentVolumeClaim/immich-thumbs',
      'ReplicationDestination/immich-data-restore',
      'ReplicationDestination/immich-encoded-video-restore',
      'ReplicationDestination/immich-thumbs-restore',
      'ReplicationSource/immich-data',
      'ReplicationSource/immich-encoded-video',
      'ReplicationSource/immich-thumbs',
      'ServiceAccount/immich-volsync',
    ],
  ],
])('%s synthesizes exactly the locked objects', (_name, overrides, mode, expected) => {
  const secrets = MODES[mode].overrides;
  expect(kindNames(synth({ ...secrets, ...overrides }, MODES[mode].env))).toEqual([...expected].sort());
});

test('the postgres claim template keeps the name data (PVC data-immich-postgres-0)', () => {
  const statefulSet = findOne(synth(), 'StatefulSet', 'immich-postgres');
  expect(statefulSet.spec.volumeClaimTemplates.map((t: any) => t.metadata.name)).toEqual(['data']);
});

test('every object, Secrets and IngressRoute included, carries the standard labels', () => {
  const manifests = synth(INLINE, { IMMICH_DB_PASSWORD: 'pw', IMMICH_OAUTH_CLIENT_SECRET: 'x' });
  for (const { object } of manifests) {
    expect({ object: `${object.kind}/${object.metadata.name}`, labels: (object.metadata as any).labels }).toMatchObject(
      {
        labels: {
          'app.kubernetes.io/instance': 'immich',
          'app.kubernetes.io/part-of': 'immich',
          'app.kubernetes.io/managed-by': 'immich-k8s',
        },
      },
    );
  }
});

test('no object carries a construct-path label or a hash-suffixed name', () => {
  for (const { object } of synth()) {
    const text = JSON.stringify(object);
    expect(text).not.toContain('cdk8s.io/metadata.addr');
    expect(object.metadata.name).not.toMatch(/-[0-9a-f]{8}$/);
  }
});

// Renaming construct ids is covered for the whole tree and every mode by construct-ids.test.ts.

test('every Service selects the pod template labels of a workload', () => {
  const manifests = synth();
  const templates = manifests
    .filter((m) => ['Deployment', 'StatefulSet'].includes(m.object.kind))
    .map((m) => (m.object as any).spec.template.metadata.labels as Record<string, string>);
  for (const service of manifests.filter((m) => m.object.kind === 'Service')) {
    const selector = (service.object as any).spec.selector as Record<string, string>;
    const matches = templates.filter((labels) => Object.entries(selector).every(([k, v]) => labels[k] === v));
    expect({ service: service.object.metadata.name, matches: matches.length }).toEqual({
      service: service.object.metadata.name,
      matches: 1,
    });
  }
});
