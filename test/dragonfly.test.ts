import { pssViolations } from '../src/lib/pss';
import { quantityValue } from '../src/lib/quantity';
import { SPLIT } from './support/modes';
import { type Peer, allowed } from './support/netpol';
import { EXAMPLE_YAML, configError, envOf, findOne, mainContainer, replace, synth } from './support/synth';

const DRAGONFLY = { valkey: { engine: 'dragonfly' } };
const manifests = synth(DRAGONFLY);
const deployment = findOne(manifests, 'Deployment', 'dragonfly');
const container = mainContainer(deployment);
const kindNames = (ms: ReturnType<typeof synth>) => ms.map((m) => `${m.object.kind}/${m.object.metadata.name}`);
/** The value of `--<name>=…` in a container's arguments. */
const flag = (c: any, name: string) =>
  (c.args as string[]).find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const sized = (resources: Record<string, unknown>) =>
  mainContainer(findOne(synth({ ...DRAGONFLY, resources: { valkey: resources } }), 'Deployment', 'dragonfly'));

describe('valkey.engine: dragonfly', () => {
  test('deploys Deployment dragonfly with PVC dragonfly-data, and none of valkey objects but its Service', () => {
    const names = kindNames(manifests);
    expect(names).toEqual(
      expect.arrayContaining([
        'Deployment/dragonfly',
        'ServiceAccount/dragonfly',
        'PersistentVolumeClaim/dragonfly-data',
        'Service/valkey',
        'NetworkPolicy/valkey',
      ]),
    );
    for (const gone of ['Deployment/valkey', 'ServiceAccount/valkey', 'PersistentVolumeClaim/valkey-data'])
      expect(names).not.toContain(gone);
  });

  test('by default valkey runs the queue and no dragonfly object exists', () => {
    const names = kindNames(synth());
    expect(names).toEqual(expect.arrayContaining(['Deployment/valkey', 'PersistentVolumeClaim/valkey-data']));
    expect(names.filter((n) => n.includes('dragonfly'))).toEqual([]);
  });

  test('Immich reaches the queue at valkey:6379 with either engine, so its settings stay the same', () => {
    const redisEnv = (ms: ReturnType<typeof synth>) =>
      Object.fromEntries(
        Object.entries(envOf(mainContainer(findOne(ms, 'Deployment', 'immich-server')))).filter(([k]) =>
          k.startsWith('REDIS_'),
        ),
      );
    expect(redisEnv(manifests)).toEqual({ REDIS_HOSTNAME: 'valkey', REDIS_PORT: '6379' });
    expect(redisEnv(manifests)).toEqual(redisEnv(synth()));
  });

  test('Service valkey sends 6379 to the dragonfly container port and selects its pods', () => {
    const service = findOne(manifests, 'Service', 'valkey');
    const [port] = service.spec.ports;
    expect(port.port).toBe(6379);
    expect(container.ports.find((p: any) => p.name === port.targetPort).containerPort).toBe(6379);
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(service.spec.selector['app.kubernetes.io/name']).toBe('dragonfly');
  });

  test("lets BullMQ's Lua scripts touch keys they do not declare", () => {
    expect(container.args).toContain('--default_lua_flags=allow-undeclared-keys');
  });

  test('snapshots on a schedule into one fixed file set on its PVC at /data', () => {
    expect(flag(container, 'dir')).toBe('/data');
    expect(flag(container, 'dbfilename')).toBe('dump');
    expect(flag(container, 'snapshot_cron')).toMatch(/^\S+( \S+){4}$/);
    const mount = container.volumeMounts.find((m: any) => m.mountPath === '/data');
    const volume = deployment.spec.template.spec.volumes.find((v: any) => v.name === mount.name);
    expect(volume.persistentVolumeClaim.claimName).toBe('dragonfly-data');
  });

  test('dragonfly-data size and class follow storage.valkey', () => {
    const pvc = findOne(
      synth({ ...DRAGONFLY, storage: { valkey: { size: '2Gi', storageClass: 'fast' } } }),
      'PersistentVolumeClaim',
      'dragonfly-data',
    );
    expect(pvc.spec.resources.requests.storage).toBe('2Gi');
    expect(pvc.spec.storageClassName).toBe('fast');
    expect(pvc.spec.accessModes).toEqual(['ReadWriteOnce']);
  });

  test.each([
    ['512Mi', 429496729],
    ['2Gi', 1717986918],
    ['1G', 800000000],
  ])('--maxmemory is 80%% of a %s memory limit', (limit, bytes) => {
    const c = sized({ limits: { memory: limit } });
    expect(Number(flag(c, 'maxmemory'))).toBe(bytes);
    expect(Number(flag(c, 'maxmemory'))).toBeLessThan(quantityValue(c.resources.limits.memory));
  });

  test.each<[string, Record<string, unknown>, number]>([
    ['the 50m request', {}, 1],
    ['a 3-CPU request', { requests: { cpu: '3' }, limits: { memory: '1Gi' } }, 3],
    ['a 1500m limit over the request', { requests: { cpu: '500m' }, limits: { cpu: '1500m', memory: '2Gi' } }, 2],
    ['4 CPUs but memory for 1 thread', { requests: { cpu: '4' }, limits: { memory: '512Mi' } }, 1],
    ['8 CPUs and memory for 3 threads', { requests: { cpu: '8' }, limits: { memory: '1Gi' } }, 3],
  ])('--proactor_threads follows %s, one per 256 MiB of maxmemory at most', (_what, resources, threads) => {
    expect(Number(flag(sized(resources), 'proactor_threads'))).toBe(threads);
  });

  test('makes no release check that its NetworkPolicy would block', () => {
    expect(container.args).toContain('--version_check=false');
  });

  test('keeps the image entrypoint and logs to stderr', () => {
    expect(container.command).toBeUndefined();
    expect(container.args.slice(0, 2)).toEqual(['dragonfly', '--logtostderr']);
  });

  test('image is Dragonfly v1.40.1 from docker.dragonflydb.io, pinned by digest', () => {
    expect(container.image).toBe(
      'docker.dragonflydb.io/dragonflydb/dragonfly:v1.40.1@sha256:ebf3c6c213e82fb51b4521660cca13f06f3421dc5b1ed14f2f474c50b5e29986',
    );
  });

  test.each(['startupProbe', 'readinessProbe', 'livenessProbe'])('%s runs redis-cli ping', (probe) => {
    expect(container[probe].exec.command.join(' ')).toMatch(/\bredis-cli -p 6379 ping\b/);
  });

  test('runs as dfly (uid 999), non-root, read-only root, no capabilities: restricted', () => {
    const spec = deployment.spec.template.spec;
    expect(spec.securityContext).toMatchObject({ runAsUser: 999, runAsGroup: 999, fsGroup: 999, runAsNonRoot: true });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pssViolations(spec, 'restricted')).toEqual([]);
  });

  test('one pod, replaced by Recreate, with the valkey priority class', () => {
    const d = findOne(
      synth({ ...DRAGONFLY, scheduling: { priorityClassNames: { valkey: 'queue' } } }),
      'Deployment',
      'dragonfly',
    );
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(d.spec.template.spec.priorityClassName).toBe('queue');
  });
});

describe('network paths of a bundled Dragonfly', () => {
  const app = (name: string): Peer => ({
    kind: 'pod',
    namespace: 'immich',
    namespaceLabels: { 'kubernetes.io/metadata.name': 'immich' },
    podLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'immich' },
  });
  const objects = synth({ ...SPLIT, valkey: replace({ engine: 'dragonfly' }) }).map((m) => m.object);

  test('the server and the workers reach it on 6379, machine learning does not', () => {
    expect(allowed(objects, app('immich-server'), app('dragonfly'), 6379)).toBe(true);
    expect(allowed(objects, app('immich-microservices'), app('dragonfly'), 6379)).toBe(true);
    expect(allowed(objects, app('immich-machine-learning'), app('dragonfly'), 6379)).toBe(false);
    expect(allowed(objects, app('immich-server'), app('dragonfly'), 6380)).toBe(false);
  });

  test('it opens no connection but DNS: no release check, no replication', () => {
    expect(allowed(objects, app('dragonfly'), { kind: 'ip', ip: '104.18.1.1' }, 443)).toBe(false);
    expect(allowed(objects, app('dragonfly'), app('immich-server'), 2283)).toBe(false);
  });
});

describe('an external Dragonfly', () => {
  test('is an external Redis: REDIS_HOSTNAME, REDIS_PORT and its own REDIS_DBINDEX, and no queue here', () => {
    const external = synth({
      valkey: { mode: 'external', external: { host: 'dragonfly.databases.svc.cluster.local', dbIndex: 3 } },
    });
    expect(envOf(mainContainer(findOne(external, 'Deployment', 'immich-server')))).toMatchObject({
      REDIS_HOSTNAME: 'dragonfly.databases.svc.cluster.local',
      REDIS_PORT: '6379',
      REDIS_DBINDEX: '3',
    });
    expect(kindNames(external).filter((n) => /valkey|dragonfly/.test(n))).toEqual([]);
  });
});

describe('bad input', () => {
  const errorOf = (yaml: string) => configError(`${EXAMPLE_YAML}${yaml}`);

  test('fails on an engine other than valkey or dragonfly, naming the key', () => {
    expect(errorOf('valkey: { engine: redis }\n')).toContain(
      'valkey.engine: must be one of "valkey", "dragonfly", got "redis"',
    );
  });

  test('fails on engine dragonfly with an external Redis, pointing at valkey.external', () => {
    expect(errorOf('valkey: { mode: external, engine: dragonfly, external: { host: df.example.com } }\n')).toContain(
      'valkey.engine: only chooses the bundled queue; for a Dragonfly you run, set valkey.external.host',
    );
  });

  test('fails on a memory limit too small for one Dragonfly thread, and takes the smallest that fits', () => {
    expect(errorOf('valkey: { engine: dragonfly }\nresources: { valkey: { limits: { memory: 256Mi } } }\n')).toContain(
      'resources.valkey.limits.memory: Dragonfly needs 256Mi per thread within --maxmemory, which is 80% of the memory limit, so valkey.engine "dragonfly" needs a limit of at least 320Mi, got "256Mi"',
    );
    expect(Number(flag(sized({ limits: { memory: '320Mi' } }), 'maxmemory'))).toBe(256 * 2 ** 20);
    // Valkey has no such floor.
    expect(() => synth({ resources: { valkey: { limits: { memory: '256Mi' } } } })).not.toThrow();
  });
});
