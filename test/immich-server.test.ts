import { findOne, mainContainer, envOf, replace, secretFileOf, synth } from './support/synth';
import type { Manifest } from '../src/output';

const server = (overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) =>
  findOne(synth(overrides, env), 'Deployment', 'immich-server');

const podSpec = (deployment: ReturnType<typeof server>) => deployment.spec.template.spec;

function volumeAt(deployment: ReturnType<typeof server>, mountPath: string): { mount: any; volume: any } {
  const mount = mainContainer(deployment).volumeMounts.find((m: any) => m.mountPath === mountPath);
  if (!mount) throw new Error(`nothing mounted at ${mountPath}`);
  const volume = podSpec(deployment).volumes.find((v: any) => v.name === mount.name);
  return { mount, volume };
}

describe('immich-server', () => {
  const manifests: Manifest[] = synth();
  const deployment = findOne(manifests, 'Deployment', 'immich-server');
  const container = mainContainer(deployment);
  const env = envOf(container);

  test('server is a Deployment with a Service both named immich-server', () => {
    expect(deployment.metadata.name).toBe('immich-server');
    expect(findOne(manifests, 'Service', 'immich-server').kind).toBe('Service');
  });

  test('server Service exposes port 2283 named http targeting the container port', () => {
    const [port] = findOne(manifests, 'Service', 'immich-server').spec.ports;
    expect(port).toMatchObject({ name: 'http', port: 2283 });
    const containerPort = container.ports.find(
      (p: any) => p.name === port.targetPort || p.containerPort === port.targetPort,
    );
    expect(containerPort.containerPort).toBe(2283);
  });

  test('server Service selects the server pods', () => {
    const service = findOne(manifests, 'Service', 'immich-server');
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(deployment.spec.selector.matchLabels).toEqual(service.spec.selector);
  });

  test('server uses the Recreate strategy', () => {
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
  });

  test('server runs one replica', () => {
    expect(deployment.spec.replicas).toBe(1);
  });

  test('server disables service links', () => {
    expect(podSpec(deployment).enableServiceLinks).toBe(false);
  });

  test('server does not mount a service account token', () => {
    expect(podSpec(deployment).automountServiceAccountToken).toBe(false);
  });

  test('server image is immich-server at the default version', () => {
    expect(container.image).toBe('ghcr.io/immich-app/immich-server:v3.3.1');
  });

  test('server image follows immich.version', () => {
    expect(mainContainer(server({ immich: { version: 'v2.1.0' } })).image).toBe(
      'ghcr.io/immich-app/immich-server:v2.1.0',
    );
  });

  test('server image follows IMMICH_VERSION', () => {
    expect(mainContainer(server({}, { IMMICH_VERSION: 'v3.0.2' })).image).toBe(
      'ghcr.io/immich-app/immich-server:v3.0.2',
    );
  });

  test('server reaches postgres at immich-postgres:5432', () => {
    expect(env.DB_HOSTNAME).toBe('immich-postgres');
    expect(env.DB_PORT).toBe('5432');
  });

  test('server reaches valkey at valkey:6379', () => {
    expect(env.REDIS_HOSTNAME).toBe('valkey');
    expect(env.REDIS_PORT).toBe('6379');
  });

  test('server reaches machine learning at http://immich-machine-learning:3003', () => {
    expect(env.IMMICH_MACHINE_LEARNING_URL).toBe('http://immich-machine-learning:3003');
  });

  test('server reads the database password from the immich-db Secret as a file, not a variable', () => {
    expect(secretFileOf(deployment, 'DB_PASSWORD')).toBe('secret:immich-db/password');
    expect(env).not.toHaveProperty('DB_PASSWORD');
    expect(container.volumeMounts).toContainEqual({
      name: 'secret-files',
      mountPath: '/run/secrets/immich',
      readOnly: true,
    });
  });

  test('server database user and name follow the database config and its variables', () => {
    expect(env).toMatchObject({ DB_USERNAME: 'postgres', DB_DATABASE_NAME: 'immich' });
    const other = envOf(
      mainContainer(server({ database: { username: 'immich_user' } }, { IMMICH_DB_DATABASE_NAME: 'photos' })),
    );
    expect(other).toMatchObject({ DB_USERNAME: 'immich_user', DB_DATABASE_NAME: 'photos' });
  });

  test('server TZ follows the timezone config', () => {
    expect(env.TZ).toBe('UTC');
    expect(envOf(mainContainer(server({ timezone: 'Europe/Berlin' }))).TZ).toBe('Europe/Berlin');
  });

  test('server TZ follows the TZ environment variable only where the file leaves timezone out', () => {
    const tz = { TZ: 'America/New_York' };
    expect(envOf(mainContainer(server({ timezone: undefined }, tz))).TZ).toBe('America/New_York');
    expect(envOf(mainContainer(server({}, tz))).TZ).toBe('UTC');
  });

  test('server reads the system config from /config/immich-config.json', () => {
    expect(env.IMMICH_CONFIG_FILE).toBe('/config/immich-config.json');
  });

  test('server mounts the immich-config Secret read-only at /config', () => {
    const { mount, volume } = volumeAt(deployment, '/config');
    expect(mount.readOnly).toBe(true);
    expect(volume.secret.secretName).toBe('immich-config');
    expect(volume.secret.items).toEqual([{ key: 'immich-config.json', path: 'immich-config.json' }]);
  });

  test.each(['OAUTH_', 'UPLOAD_LOCATION', 'NODE_ENV', 'SERVER_PORT', 'IMMICH_METRICS'])(
    'server env has no %s variable',
    (prefix) => {
      expect(Object.keys(env).filter((name) => name.startsWith(prefix))).toEqual([]);
    },
  );

  test('server env hosts and ports name Services that exist in the output', () => {
    const serviceFor = (host: string | undefined) => findOne(manifests, 'Service', host ?? '');
    expect(serviceFor(env.DB_HOSTNAME).spec.ports.map((p: any) => String(p.port))).toContain(env.DB_PORT);
    expect(serviceFor(env.REDIS_HOSTNAME).spec.ports.map((p: any) => String(p.port))).toContain(env.REDIS_PORT);
    const ml = new URL(env.IMMICH_MACHINE_LEARNING_URL ?? '');
    expect(serviceFor(ml.hostname).spec.ports.map((p: any) => String(p.port))).toContain(ml.port);
  });

  test('server media location is the /data mount, not a guess', () => {
    expect(env.IMMICH_MEDIA_LOCATION).toBe('/data');
    expect(volumeAt(deployment, env.IMMICH_MEDIA_LOCATION!).volume.persistentVolumeClaim.claimName).toBe('immich-data');
  });

  test('server mounts the immich-data PVC at /data', () => {
    const { mount, volume } = volumeAt(deployment, '/data');
    expect(mount.readOnly).toBeFalsy();
    expect(volume.persistentVolumeClaim.claimName).toBe('immich-data');
    expect(findOne(manifests, 'PersistentVolumeClaim', 'immich-data').spec.accessModes).toEqual(['ReadWriteOnce']);
  });

  test('immich-data PVC size and class follow storage.data', () => {
    const pvc = findOne(
      synth({ storage: { data: { size: '500Gi', storageClass: 'nas' } } }),
      'PersistentVolumeClaim',
      'immich-data',
    );
    expect(pvc.spec.resources.requests.storage).toBe('500Gi');
    expect(pvc.spec.storageClassName).toBe('nas');
  });

  test('server mounts the example nfs library read-only at /mnt/media/photos through its claim', () => {
    const { mount, volume } = volumeAt(deployment, '/mnt/media/photos');
    expect(mount.readOnly).toBe(true);
    expect(volume).toEqual({ name: 'library', persistentVolumeClaim: { claimName: 'immich-library', readOnly: true } });
  });

  test('server mounts a pvc library read-only at /mnt/media/photos by claimName', () => {
    const { mount, volume } = volumeAt(
      server({ library: replace({ source: 'pvc', claimName: 'photo-library' }) }),
      '/mnt/media/photos',
    );
    expect(mount.readOnly).toBe(true);
    expect(volume.persistentVolumeClaim.claimName).toBe('photo-library');
  });

  test('server mounts a hostPath library read-only at /mnt/media/photos', () => {
    const { mount, volume } = volumeAt(
      server({ library: replace({ source: 'hostPath', path: '/srv/photos' }) }),
      '/mnt/media/photos',
    );
    expect(mount.readOnly).toBe(true);
    expect(volume.hostPath.path).toBe('/srv/photos');
  });

  test('server mounts no library with source none', () => {
    const deployment = server({ library: replace({ source: 'none' }) });
    expect(mainContainer(deployment).volumeMounts.map((m: any) => m.mountPath)).not.toContain('/mnt/media/photos');
    const volumes = podSpec(deployment).volumes;
    expect(volumes.filter((v: any) => v.nfs || v.hostPath)).toEqual([]);
    expect(volumes.flatMap((v: any) => (v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : []))).toEqual([
      'immich-data',
    ]);
  });

  test.each(['startupProbe', 'readinessProbe', 'livenessProbe'])('server %s gets /api/server/ping on 2283', (probe) => {
    expect(container[probe].httpGet).toEqual({ path: '/api/server/ping', port: 2283 });
  });

  test('server startup probe allows at least 600 s for migrations', () => {
    const { periodSeconds, failureThreshold } = container.startupProbe;
    expect(periodSeconds * failureThreshold).toBeGreaterThanOrEqual(600);
  });

  test('server pod runs as non-root uid 1000 with the RuntimeDefault seccomp profile', () => {
    expect(podSpec(deployment).securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  test('server container is locked down', () => {
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  test('server has a writable emptyDir at /tmp', () => {
    const { mount, volume } = volumeAt(deployment, '/tmp');
    expect(mount.readOnly).toBeFalsy();
    expect(volume.emptyDir).toBeDefined();
  });

  test('server resources default to 250m/1Gi requests and a 4Gi memory limit', () => {
    expect(container.resources).toEqual({ requests: { cpu: '250m', memory: '1Gi' }, limits: { memory: '4Gi' } });
  });

  test('server resources follow resources.server', () => {
    const resources = mainContainer(
      server({ resources: { server: { requests: { memory: '1Gi' }, limits: { cpu: '2' } } } }),
    ).resources;
    expect(resources.requests.memory).toBe('1Gi');
    expect(resources.limits.cpu).toBe('2');
  });
});
