import { IMAGES } from '../src/constants';
import { CNPG_BACKUP, INLINE, MODES, PLAINTEXT, SEALED } from './support/modes';
import { allowed, type Peer } from './support/netpol';
import { configError, EXAMPLE_YAML, envOf, findOne, mainContainer, secretFileOf, synth } from './support/synth';

/** The example on CloudNativePG (Immich's own dump off, as that engine requires). */
const cnpg = (cloudnativePg: Record<string, unknown> = {}, more: Record<string, unknown> = {}) => ({
  database: { engine: 'cloudnative-pg', cloudnativePg },
  backup: { database: { enabled: false } },
  ...more,
});
const withBackup = cnpg({ backup: CNPG_BACKUP }, { immich: { version: 'v3.3.1' } });
const objects = (overrides: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
  synth(overrides, env).map((m) => m.object);
const cluster = (overrides: Record<string, unknown>) => findOne(synth(overrides), 'Cluster', 'immich-pg');

describe('the CloudNativePG cluster', () => {
  const spec = cluster(withBackup).spec;

  test('is named immich-pg and runs three instances by default', () => {
    expect(spec.instances).toBe(3);
    expect(cluster(cnpg({ instances: 1 })).spec.instances).toBe(1);
  });

  test('runs a VectorChord operand image pinned by digest, no older than the bundled 0.4.3 and below 2', () => {
    expect(spec.imageName).toBe(IMAGES.cloudnativePg);
    expect(spec.imageName).toMatch(
      /^ghcr\.io\/tensorchord\/cloudnative-vectorchord:[\d.]+-[\d.]+@sha256:[a-f0-9]{64}$/,
    );
    const [major = 0, minor = 0, patch = 0] = /-(\d+)\.(\d+)\.(\d+)@/.exec(spec.imageName)!.slice(1).map(Number);
    expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(4003);
    expect(major).toBeLessThan(2);
  });

  test('preloads vchord.so', () => {
    expect(spec.postgresql.shared_preload_libraries).toContain('vchord.so');
  });

  test('creates vchord and earthdistance in the Immich database, owned by a role without superuser', () => {
    expect(spec.bootstrap.initdb).toMatchObject({ database: 'immich', owner: 'immich', dataChecksums: true });
    expect(spec.bootstrap.initdb.postInitApplicationSQL).toEqual([
      'CREATE EXTENSION IF NOT EXISTS vchord CASCADE',
      'CREATE EXTENSION IF NOT EXISTS earthdistance CASCADE',
    ]);
    expect(spec.bootstrap.initdb).not.toHaveProperty('postInitSQL');
    expect(spec).not.toHaveProperty('enableSuperuserAccess');
  });

  test('spreads instances over host names and updates the primary by switchover', () => {
    expect(spec.affinity).toEqual({
      enablePodAntiAffinity: true,
      topologyKey: 'kubernetes.io/hostname',
      podAntiAffinityType: 'preferred',
    });
    expect(cluster(cnpg({ antiAffinity: 'required' })).spec.affinity.podAntiAffinityType).toBe('required');
    expect(spec).toMatchObject({ primaryUpdateStrategy: 'unsupervised', primaryUpdateMethod: 'switchover' });
  });

  test('takes storage, a separate WAL volume and resources from the configuration', () => {
    const custom = cluster(
      cnpg({
        storage: { size: '50Gi', storageClass: 'fast' },
        walStorage: { size: '5Gi', storageClass: 'fast' },
        resources: { requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '4Gi' } },
      }),
    ).spec;
    expect(custom.storage).toEqual({ size: '50Gi', storageClass: 'fast' });
    expect(custom.walStorage).toEqual({ size: '5Gi', storageClass: 'fast' });
    expect(custom.resources).toEqual({ requests: { cpu: '1', memory: '2Gi' }, limits: { memory: '4Gi' } });
    expect(spec).not.toHaveProperty('walStorage');
  });

  test('archives WAL through the Barman Cloud plugin, never the deprecated in-tree barmanObjectStore', () => {
    expect(spec.plugins).toEqual([
      {
        name: 'barman-cloud.cloudnative-pg.io',
        isWALArchiver: true,
        parameters: { barmanObjectName: 'immich-pg-backup', serverName: 'immich-pg' },
      },
    ]);
    expect(spec).not.toHaveProperty('backup');
    expect(cluster(cnpg()).spec).not.toHaveProperty('plugins');
  });
});

describe('off-site backups', () => {
  const manifests = synth(withBackup);

  test('the ObjectStore holds the path, endpoint, credentials Secret keys and retention', () => {
    const store = findOne(manifests, 'ObjectStore', 'immich-pg-backup');
    expect(store.apiVersion).toBe('barmancloud.cnpg.io/v1');
    expect(store.spec).toEqual({
      retentionPolicy: '30d',
      configuration: {
        destinationPath: 's3://immich-backups/immich',
        endpointURL: 'https://minio.example.com:9000',
        s3Credentials: {
          accessKeyId: { name: 'immich-pg-backup-credentials', key: 'ACCESS_KEY_ID' },
          secretAccessKey: { name: 'immich-pg-backup-credentials', key: 'ACCESS_SECRET_KEY' },
        },
        wal: { compression: 'gzip' },
        data: { compression: 'gzip' },
      },
    });
  });

  test('a ScheduledBackup with method plugin runs at 03:00 on a six-field schedule, and once right away', () => {
    const scheduled = findOne(manifests, 'ScheduledBackup', 'immich-pg');
    expect(scheduled.spec).toEqual({
      schedule: '0 0 3 * * *',
      cluster: { name: 'immich-pg' },
      method: 'plugin',
      pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' },
      immediate: true,
      backupOwnerReference: 'self',
    });
  });

  test('a base backup named after the release (method plugin) is taken before Immich moves to it', () => {
    const backup = findOne(manifests, 'Backup', 'immich-pg-before-v3-3-1');
    expect(backup.apiVersion).toBe('postgresql.cnpg.io/v1');
    expect(backup.spec).toEqual({
      cluster: { name: 'immich-pg' },
      method: 'plugin',
      pluginConfiguration: { name: 'barman-cloud.cloudnative-pg.io' },
    });
    const next = synth({ ...withBackup, immich: { version: 'v3.4.0' } });
    expect(next.filter((m) => m.object.kind === 'Backup').map((m) => m.object.metadata.name)).toEqual([
      'immich-pg-before-v3-4-0',
    ]);
  });

  test('no base backup before upgrades with beforeUpgrade: false, or without backup', () => {
    const kinds = (o: Record<string, unknown>) => synth(o).map((m) => m.object.kind);
    expect(kinds(cnpg({ backup: { ...CNPG_BACKUP, beforeUpgrade: false } }))).not.toContain('Backup');
    expect(kinds(cnpg())).not.toContain('Backup');
  });

  test('schedule and retention follow the configuration', () => {
    const custom = synth(cnpg({ backup: { ...CNPG_BACKUP, schedule: '0 30 1 * * 0', retentionPolicy: '8w' } }));
    expect(findOne(custom, 'ScheduledBackup', 'immich-pg').spec.schedule).toBe('0 30 1 * * 0');
    expect(findOne(custom, 'ObjectStore', 'immich-pg-backup').spec.retentionPolicy).toBe('8w');
  });

  test("replace Immich's own dump, which needs a superuser: it is off by default on this engine", () => {
    const configSecret = (o: Record<string, unknown>) =>
      findOne(synth({ ...o, ...INLINE }, PLAINTEXT), 'Secret', 'immich-config');
    const parsed = (o: Record<string, unknown>) => JSON.parse(configSecret(o).stringData['immich-config.json']);
    expect(parsed(withBackup).backup.database.enabled).toBe(false);
    expect(parsed({ ...withBackup, backup: undefined }).backup.database.enabled).toBe(false);
    expect(parsed({}).backup.database.enabled).toBe(true);
  });

  test('the credentials Secret is synthesized in each secrets mode that synthesizes Secrets', () => {
    const backupSecret = (mode: keyof typeof MODES) =>
      synth({ ...MODES[mode].overrides, ...withBackup }, PLAINTEXT)
        .map((m) => m.object)
        .find((o) => o.metadata.name === 'immich-pg-backup-credentials');
    expect(backupSecret('existing')).toBeUndefined();
    expect(backupSecret('inline')).toMatchObject({
      kind: 'Secret',
      stringData: {
        ACCESS_KEY_ID: PLAINTEXT.IMMICH_BACKUP_ACCESS_KEY_ID,
        ACCESS_SECRET_KEY: PLAINTEXT.IMMICH_BACKUP_SECRET_ACCESS_KEY,
      },
    });
    expect(backupSecret('external-secrets')).toMatchObject({
      kind: 'ExternalSecret',
      spec: {
        target: { name: 'immich-pg-backup-credentials' },
        data: [
          { secretKey: 'ACCESS_KEY_ID', remoteRef: { key: 'immich/s3', property: 'access-key-id' } },
          { secretKey: 'ACCESS_SECRET_KEY', remoteRef: { key: 'immich/s3', property: 'secret-access-key' } },
        ],
      },
    });
    expect(backupSecret('sealed-secrets')).toMatchObject({
      kind: 'SealedSecret',
      spec: {
        encryptedData: { ACCESS_KEY_ID: SEALED.backupAccessKeyId, ACCESS_SECRET_KEY: SEALED.backupSecretAccessKey },
      },
    });
  });

  test('credentialsKeys name the keys the ObjectStore reads and a synthesized Secret holds', () => {
    const keys = { accessKeyId: 'AWS_ACCESS_KEY_ID', secretAccessKey: 'AWS_SECRET_ACCESS_KEY' };
    const out = synth(
      { ...MODES.inline.overrides, ...cnpg({ backup: { ...CNPG_BACKUP, credentialsKeys: keys } }) },
      PLAINTEXT,
    );
    expect(findOne(out, 'ObjectStore', 'immich-pg-backup').spec.configuration.s3Credentials).toEqual({
      accessKeyId: { name: 'immich-pg-backup-credentials', key: 'AWS_ACCESS_KEY_ID' },
      secretAccessKey: { name: 'immich-pg-backup-credentials', key: 'AWS_SECRET_ACCESS_KEY' },
    });
    expect(findOne(out, 'Secret', 'immich-pg-backup-credentials').stringData).toEqual({
      AWS_ACCESS_KEY_ID: PLAINTEXT.IMMICH_BACKUP_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: PLAINTEXT.IMMICH_BACKUP_SECRET_ACCESS_KEY,
    });
  });

  test('an existing credentials Secret is used as it is in external-secrets mode, without store keys', () => {
    const all = (MODES['external-secrets'].overrides.secrets as { externalSecrets: Record<string, unknown> })
      .externalSecrets;
    const refs = Object.fromEntries(Object.entries(all).filter(([name]) => !name.startsWith('backup')));
    const out = synth(
      {
        ...withBackup,
        secrets: { mode: 'external-secrets', externalSecrets: refs, existing: ['immich-pg-backup-credentials'] },
      },
      PLAINTEXT,
    );
    expect(out.filter((m) => m.object.metadata.name === 'immich-pg-backup-credentials')).toEqual([]);
    expect(findOne(out, 'ObjectStore', 'immich-pg-backup').spec.configuration.s3Credentials.accessKeyId.name).toBe(
      'immich-pg-backup-credentials',
    );
  });
});

describe('the server on CloudNativePG', () => {
  const manifests = synth(withBackup, PLAINTEXT);
  const server = findOne(manifests, 'Deployment', 'immich-server');

  test('connects to immich-pg-rw with DB_URL from the operator-generated immich-pg-app Secret, as a file', () => {
    const env = envOf(mainContainer(server));
    expect(secretFileOf(server, 'DB_URL')).toBe('secret:immich-pg-app/uri');
    expect(env).not.toHaveProperty('DB_URL');
    for (const name of ['DB_HOSTNAME', 'DB_PORT', 'DB_USERNAME', 'DB_PASSWORD', 'DB_DATABASE_NAME']) {
      expect(env).not.toHaveProperty(name);
    }
    expect(server.spec.replicas).toBe(1);
  });

  test('no database password is synthesized or needed, in any secrets mode', () => {
    for (const mode of Object.keys(MODES) as (keyof typeof MODES)[]) {
      const out = objects({ ...MODES[mode].overrides, ...withBackup }, PLAINTEXT);
      expect(out.filter((o) => o.metadata.name === 'immich-db')).toEqual([]);
      expect(JSON.stringify(out)).not.toContain(PLAINTEXT.IMMICH_DB_PASSWORD);
    }
    // Inline mode without IMMICH_DB_PASSWORD is fine: the operator makes the password.
    const withoutDbPassword = { ...PLAINTEXT, IMMICH_DB_PASSWORD: undefined };
    expect(() => synth({ ...MODES.inline.overrides, ...withBackup }, withoutDbPassword)).not.toThrow();
  });

  test('the bundled postgres is gone from the output', () => {
    expect(manifests.filter((m) => m.object.metadata.name.startsWith('immich-postgres'))).toEqual([]);
  });
});

describe('restore from the object store', () => {
  const recovery = cnpg({
    backup: { ...CNPG_BACKUP, serverName: 'immich-pg-2' },
    bootstrap: 'recovery',
    recovery: { targetTime: '2026-11-26T08:00:00Z' },
  });
  const spec = cluster(recovery).spec;

  test('bootstraps by recovery from the old folder, up to the target time', () => {
    expect(spec.bootstrap).toEqual({
      recovery: {
        source: 'origin',
        database: 'immich',
        owner: 'immich',
        recoveryTarget: { targetTime: '2026-11-26T08:00:00Z' },
      },
    });
    expect(spec.externalClusters).toEqual([
      {
        name: 'origin',
        plugin: {
          name: 'barman-cloud.cloudnative-pg.io',
          parameters: { barmanObjectName: 'immich-pg-backup', serverName: 'immich-pg' },
        },
      },
    ]);
  });

  test('archives into a new folder of the same object store', () => {
    expect(spec.plugins[0].parameters).toEqual({ barmanObjectName: 'immich-pg-backup', serverName: 'immich-pg-2' });
  });

  test('without a target time recovers to the end of the archived WAL', () => {
    const latest = cluster(cnpg({ backup: { ...CNPG_BACKUP, serverName: 'immich-pg-2' }, bootstrap: 'recovery' }));
    expect(latest.spec.bootstrap.recovery).not.toHaveProperty('recoveryTarget');
  });
});

describe('migration from the bundled postgres', () => {
  const importing = cnpg({ importFrom: 'bundled' });
  const manifests = synth(importing);

  test('imports the Immich database from the running immich-postgres with its password Secret', () => {
    const spec = findOne(manifests, 'Cluster', 'immich-pg').spec;
    expect(spec.bootstrap.initdb.import).toEqual({
      type: 'microservice',
      databases: ['immich'],
      source: { externalCluster: 'immich-postgres' },
      postImportApplicationSQL: [
        'CREATE EXTENSION IF NOT EXISTS vchord CASCADE',
        'CREATE EXTENSION IF NOT EXISTS earthdistance CASCADE',
      ],
    });
    expect(spec.externalClusters).toEqual([
      {
        name: 'immich-postgres',
        connectionParameters: { host: 'immich-postgres', port: '5432', user: 'postgres', dbname: 'immich' },
        password: { name: 'immich-db', key: 'password' },
      },
    ]);
  });

  test('keeps the bundled StatefulSet and stops the server while the import runs', () => {
    expect(findOne(manifests, 'StatefulSet', 'immich-postgres').spec.replicas).toBe(1);
    const server = findOne(manifests, 'Deployment', 'immich-server');
    expect(server.spec.replicas).toBe(0);
    expect(secretFileOf(server, 'DB_URL')).toBe('secret:immich-pg-app/uri');
  });

  test('keepBundled runs the server on the cluster with the bundled StatefulSet beside it', () => {
    const kept = synth(cnpg({ keepBundled: true }));
    expect(findOne(kept, 'StatefulSet', 'immich-postgres').spec.replicas).toBe(1);
    expect(findOne(kept, 'Deployment', 'immich-server').spec.replicas).toBe(1);
    expect(findOne(kept, 'Cluster', 'immich-pg').spec.bootstrap.initdb).not.toHaveProperty('import');
  });

  test('dropping both options removes the StatefulSet; its claim template keeps the PVC name', () => {
    expect(synth(cnpg()).filter((m) => m.object.kind === 'StatefulSet')).toEqual([]);
  });
});

describe('Argo CD', () => {
  const manifests = synth(withBackup);
  const annotations = (kind: string, name: string) => findOne(manifests, kind, name).metadata.annotations ?? {};

  test.each([
    ['Cluster', 'immich-pg', '1', 'Prune=false,Delete=false,SkipDryRunOnMissingResource=true'],
    ['ObjectStore', 'immich-pg-backup', '0', 'Prune=false,Delete=false,SkipDryRunOnMissingResource=true'],
    ['ScheduledBackup', 'immich-pg', '1', 'SkipDryRunOnMissingResource=true'],
    // In the Cluster's wave, so machine learning (2) and the server (3) wait until it has completed.
    ['Backup', 'immich-pg-before-v3-3-1', '1', 'SkipDryRunOnMissingResource=true'],
  ])('%s %s syncs in wave %s with %s', (kind, name, wave, options) => {
    expect(annotations(kind, name)).toEqual({
      'argocd.argoproj.io/sync-wave': wave,
      'argocd.argoproj.io/sync-options': options,
    });
  });
});

describe('network paths', () => {
  const objectsWith = (overrides: Record<string, unknown>) => objects(overrides);
  const namespaceLabels = { 'kubernetes.io/metadata.name': 'immich' };
  const inImmich = (podLabels: Record<string, string>): Peer => ({
    kind: 'pod',
    namespace: 'immich',
    namespaceLabels,
    podLabels,
  });
  const app = (name: string) => inImmich({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'immich' });
  const instance = inImmich({ 'cnpg.io/cluster': 'immich-pg', 'cnpg.io/instanceRole': 'primary' });
  const replica = inImmich({ 'cnpg.io/cluster': 'immich-pg', 'cnpg.io/instanceRole': 'replica' });
  const operator: Peer = {
    kind: 'pod',
    namespace: 'cnpg-system',
    namespaceLabels: { 'kubernetes.io/metadata.name': 'cnpg-system' },
    podLabels: { 'app.kubernetes.io/name': 'cloudnative-pg' },
  };
  const stranger: Peer = {
    ...operator,
    namespace: 'media',
    namespaceLabels: { 'kubernetes.io/metadata.name': 'media' },
  };
  const apiServer: Peer = { kind: 'ip', ip: '10.0.0.1' };
  const objectStore: Peer = { kind: 'ip', ip: '203.0.113.7' };
  const policies = objectsWith(withBackup);

  test('the server reaches the cluster on 5432, and nothing else of the app does', () => {
    expect(allowed(policies, app('immich-server'), instance, 5432)).toBe(true);
    expect(allowed(policies, app('immich-machine-learning'), instance, 5432)).toBe(false);
    expect(allowed(policies, app('valkey'), instance, 5432)).toBe(false);
    expect(allowed(policies, app('immich-server'), instance, 8000)).toBe(false);
  });

  test('the operator reaches the status and Postgres ports; pods of other namespaces do not', () => {
    expect(allowed(policies, operator, instance, 8000)).toBe(true);
    expect(allowed(policies, operator, instance, 5432)).toBe(true);
    expect(allowed(policies, stranger, instance, 5432)).toBe(false);
  });

  test('instances reach each other for replication', () => {
    expect(allowed(policies, replica, instance, 5432)).toBe(true);
    expect(allowed(policies, instance, replica, 8000)).toBe(true);
  });

  test('instances reach the Kubernetes API and the object store, including its own port', () => {
    expect(allowed(policies, instance, apiServer, 6443)).toBe(true);
    expect(allowed(policies, instance, apiServer, 443)).toBe(true);
    expect(allowed(policies, instance, objectStore, 9000)).toBe(true);
    expect(allowed(policies, instance, objectStore, 22)).toBe(false);
    expect(allowed(objectsWith(cnpg()), instance, objectStore, 9000)).toBe(false);
  });

  test('API and object store addresses are configurable', () => {
    const narrowed = objectsWith({
      ...withBackup,
      networkPolicy: {
        cloudnativePg: {
          kubernetesApi: { cidrs: ['10.0.0.1/32'], ports: [6443] },
          objectStore: { cidrs: ['203.0.113.0/24'] },
        },
      },
    });
    expect(allowed(narrowed, instance, apiServer, 6443)).toBe(true);
    expect(allowed(narrowed, instance, { kind: 'ip', ip: '10.0.0.2' }, 6443)).toBe(false);
    expect(allowed(narrowed, instance, objectStore, 9000)).toBe(true);
    expect(allowed(narrowed, instance, { kind: 'ip', ip: '198.51.100.1' }, 443)).toBe(false);
  });

  test('an object store published behind the in-cluster Traefik is reached on its entry points only when said so', () => {
    const traefik: Peer = {
      kind: 'pod',
      namespace: 'traefik',
      namespaceLabels: { 'kubernetes.io/metadata.name': 'traefik' },
      podLabels: { 'app.kubernetes.io/name': 'traefik' },
    };
    const published = objectsWith({
      ...withBackup,
      networkPolicy: { cloudnativePg: { objectStore: { cidrs: ['203.0.113.0/24'], viaIngressController: true } } },
    });
    // The load balancer address is rewritten to a Traefik pod on its container port, which no ipBlock matches.
    expect(allowed(published, instance, traefik, 8443)).toBe(true);
    expect(allowed(published, instance, traefik, 8000)).toBe(true);
    expect(allowed(published, instance, objectStore, 9000)).toBe(true);
    expect(allowed(published, instance, traefik, 5432)).toBe(false);
    expect(allowed(policies, instance, traefik, 8443)).toBe(false);
    // Without backups there is no object store, published or not.
    const noBackup = objectsWith({
      ...cnpg(),
      networkPolicy: { cloudnativePg: { objectStore: { viaIngressController: true } } },
    });
    expect(allowed(noBackup, instance, traefik, 8443)).toBe(false);
  });

  test('during an import the cluster reads the bundled postgres, which the stopped server no longer uses', () => {
    const importing = objectsWith(cnpg({ importFrom: 'bundled' }));
    expect(allowed(importing, instance, app('immich-postgres'), 5432)).toBe(true);
    expect(allowed(importing, app('immich-server'), app('immich-postgres'), 5432)).toBe(false);
    const kept = objectsWith(cnpg({ keepBundled: true }));
    expect(allowed(kept, instance, app('immich-postgres'), 5432)).toBe(false);
    expect(allowed(kept, app('immich-server'), app('immich-postgres'), 5432)).toBe(false);
  });
});

describe('bad input', () => {
  const errorOf = (database: string, more = '') =>
    configError(`${EXAMPLE_YAML.replace(/^backup:\n( {2}.*\n)+/m, '')}database:\n${database}${more}`);

  test('fails when instances is 0', () => {
    expect(errorOf('  engine: cloudnative-pg\n  cloudnativePg: { instances: 0 }\n')).toContain(
      'database.cloudnativePg.instances: must be at least 1, got 0',
    );
  });

  test('fails when a backup lacks destinationPath or credentialsSecret', () => {
    const message = errorOf('  engine: cloudnative-pg\n  cloudnativePg: { backup: { retentionPolicy: 30d } }\n');
    expect(message).toContain('database.cloudnativePg.backup.destinationPath: required');
    expect(message).toContain('database.cloudnativePg.backup.credentialsSecret: required');
  });

  test('fails on a five-field schedule, suggesting the seconds field', () => {
    const message = errorOf(
      `  engine: cloudnative-pg\n  cloudnativePg:\n    backup: { destinationPath: "s3://b/i", credentialsSecret: c, schedule: "0 3 * * *" }\n`,
    );
    expect(message).toContain(
      'database.cloudnativePg.backup.schedule: must be a six-field cron expression with seconds first, like "0 0 3 * * *"; it has 5 fields; put the seconds first: "0 0 3 * * *", got "0 3 * * *"',
    );
  });

  test('fails on a malformed schedule field', () => {
    const message = errorOf(
      `  engine: cloudnative-pg\n  cloudnativePg:\n    backup: { destinationPath: "s3://b/i", credentialsSecret: c, schedule: "0 0 25 * * *" }\n`,
    );
    expect(message).toContain('its hour field "25" must be *, a number from 0 to 23');
  });

  test('fails when importFrom or recovery is set with the bundled engine', () => {
    const message = errorOf('  cloudnativePg: { importFrom: bundled, bootstrap: recovery }\n');
    expect(message).toContain('database.cloudnativePg.importFrom: only used with database.engine "cloudnative-pg"');
    expect(message).toContain('database.cloudnativePg.bootstrap: only used with database.engine "cloudnative-pg"');
  });

  test('fails when importFrom and recovery are set together', () => {
    const message = errorOf(
      `  engine: cloudnative-pg\n  cloudnativePg:\n    importFrom: bundled\n    bootstrap: recovery\n    backup: { destinationPath: "s3://b/i", credentialsSecret: c, serverName: new }\n`,
    );
    expect(message).toContain('database.cloudnativePg.importFrom: a cluster is created either by importing');
  });

  test('fails when a recovery has no object store or would archive into the folder it restores from', () => {
    expect(errorOf('  engine: cloudnative-pg\n  cloudnativePg: { bootstrap: recovery }\n')).toContain(
      'database.cloudnativePg.backup: required with bootstrap "recovery"',
    );
    expect(
      errorOf(
        '  engine: cloudnative-pg\n  cloudnativePg:\n    bootstrap: recovery\n    backup: { destinationPath: "s3://b/i", credentialsSecret: c }\n',
      ),
    ).toContain('database.cloudnativePg.backup.serverName: a restored cluster must archive into a new folder');
  });

  test("fails when Immich's own dump is switched on with CloudNativePG", () => {
    const message = configError(
      EXAMPLE_YAML.replace('database:\n', 'database:\n') + 'database: { engine: cloudnative-pg }\n',
    );
    expect(message).toContain("backup.database.enabled: Immich's own dump runs pg_dumpall");
  });

  test('fails on a destination that is not an S3 path, an owner named postgres and a zone-less target time', () => {
    const message = errorOf(
      `  engine: cloudnative-pg\n  cloudnativePg:\n    owner: postgres\n    recovery: { targetTime: "2026-11-26 08:00" }\n    backup: { destinationPath: "/backups", credentialsSecret: c }\n`,
    );
    expect(message).toContain('database.cloudnativePg.owner: must not be "postgres"');
    expect(message).toContain('database.cloudnativePg.recovery.targetTime: must be an RFC 3339 time with a zone');
    expect(message).toContain(
      'database.cloudnativePg.backup.destinationPath: must be an S3 path like "s3://bucket/immich"',
    );
  });

  test('fails in inline mode without the object store credentials, naming both variables', () => {
    const message = configError(
      `${EXAMPLE_YAML.replace(/^backup:\n( {2}.*\n)+/m, '')
        .replace('mode: existing', 'mode: inline')
        .replace(
          '  enabled: true\n  repoURL',
          '  enabled: true\n  allowInlineSecrets: true\n  repoURL',
        )}database:\n  engine: cloudnative-pg\n  cloudnativePg:\n    backup: { destinationPath: "s3://b/i", credentialsSecret: c }\n`,
      { IMMICH_OAUTH_CLIENT_SECRET: 'x' },
    );
    expect(message).toContain(
      'IMMICH_BACKUP_ACCESS_KEY_ID: required when secrets.mode is "inline" and database.cloudnativePg.backup is set, unless "c" is listed in secrets.existing, got nothing',
    );
    expect(message).toContain('IMMICH_BACKUP_SECRET_ACCESS_KEY: required');
    expect(message).not.toContain('IMMICH_DB_PASSWORD');
  });

  test('IMMICH_DB_ENGINE selects the engine', () => {
    const message = configError(EXAMPLE_YAML, { IMMICH_DB_ENGINE: 'cockroach' });
    expect(message).toContain(
      'IMMICH_DB_ENGINE (database.engine): must be one of "bundled", "cloudnative-pg", got "cockroach"',
    );
  });
});
