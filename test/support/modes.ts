import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCharts } from '../../src/chart';
import { type Config, type SecretMode, parseConfig } from '../../src/config';
import { renderCharts, writeManifests } from '../../src/output';
import type { ExternalRefs } from './references';
import { EXAMPLE, ROOT } from './synth';

/** Plaintext secrets given to inline mode; no other mode may let them reach the output. */
export const PLAINTEXT = {
  IMMICH_DB_PASSWORD: 'db-pa55-word',
  IMMICH_OAUTH_CLIENT_SECRET: 'oauth-s3cret',
  IMMICH_BACKUP_ACCESS_KEY_ID: 'backup-key-1d',
  IMMICH_BACKUP_SECRET_ACCESS_KEY: 'backup-s3cret-key',
  IMMICH_REDIS_PASSWORD: 'redis-pa55',
  IMMICH_RESTIC_REPOSITORY: 's3:https://restic.example.com/immich-data-pr1vate',
  IMMICH_RESTIC_PASSWORD: 'restic-pa55',
  IMMICH_RESTIC_ACCESS_KEY_ID: 'restic-key-1d',
  IMMICH_RESTIC_SECRET_ACCESS_KEY: 'restic-s3cret-key',
};

/** Stand-ins for `kubeseal --raw` output: base64 and as long as a real sealed value. */
export const SEALED = {
  dbPassword: `AgB${'Q'.repeat(400)}==`,
  oauthClientSecret: `AgC${'R'.repeat(400)}==`,
  backupAccessKeyId: `AgD${'S'.repeat(400)}==`,
  backupSecretAccessKey: `AgE${'T'.repeat(400)}==`,
  redisPassword: `AgF${'U'.repeat(400)}==`,
  resticRepository: `AgG${'V'.repeat(400)}==`,
  resticPassword: `AgH${'W'.repeat(400)}==`,
  resticAccessKeyId: `AgI${'X'.repeat(400)}==`,
  resticSecretAccessKey: `AgJ${'Y'.repeat(400)}==`,
};

/** The OAuth client id sealed for `immich-config`, in place of `oauth.clientId`. */
export const SEALED_CLIENT_ID = `AgK${'Z'.repeat(400)}==`;

export const EXTERNAL_REFS = {
  storeRef: { name: 'vault' },
  dbPassword: { key: 'immich/database', property: 'password' },
  oauthClientSecret: { key: 'immich/oauth', property: 'client-secret' },
  backupAccessKeyId: { key: 'immich/s3', property: 'access-key-id' },
  backupSecretAccessKey: { key: 'immich/s3', property: 'secret-access-key' },
  redisPassword: { key: 'immich/redis', property: 'password' },
  resticRepository: { key: 'immich/restic', property: 'repository' },
  resticPassword: { key: 'immich/restic', property: 'password' },
  resticAccessKeyId: { key: 'immich/restic', property: 'access-key-id' },
  resticSecretAccessKey: { key: 'immich/restic', property: 'secret-access-key' },
};

/** The OAuth client id in the store, in place of `oauth.clientId`. */
export const EXTERNAL_CLIENT_ID = { key: 'immich/oauth', property: 'client-id' };

/** Inline secrets beside the example's Argo CD Application need its explicit consent. */
export const INLINE = {
  secrets: { mode: 'inline' },
  argocd: { ...(EXAMPLE.argocd as object), allowInlineSecrets: true },
};

/** Configuration overrides and environment that select each secrets mode. */
export const MODES: Record<SecretMode, { overrides: Record<string, unknown>; env: NodeJS.ProcessEnv }> = {
  existing: { overrides: {}, env: PLAINTEXT },
  inline: { overrides: INLINE, env: PLAINTEXT },
  'external-secrets': {
    overrides: { secrets: { mode: 'external-secrets', externalSecrets: EXTERNAL_REFS } },
    env: PLAINTEXT,
  },
  'sealed-secrets': { overrides: { secrets: { mode: 'sealed-secrets', sealedSecrets: SEALED } }, env: PLAINTEXT },
};

/** Off-site backups of a CloudNativePG cluster to an S3-compatible store. */
export const CNPG_BACKUP = {
  destinationPath: 's3://immich-backups/immich',
  endpointURL: 'https://minio.example.com:9000',
  credentialsSecret: 'immich-pg-backup-credentials',
};

/** Restic backups of the upload volume from CSI snapshots. */
export const VOLUME_BACKUPS = {
  enabled: true,
  repositorySecret: 'immich-data-restic',
  copyMethod: 'Snapshot',
  volumeSnapshotClassName: 'csi-snapclass',
};

/** Thumbnails and encoded videos on volumes of their own, each with a class of its own. */
export const TIERS = {
  thumbs: { storageClass: 'fast-ssd', size: '20Gi' },
  encodedVideo: { storageClass: 'bulk-hdd', size: '200Gi' },
};

/** Repository Secrets of the volumes beside immich-data, which the user creates in every mode. */
export const TIER_REPOSITORIES = { thumbs: 'immich-thumbs-restic', encodedVideo: 'immich-encoded-video-restic' };

/** Nightly `pg_dump`s of a CloudNativePG cluster, kept for three nights. */
export const LOGICAL_BACKUP = { schedule: '30 1 * * *', keep: 3, storage: { size: '2Gi' } };

/** The restic repository of the dumps volume, which the user creates in every secrets mode. */
export const DUMPS_REPOSITORY = 'immich-pg-dumps-restic';

/** Three API pods, two workers and two machine-learning pods on shared storage, with a Sentinel set. */
export const SPLIT = {
  server: { workers: 'split', replicas: 3, microservicesReplicas: 2 },
  storage: { data: { accessModes: ['ReadWriteMany'] }, mlCache: { accessModes: ['ReadWriteMany'] } },
  machineLearning: { backend: 'cuda', gpu: { count: 1, runtimeClassName: 'nvidia' }, replicas: 2 },
  valkey: {
    mode: 'external',
    external: {
      sentinels: [
        { host: 'redis-sentinel-0.redis', port: 26379 },
        { host: 'redis-sentinel-1.redis', port: 26379 },
      ],
      name: 'immich',
      password: true,
    },
  },
};

/** A whole configuration the gate and the rename test synthesize with the bundled app. */
export interface Scenario {
  readonly mode: SecretMode;
  /** Top-level sections replacing the example's. */
  readonly overrides: Record<string, unknown>;
  /** A whole configuration file, from the project root, read in place of the example; then no overrides. */
  readonly file?: string;
  /** Objects the user creates, referenced but not synthesized. */
  readonly external: ExternalRefs;
}

const cnpg = (cloudnativePg: Record<string, unknown>) => ({ engine: 'cloudnative-pg', cloudnativePg });

/** ingress-nginx's pods, its upload annotations (no body limit, 10-minute timeouts, no buffering) and a TLS Secret. */
export const NGINX_INGRESS = {
  ingress: {
    kind: 'ingress',
    className: 'nginx',
    tls: { secretName: 'immich-tls' },
    annotations: {
      'nginx.ingress.kubernetes.io/proxy-body-size': '0',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '600',
      'nginx.ingress.kubernetes.io/proxy-send-timeout': '600',
      'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
    },
  },
  networkPolicy: {
    ingressController: {
      namespaceSelector: { 'kubernetes.io/metadata.name': 'ingress-nginx' },
      podSelector: { 'app.kubernetes.io/name': 'ingress-nginx' },
      ports: [80, 443],
    },
  },
};

/** A shipped example configuration (config/examples/), synthesized as the user's copy would be. */
const example = (file: string, mode: SecretMode, external: ExternalRefs): Scenario => ({
  mode,
  file: `config/examples/${file}`,
  overrides: {},
  external,
});

/** Each secrets mode with the example, plus CloudNativePG and volume backup configurations, and every shipped example. */
export const SCENARIOS: Record<string, Scenario> = {
  'config/examples/one-node.yaml': example('one-node.yaml', 'existing', { secrets: ['immich-db', 'immich-config'] }),
  'config/examples/home-ha.yaml': example('home-ha.yaml', 'existing', {
    secrets: ['immich-config', CNPG_BACKUP.credentialsSecret, VOLUME_BACKUPS.repositorySecret, DUMPS_REPOSITORY],
  }),
  'config/examples/external-secrets.yaml': example('external-secrets.yaml', 'external-secrets', {}),
  'secrets mode existing': { mode: 'existing', overrides: {}, external: { secrets: ['immich-db', 'immich-config'] } },
  'secrets mode inline': { mode: 'inline', overrides: MODES.inline.overrides, external: {} },
  'secrets mode external-secrets': {
    mode: 'external-secrets',
    overrides: MODES['external-secrets'].overrides,
    external: {},
  },
  'secrets mode sealed-secrets': { mode: 'sealed-secrets', overrides: MODES['sealed-secrets'].overrides, external: {} },
  'split workers on shared storage with a Sentinel set, external secrets': {
    mode: 'external-secrets',
    overrides: {
      ...SPLIT,
      secrets: {
        mode: 'external-secrets',
        externalSecrets: { ...EXTERNAL_REFS, redisPassword: { key: 'immich/redis', property: 'password' } },
      },
    },
    external: {},
  },
  'split workers with a Sentinel set, mail on 587 and an OIDC issuer on 9443, sealed secrets': {
    mode: 'sealed-secrets',
    overrides: {
      ...SPLIT,
      secrets: { mode: 'sealed-secrets', sealedSecrets: SEALED },
      oauth: { clientId: 'immich', issuerUrl: 'https://auth.example.com:9443/application/o/immich/' },
      networkPolicy: { serverEgress: { ports: [443, 587] } },
    },
    external: {},
  },
  'split workers with a Sentinel set, inline secrets': {
    mode: 'inline',
    overrides: { ...SPLIT, ...MODES.inline.overrides },
    external: {},
  },
  "an HTTPRoute on Traefik's Gateway in another namespace, monitoring, existing secrets": {
    mode: 'existing',
    overrides: {
      ingress: {
        kind: 'httproute',
        gateway: { name: 'traefik-gateway', namespace: 'traefik', sectionName: 'websecure' },
      },
      monitoring: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
    },
    external: { secrets: ['immich-db', 'immich-config'] },
  },
  'an Ingress of ingress-nginx with upload annotations and a TLS Secret, monitoring, sealed secrets': {
    mode: 'sealed-secrets',
    overrides: { ...MODES['sealed-secrets'].overrides, ...NGINX_INGRESS, monitoring: { enabled: true } },
    external: { secrets: ['immich-tls'] },
  },
  'Intel GPU for machine learning and transcoding, model preload, existing secrets': {
    mode: 'existing',
    overrides: {
      machineLearning: {
        backend: 'openvino',
        gpu: { resource: 'gpu.intel.com/xe', renderGroupId: 993 },
        preload: { clipTextual: 'ViT-B-32__openai' },
      },
      transcoding: { acceleration: 'qsv', hardwareDecoding: true, gpu: { renderGroupId: 993 } },
    },
    external: { secrets: ['immich-db', 'immich-config'] },
  },
  'monitoring of split workers on CloudNativePG with backups and volume backups, inline secrets': {
    mode: 'inline',
    overrides: {
      ...SPLIT,
      ...MODES.inline.overrides,
      database: cnpg({ backup: CNPG_BACKUP }),
      backup: { volumes: VOLUME_BACKUPS },
      monitoring: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
    },
    external: {},
  },
  'homelab: split workers on RWX with an Intel transcoding GPU, NVIDIA machine learning, CloudNativePG with backups, volume backups, monitoring, external secrets with the OAuth client id':
    {
      mode: 'external-secrets',
      overrides: {
        secrets: {
          mode: 'external-secrets',
          externalSecrets: { ...EXTERNAL_REFS, oauthClientId: EXTERNAL_CLIENT_ID },
        },
        oauth: {},
        server: { workers: 'split', replicas: 2, microservicesReplicas: 2 },
        storage: { data: { accessModes: ['ReadWriteMany'] } },
        transcoding: { acceleration: 'qsv', hardwareDecoding: true, gpu: { renderGroupId: 993 } },
        database: cnpg({ backup: CNPG_BACKUP }),
        backup: { volumes: VOLUME_BACKUPS },
        // The dashboard beside Grafana, whose sidecar reads only its own namespace.
        monitoring: {
          enabled: true,
          labels: { release: 'kube-prometheus-stack' },
          dashboard: { namespace: 'monitoring' },
        },
        // MinIO behind the in-cluster Traefik holds both backups.
        networkPolicy: {
          cloudnativePg: { objectStore: { viaIngressController: true } },
          volumeBackups: { viaIngressController: true },
        },
      },
      external: {},
    },
  'bundled Dragonfly queue, split workers with external plugins on RWX, JSON logs behind trusted proxies, v2 models, existing secrets':
    {
      mode: 'existing',
      overrides: {
        valkey: { engine: 'dragonfly' },
        server: { workers: 'split', replicas: 2 },
        storage: { data: { accessModes: ['ReadWriteMany'] }, plugins: { accessModes: ['ReadWriteMany'] } },
        immich: { externalPlugins: true, logFormat: 'json', trustedProxies: ['10.42.0.0/16', 'fd00:10:42::/56'] },
        machineLearning: { ...(EXAMPLE.machineLearning as object), modelRevision: 'v2' },
        resources: { valkey: { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '2', memory: '1Gi' } } },
      },
      external: { secrets: ['immich-db', 'immich-config'] },
    },
  'split workers through a PgBouncer pooler on CloudNativePG with backups, thumbnails and encoded video on RWX volumes of their own, backups of data and encoded video, monitoring, sealed secrets':
    {
      mode: 'sealed-secrets',
      overrides: {
        ...SPLIT,
        secrets: { mode: 'sealed-secrets', sealedSecrets: SEALED },
        storage: {
          ...SPLIT.storage,
          thumbs: { ...TIERS.thumbs, accessModes: ['ReadWriteMany'] },
          encodedVideo: { ...TIERS.encodedVideo, accessModes: ['ReadWriteMany'] },
        },
        database: cnpg({ backup: CNPG_BACKUP, pooler: { enabled: true } }),
        backup: {
          volumes: {
            ...VOLUME_BACKUPS,
            claims: ['data', 'encodedVideo'],
            repositorySecrets: { encodedVideo: TIER_REPOSITORIES.encodedVideo },
          },
        },
        monitoring: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
      },
      external: { secrets: [TIER_REPOSITORIES.encodedVideo] },
    },
  'one combined pod with thumbnails and encoded video on volumes of their own, a restore of every volume, existing secrets':
    {
      mode: 'existing',
      overrides: {
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
      external: {
        secrets: [
          'immich-db',
          'immich-config',
          VOLUME_BACKUPS.repositorySecret,
          TIER_REPOSITORIES.thumbs,
          TIER_REPOSITORIES.encodedVideo,
        ],
      },
    },
  'cloudnative-pg with off-site backups and volume backups, existing secrets': {
    mode: 'existing',
    overrides: { database: cnpg({ backup: CNPG_BACKUP }), backup: { volumes: VOLUME_BACKUPS } },
    external: { secrets: ['immich-config', CNPG_BACKUP.credentialsSecret, VOLUME_BACKUPS.repositorySecret] },
  },
  'monitoring of cloudnative-pg behind a pooler with logical backups carried off-site by VolSync, Europe/Berlin, sealed secrets':
    {
      mode: 'sealed-secrets',
      overrides: {
        timezone: 'Europe/Berlin',
        secrets: { mode: 'sealed-secrets', sealedSecrets: SEALED },
        database: cnpg({ backup: CNPG_BACKUP, logicalBackup: LOGICAL_BACKUP, pooler: { enabled: true } }),
        backup: {
          volumes: { ...VOLUME_BACKUPS, claims: ['data', 'dumps'], repositorySecrets: { dumps: DUMPS_REPOSITORY } },
        },
        monitoring: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
      },
      external: { secrets: [DUMPS_REPOSITORY] },
    },
  'cloudnative-pg with off-site backups but none before upgrades, inline secrets': {
    mode: 'inline',
    overrides: {
      ...MODES.inline.overrides,
      database: cnpg({ backup: { ...CNPG_BACKUP, beforeUpgrade: false }, instances: 2 }),
      backup: {},
    },
    external: {},
  },
  'a single cloudnative-pg instance with logical backups only, existing secrets': {
    mode: 'existing',
    overrides: { database: cnpg({ instances: 1, logicalBackup: {} }), backup: {} },
    external: { secrets: ['immich-config'] },
  },
  'cloudnative-pg importing the bundled database, volume backups, sealed secrets with the OAuth client id': {
    mode: 'sealed-secrets',
    overrides: {
      secrets: { mode: 'sealed-secrets', sealedSecrets: { ...SEALED, oauthClientId: SEALED_CLIENT_ID } },
      oauth: {},
      database: cnpg({ backup: CNPG_BACKUP, importFrom: 'bundled' }),
      backup: { volumes: VOLUME_BACKUPS },
    },
    external: {},
  },
  'cloudnative-pg recovered to a point in time, volume restore, external secrets beside existing backup Secrets': {
    mode: 'external-secrets',
    overrides: {
      // Both backup Secrets come from elsewhere, the object store's with the keys its provisioner chose.
      secrets: {
        ...(MODES['external-secrets'].overrides.secrets as object),
        existing: [CNPG_BACKUP.credentialsSecret, VOLUME_BACKUPS.repositorySecret],
      },
      database: cnpg({
        backup: {
          ...CNPG_BACKUP,
          serverName: 'immich-pg-2',
          credentialsKeys: { accessKeyId: 'AWS_ACCESS_KEY_ID', secretAccessKey: 'AWS_SECRET_ACCESS_KEY' },
        },
        bootstrap: 'recovery',
        recovery: { serverName: 'immich-pg', targetTime: '2026-11-26T08:00:00Z' },
        walStorage: { size: '2Gi' },
      }),
      backup: { volumes: { ...VOLUME_BACKUPS, restore: { enabled: true, restoreAsOf: '2026-11-26T08:00:00Z' } } },
    },
    external: { secrets: [CNPG_BACKUP.credentialsSecret, VOLUME_BACKUPS.repositorySecret] },
  },
};

/**
 * A scenario's configuration as the app reads it, with the plaintext secrets in the environment:
 * its file's text, or the example with the scenario's sections in place of its own. (Reading the
 * example's file itself is left to the config and CLI tests.)
 */
export function scenarioConfig(scenario: Pick<Scenario, 'overrides' | 'file'>): Config {
  if (scenario.file === undefined) return parseConfig({ ...EXAMPLE, ...scenario.overrides }, PLAINTEXT, 'config.yaml');
  if (Object.keys(scenario.overrides).length > 0) throw new Error(`${scenario.file}: a whole file takes no overrides`);
  return parseConfig(readFileSync(join(ROOT, scenario.file), 'utf8'), PLAINTEXT, scenario.file);
}

/**
 * Synthesizes a scenario into `dist/` of a fresh temp folder, as the app does. (The bundled app
 * itself is run by the CLI tests; spawning it per scenario would cost a process start each.)
 * Returns the folder holding `dist/`.
 */
export function synthScenarioToDir(scenario: Pick<Scenario, 'overrides' | 'file'>): string {
  const dir = mkdtempSync(join(tmpdir(), 'immich-k8s-'));
  writeManifests(renderCharts(buildCharts(scenarioConfig(scenario))), join(dir, 'dist'));
  return dir;
}
