import { envOf, findOne, mainContainer, secretFileOf, synth } from './support/synth';

const postgres = (overrides: Record<string, unknown> = {}) =>
  findOne(synth(overrides), 'StatefulSet', 'immich-postgres');

describe('postgres', () => {
  const manifests = synth();
  const statefulSet = findOne(manifests, 'StatefulSet', 'immich-postgres');
  const podSpec = statefulSet.spec.template.spec;
  const container = mainContainer(statefulSet);
  const env = envOf(container);
  const volumeAt = (mountPath: string) => {
    const mount = container.volumeMounts.find((m: any) => m.mountPath === mountPath);
    return podSpec.volumes.find((v: any) => v.name === mount?.name);
  };

  test('postgres StatefulSet is governed by the immich-postgres-headless Service', () => {
    expect(statefulSet.spec.serviceName).toBe('immich-postgres-headless');
  });

  test('immich-postgres-headless is a headless Service on 5432', () => {
    const headless = findOne(manifests, 'Service', 'immich-postgres-headless');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.ports.map((p: any) => p.port)).toEqual([5432]);
  });

  test('immich-postgres is a regular Service on 5432 selecting the postgres pod', () => {
    const service = findOne(manifests, 'Service', 'immich-postgres');
    expect(service.spec.clusterIP).toBeUndefined();
    expect(service.spec.ports.map((p: any) => p.port)).toEqual([5432]);
    expect(statefulSet.spec.template.metadata.labels).toMatchObject(service.spec.selector);
  });

  test('postgres claims its data volume through a volumeClaimTemplate named data', () => {
    const [template] = statefulSet.spec.volumeClaimTemplates;
    expect(statefulSet.spec.volumeClaimTemplates).toHaveLength(1);
    expect(template.metadata.name).toBe('data');
    expect(`${template.metadata.name}-${statefulSet.metadata.name}-0`).toBe('data-immich-postgres-0');
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/postgresql/data' });
  });

  test('postgres data volume defaults to 10Gi on the default StorageClass', () => {
    const [template] = statefulSet.spec.volumeClaimTemplates;
    expect(template.spec.resources.requests.storage).toBe('10Gi');
    expect(template.spec.storageClassName).toBeUndefined();
  });

  test('postgres data volume size and class follow storage.postgres', () => {
    const [template] = postgres({ storage: { postgres: { size: '20Gi', storageClass: 'local-path' } } }).spec
      .volumeClaimTemplates;
    expect(template.spec.resources.requests.storage).toBe('20Gi');
    expect(template.spec.storageClassName).toBe('local-path');
  });

  test('postgres retains its PVC when the StatefulSet is deleted or scaled', () => {
    expect(statefulSet.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenDeleted: 'Retain',
      whenScaled: 'Retain',
    });
  });

  test('postgres image is pinned by digest', () => {
    expect(container.image).toBe(
      'ghcr.io/immich-app/postgres:14-vectorchord0.4.3-pgvectors0.2.0@sha256:bcf63357191b76a916ae5eb93464d65c07511da41e3bf7a8416db519b40b1c23',
    );
  });

  test('postgres reads its password from the immich-db Secret as a file, not a variable', () => {
    expect(secretFileOf(statefulSet, 'POSTGRES_PASSWORD')).toBe('secret:immich-db/password');
    expect(env).not.toHaveProperty('POSTGRES_PASSWORD');
  });

  test('postgres creates the same user and database the server connects with', () => {
    expect(env).toMatchObject({ POSTGRES_USER: 'postgres', POSTGRES_DB: 'immich' });
    const server = envOf(mainContainer(findOne(synth(), 'Deployment', 'immich-server')));
    expect([server.DB_USERNAME, server.DB_DATABASE_NAME]).toEqual([env.POSTGRES_USER, env.POSTGRES_DB]);
  });

  test('postgres initializes the cluster with data checksums', () => {
    expect(env.POSTGRES_INITDB_ARGS).toBe('--data-checksums');
  });

  test('PGDATA is a subdirectory of the /var/lib/postgresql/data mount', () => {
    expect(env.PGDATA).toMatch(/^\/var\/lib\/postgresql\/data\/[^/]+/);
  });

  test('DB_STORAGE_TYPE is SSD by default', () => {
    expect(env.DB_STORAGE_TYPE).toBe('SSD');
  });

  test('DB_STORAGE_TYPE follows database.storageType', () => {
    expect(envOf(mainContainer(postgres({ database: { storageType: 'HDD' } }))).DB_STORAGE_TYPE).toBe('HDD');
  });

  test('/dev/shm is an in-memory emptyDir', () => {
    expect(volumeAt('/dev/shm').emptyDir.medium).toBe('Memory');
  });

  test.each(['/etc/postgresql', '/var/run/postgresql'])('%s is a writable emptyDir', (path) => {
    expect(volumeAt(path).emptyDir).toBeDefined();
    expect(container.volumeMounts.find((m: any) => m.mountPath === path).readOnly).toBeFalsy();
  });

  test.each(['startupProbe', 'readinessProbe', 'livenessProbe'])('postgres %s runs pg_isready', (probe) => {
    expect(container[probe].exec.command.join(' ')).toContain('pg_isready');
  });

  test('postgres runs as uid 999 with a read-only root file system', () => {
    expect(podSpec.securityContext).toMatchObject({ runAsUser: 999, runAsNonRoot: true });
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
  });
});
