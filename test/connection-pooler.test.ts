import { immichDatabaseClients } from '../src/components/connection-pooler';
import { IMMICH_DB_POOL_SIZE } from '../src/constants';
import { selectorMatches } from '../src/lib/kube-json';
import { pssViolations } from '../src/lib/pss';
import { CNPG_BACKUP, SPLIT } from './support/modes';
import { allowed, type Peer } from './support/netpol';
import { cloudnativePgPoolerPod } from './support/operator-pods';
import { configError, EXAMPLE_YAML, envOf, findOne, mainContainer, secretFileOf, synth } from './support/synth';

/** The example on CloudNativePG with backups (Immich's own dump off, as that engine requires). */
const cnpg = (cloudnativePg: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
  database: { engine: 'cloudnative-pg', cloudnativePg: { backup: CNPG_BACKUP, ...cloudnativePg } },
  backup: { database: { enabled: false } },
  ...more,
});
const POOLED = cnpg({ pooler: { enabled: true } });
const manifests = synth(POOLED);
const pooler = findOne(manifests, 'Pooler', 'immich-pg-pooler-rw');
const split = synth({ ...SPLIT, ...cnpg({ pooler: { enabled: true } }) });

describe('the PgBouncer pooler', () => {
  test('is off by default: no Pooler, and the server connects to immich-pg-rw', () => {
    const direct = synth(cnpg({}));
    expect(direct.filter((m) => m.object.kind === 'Pooler')).toEqual([]);
    expect(secretFileOf(findOne(direct, 'Deployment', 'immich-server'), 'DB_URL')).toBe('secret:immich-pg-app/uri');
  });

  test('is a Pooler immich-pg-pooler-rw in session mode in front of the primary of immich-pg, two pods by default', () => {
    expect(pooler.apiVersion).toBe('postgresql.cnpg.io/v1');
    expect(pooler.spec).toMatchObject({
      cluster: { name: 'immich-pg' },
      type: 'rw',
      instances: 2,
      pgbouncer: { poolMode: 'session' },
    });
  });

  test('takes every connection Immich may open on each PgBouncer pod, since each holds a server connection', () => {
    const parameters = (objects: typeof manifests) =>
      findOne(objects, 'Pooler', 'immich-pg-pooler-rw').spec.pgbouncer.parameters;
    // One combined pod (two processes) and its surge pod.
    const combined = 2 * (2 * IMMICH_DB_POOL_SIZE + 1);
    expect(parameters(manifests)).toEqual({ max_client_conn: String(combined), default_pool_size: String(combined) });
    // Three API pods and two workers, one process each, plus a surge pod per Deployment.
    const splitClients = (3 + 1 + 2 + 1) * (IMMICH_DB_POOL_SIZE + 1);
    expect(parameters(split)).toMatchObject({ default_pool_size: String(splitClients) });
    expect(immichDatabaseClients({ server: 3, workers: 2 })).toBe(splitClients);
  });

  test('several PgBouncer pods spread over host names and keep one up through a node drain', () => {
    const spread = pooler.spec.template.spec.topologySpreadConstraints;
    expect(spread).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { 'cnpg.io/poolerName': 'immich-pg-pooler-rw' } },
      },
    ]);
    expect(findOne(manifests, 'PodDisruptionBudget', 'immich-pg-pooler-rw').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { 'cnpg.io/poolerName': 'immich-pg-pooler-rw' } },
    });
  });

  test('one PgBouncer pod gets neither a spread nor a disruption budget', () => {
    const single = synth(cnpg({ pooler: { enabled: true, instances: 1 } }));
    expect(findOne(single, 'Pooler', 'immich-pg-pooler-rw').spec.template.spec.topologySpreadConstraints).toBe(
      undefined,
    );
    expect(single.filter((m) => m.object.kind === 'PodDisruptionBudget')).toEqual([]);
  });

  test('the pgbouncer container gets the configured requests and limits', () => {
    const custom = synth(
      cnpg({
        pooler: { enabled: true, resources: { requests: { cpu: '100m' }, limits: { cpu: '1', memory: '512Mi' } } },
      }),
    );
    const container = findOne(custom, 'Pooler', 'immich-pg-pooler-rw').spec.template.spec.containers[0];
    expect(container).toEqual({
      name: 'pgbouncer',
      resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    });
  });

  test('the PgBouncer pods the operator builds from it meet restricted', () => {
    expect(pssViolations(cloudnativePgPoolerPod(pooler), 'restricted')).toEqual([]);
  });

  test('a template that breaks restricted is caught by the pod model', () => {
    const loosened = structuredClone(pooler);
    loosened.spec.template.spec.hostNetwork = true;
    expect(pssViolations(cloudnativePgPoolerPod(loosened), 'restricted')).not.toEqual([]);
  });
});

describe('Immich through the pooler', () => {
  test.each([
    ['immich-server', split],
    ['immich-microservices', split],
    ['immich-server', manifests],
  ])(
    '%s connects to the pooler by host, port, user and database, the password a file from immich-pg-app',
    (name, objects) => {
      const workload = findOne(objects, 'Deployment', name);
      const env = envOf(mainContainer(workload));
      expect(env).toMatchObject({
        DB_HOSTNAME: 'immich-pg-pooler-rw',
        DB_PORT: '5432',
        DB_USERNAME: 'immich',
        DB_DATABASE_NAME: 'immich',
      });
      expect(secretFileOf(workload, 'DB_PASSWORD')).toBe('secret:immich-pg-app/password');
      expect(secretFileOf(workload, 'DB_URL')).toBeUndefined();
      expect(env).not.toHaveProperty('DB_URL');
    },
  );

  test('the owner named in the configuration is the user Immich logs in as', () => {
    const owned = synth(cnpg({ owner: 'photos', pooler: { enabled: true } }));
    expect(envOf(mainContainer(findOne(owned, 'Deployment', 'immich-server'))).DB_USERNAME).toBe('photos');
  });

  test("the server's first start waits for the primary, then for the pooler's Service", () => {
    const init = findOne(manifests, 'Deployment', 'immich-server').spec.template.spec.initContainers[0];
    expect(init.name).toBe('wait-for-database');
    expect(init.command.slice(-4)).toEqual(['immich-pg-rw', '5432', 'immich-pg-pooler-rw', '5432']);
  });

  test('an import still reads the bundled postgres directly, while the stopped server would use the pooler', () => {
    const importing = synth(cnpg({ importFrom: 'bundled', pooler: { enabled: true } }));
    const cluster = findOne(importing, 'Cluster', 'immich-pg');
    expect(cluster.spec.externalClusters[0].connectionParameters.host).toBe('immich-postgres');
    const server = findOne(importing, 'Deployment', 'immich-server');
    expect(server.spec.replicas).toBe(0);
    expect(envOf(mainContainer(server)).DB_HOSTNAME).toBe('immich-pg-pooler-rw');
  });
});

describe('network paths with the pooler', () => {
  const objects = split.map((m) => m.object);
  const inImmich = (podLabels: Record<string, string>): Peer => ({
    kind: 'pod',
    namespace: 'immich',
    namespaceLabels: { 'kubernetes.io/metadata.name': 'immich' },
    podLabels,
  });
  const app = (name: string) => inImmich({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'immich' });
  // As the operator labels them: a PgBouncer pod carries its cluster's label too.
  const bouncer = inImmich({
    'cnpg.io/poolerName': 'immich-pg-pooler-rw',
    'cnpg.io/cluster': 'immich-pg',
    'cnpg.io/podRole': 'pooler',
  });
  const instance = inImmich({ 'cnpg.io/cluster': 'immich-pg', 'cnpg.io/podRole': 'instance' });
  const operator: Peer = {
    kind: 'pod',
    namespace: 'cnpg-system',
    namespaceLabels: { 'kubernetes.io/metadata.name': 'cnpg-system' },
    podLabels: { 'app.kubernetes.io/name': 'cloudnative-pg' },
  };
  const prometheus: Peer = {
    kind: 'pod',
    namespace: 'monitoring',
    namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
    podLabels: { 'app.kubernetes.io/name': 'prometheus' },
  };
  const apiServer: Peer = { kind: 'ip', ip: '10.0.0.1' };

  test('the server and the workers reach the pooler on 5432, and the instances on 5432 alone, for their start-up wait', () => {
    for (const name of ['immich-server', 'immich-microservices']) {
      expect(allowed(objects, app(name), bouncer, 5432)).toBe(true);
      expect(allowed(objects, app(name), instance, 5432)).toBe(true);
      expect(allowed(objects, app(name), instance, 8000)).toBe(false);
    }
    expect(allowed(objects, app('immich-machine-learning'), bouncer, 5432)).toBe(false);
  });

  test('the pooler reaches the instances on 5432 and the Kubernetes API, nothing else of the cluster', () => {
    expect(allowed(objects, bouncer, instance, 5432)).toBe(true);
    expect(allowed(objects, bouncer, instance, 8000)).toBe(false);
    expect(allowed(objects, bouncer, apiServer, 6443)).toBe(true);
    expect(allowed(objects, bouncer, { kind: 'ip', ip: '203.0.113.7' }, 9000)).toBe(false);
  });

  test("the cluster's policy leaves the pooler's pods to their own: no operator or instance reaches them", () => {
    expect(allowed(objects, operator, bouncer, 8000)).toBe(false);
    expect(allowed(objects, instance, bouncer, 5432)).toBe(false);
    expect(allowed(objects, operator, instance, 8000)).toBe(true);
  });

  test('Prometheus scrapes PgBouncer on 9127 only with monitoring on', () => {
    expect(allowed(objects, prometheus, bouncer, 9127)).toBe(false);
    const monitored = synth({
      ...SPLIT,
      ...cnpg({ pooler: { enabled: true } }),
      monitoring: { enabled: true },
    }).map((m) => m.object);
    expect(allowed(monitored, prometheus, bouncer, 9127)).toBe(true);
    expect(allowed(monitored, prometheus, bouncer, 9187)).toBe(false);
  });
});

describe('monitoring of the pooler', () => {
  const monitored = synth({ ...cnpg({ pooler: { enabled: true } }), monitoring: { enabled: true } });
  const podMonitors = monitored.map((m) => m.object as any).filter((o) => o.kind === 'PodMonitor');
  const bouncerLabels = {
    'cnpg.io/poolerName': 'immich-pg-pooler-rw',
    'cnpg.io/cluster': 'immich-pg',
    'cnpg.io/podRole': 'pooler',
  };
  const instanceLabels = {
    'cnpg.io/cluster': 'immich-pg',
    'cnpg.io/podRole': 'instance',
    'cnpg.io/instanceName': 'immich-pg-1',
  };
  const scraping = (labels: Record<string, string>) =>
    podMonitors.filter((m) => selectorMatches(m.spec.selector, labels)).map((m) => m.metadata.name);

  test('PgBouncer pods are scraped by a PodMonitor of their own on their metrics port, instances by theirs, none twice', () => {
    expect(scraping(bouncerLabels)).toEqual(['immich-pg-pooler-rw']);
    expect(scraping(instanceLabels)).toEqual(['immich-pg']);
    expect(findOne(monitored, 'PodMonitor', 'immich-pg-pooler-rw').spec.podMetricsEndpoints).toEqual([
      { port: 'metrics', interval: '30s' },
    ]);
  });

  test('without monitoring there is no PodMonitor', () => {
    expect(manifests.filter((m) => m.object.kind === 'PodMonitor')).toEqual([]);
  });
});

describe('bad input', () => {
  const yaml = (pooler: string, engine = 'cloudnative-pg') =>
    `${EXAMPLE_YAML}database:\n  engine: ${engine}\n  cloudnativePg:\n    pooler: ${pooler}\n`;

  test('fails on poolMode transaction, saying what Immich keeps on its sessions', () => {
    expect(configError(yaml('{ enabled: true, poolMode: transaction }'))).toContain(
      'database.cloudnativePg.pooler.poolMode: must be "session": Immich holds advisory locks, prepared statements and settings on its sessions, which transaction pooling hands to other clients, got "transaction"',
    );
  });

  test('fails when the pooler is enabled with the bundled engine', () => {
    expect(configError(yaml('{ enabled: true }', 'bundled'))).toContain(
      'database.cloudnativePg.pooler.enabled: only used with database.engine "cloudnative-pg", got true with engine "bundled"',
    );
  });

  test('fails on no PgBouncer pod', () => {
    expect(configError(yaml('{ enabled: true, instances: 0 }'))).toContain(
      'database.cloudnativePg.pooler.instances: must be at least 1, got 0',
    );
  });
});
