/**
 * Immich's own settings: each variable appears exactly when its key is set, bad values stop synth
 * naming the key, and external plugins get a volume of their own in every Immich pod.
 */
import { EXAMPLE_YAML, configError, envOf, findOne, mainContainer, synth } from './support/synth';

const RWX = ['ReadWriteMany'];
const SPLIT_RWX = {
  server: { workers: 'split', replicas: 2 },
  storage: { data: { accessModes: RWX }, plugins: { accessModes: RWX } },
};
const defaults = synth();
const immichPods = (ms: ReturnType<typeof synth>) =>
  ['immich-server', 'immich-microservices']
    .filter((name) => ms.some((m) => m.object.kind === 'Deployment' && m.object.metadata.name === name))
    .map((name) => findOne(ms, 'Deployment', name));
const serverEnv = (ms: ReturnType<typeof synth>) => envOf(mainContainer(findOne(ms, 'Deployment', 'immich-server')));
const mlEnv = (ms: ReturnType<typeof synth>) =>
  envOf(mainContainer(findOne(ms, 'Deployment', 'immich-machine-learning')));

const VARIABLES = [
  'IMMICH_TRUSTED_PROXIES',
  'IMMICH_LOG_FORMAT',
  'IMMICH_ALLOW_EXTERNAL_PLUGINS',
  'IMMICH_PLUGINS_INSTALL_FOLDER',
  'MACHINE_LEARNING_MODEL_REVISION',
];

test.each(VARIABLES)('%s is absent from every container by default', (name) => {
  for (const { object } of defaults) {
    for (const c of (object as any).spec?.template?.spec?.containers ?? [])
      expect({ ref: `${object.metadata.name}/${c.name}`, has: name in envOf(c) }).toEqual({
        ref: `${object.metadata.name}/${c.name}`,
        has: false,
      });
  }
});

describe('immich.trustedProxies', () => {
  test('becomes IMMICH_TRUSTED_PROXIES on the API pods, comma-separated', () => {
    const ms = synth({ ...SPLIT_RWX, immich: { trustedProxies: ['10.42.0.0/16', '192.168.1.10', 'fd00:42::/64'] } });
    expect(serverEnv(ms).IMMICH_TRUSTED_PROXIES).toBe('10.42.0.0/16,192.168.1.10,fd00:42::/64');
    // The workers serve no HTTP, so no client address to find.
    expect(envOf(mainContainer(findOne(ms, 'Deployment', 'immich-microservices')))).not.toHaveProperty(
      'IMMICH_TRUSTED_PROXIES',
    );
  });
});

describe('immich.logFormat', () => {
  test.each(['console', 'json'])('%s becomes IMMICH_LOG_FORMAT in every Immich pod', (format) => {
    const ms = synth({ ...SPLIT_RWX, immich: { logFormat: format } });
    for (const pod of immichPods(ms)) expect(envOf(mainContainer(pod)).IMMICH_LOG_FORMAT).toBe(format);
    expect(mlEnv(ms)).not.toHaveProperty('IMMICH_LOG_FORMAT');
  });
});

describe('machineLearning.modelRevision', () => {
  test('becomes MACHINE_LEARNING_MODEL_REVISION on machine learning only', () => {
    const ms = synth({ machineLearning: { modelRevision: 'v2' } });
    expect(mlEnv(ms).MACHINE_LEARNING_MODEL_REVISION).toBe('v2');
    expect(serverEnv(ms)).not.toHaveProperty('MACHINE_LEARNING_MODEL_REVISION');
  });
});

describe('immich.externalPlugins', () => {
  const ms = synth({ ...SPLIT_RWX, immich: { externalPlugins: true } });

  test('adds PVC immich-plugins, sized and classed by storage.plugins', () => {
    const pvc = findOne(
      synth({ immich: { externalPlugins: true }, storage: { plugins: { size: '2Gi', storageClass: 'fast' } } }),
      'PersistentVolumeClaim',
      'immich-plugins',
    );
    expect(pvc.spec).toMatchObject({
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'fast',
      resources: { requests: { storage: '2Gi' } },
    });
    expect(findOne(ms, 'PersistentVolumeClaim', 'immich-plugins').spec.accessModes).toEqual(RWX);
  });

  test('mounts it at /plugins in the server and the workers, with the variables that import it', () => {
    const pods = immichPods(ms);
    expect(pods.map((p) => p.metadata.name)).toEqual(['immich-server', 'immich-microservices']);
    for (const pod of pods) {
      const container = mainContainer(pod);
      expect(envOf(container)).toMatchObject({
        IMMICH_ALLOW_EXTERNAL_PLUGINS: 'true',
        IMMICH_PLUGINS_INSTALL_FOLDER: '/plugins',
      });
      const mount = container.volumeMounts.find((m: any) => m.mountPath === '/plugins');
      const volume = pod.spec.template.spec.volumes.find((v: any) => v.name === mount.name);
      expect(volume.persistentVolumeClaim.claimName).toBe('immich-plugins');
    }
  });

  test('without it there is no plugins claim, mount or volume', () => {
    expect(defaults.filter((m) => m.object.metadata.name === 'immich-plugins')).toEqual([]);
    const server = findOne(defaults, 'Deployment', 'immich-server');
    expect(mainContainer(server).volumeMounts.map((m: any) => m.mountPath)).not.toContain('/plugins');
    expect(server.spec.template.spec.volumes.map((v: any) => v.name)).not.toContain('plugins');
  });

  test('a ReadWriteOnce plugins claim keeps a single server pod from surging onto it', () => {
    const server = findOne(
      synth({ immich: { externalPlugins: true }, storage: { data: { accessModes: RWX } } }),
      'Deployment',
      'immich-server',
    );
    expect(server.spec.strategy).toEqual({ type: 'Recreate' });
    const shared = findOne(
      synth({
        immich: { externalPlugins: true },
        storage: { data: { accessModes: RWX }, plugins: { accessModes: RWX } },
      }),
      'Deployment',
      'immich-server',
    );
    expect(shared.spec.strategy.type).toBe('RollingUpdate');
  });
});

describe('bad input', () => {
  const errorOf = (yaml: string) => configError(`${EXAMPLE_YAML}${yaml}`);

  test('fails on a trusted proxy that is no address or CIDR, and on an empty list', () => {
    expect(errorOf('immich: { trustedProxies: [10.42.0.0/16, traefik.local] }\n')).toContain(
      'immich.trustedProxies.1: must be an IP address or CIDR like "10.42.0.0/16" or "fd00::/8", got "traefik.local"',
    );
    expect(errorOf('immich: { trustedProxies: [10.0.0.0/33] }\n')).toContain('immich.trustedProxies.0: must be an IP');
    expect(errorOf('immich: { trustedProxies: [] }\n')).toContain(
      "immich.trustedProxies: must name at least one address; leave the key out for Immich's default, got []",
    );
  });

  test('fails on a log format other than console or json', () => {
    expect(errorOf('immich: { logFormat: text }\n')).toContain(
      'immich.logFormat: must be one of "console", "json", got "text"',
    );
  });

  test('fails on a model revision that is not main or vN', () => {
    expect(
      configError(EXAMPLE_YAML.replace('machineLearning:\n', 'machineLearning:\n  modelRevision: V2\n')),
    ).toContain('machineLearning.modelRevision: must be "main" or a model revision like "v2", got "V2"');
  });

  test('fails on externalPlugins that is not a boolean', () => {
    expect(errorOf('immich: { externalPlugins: "yes" }\n')).toContain(
      'immich.externalPlugins: must be true or false, got "yes"',
    );
  });

  test('fails on plugins shared by several Immich pods on ReadWriteOnce storage, naming the fix', () => {
    expect(
      errorOf(
        'server: { workers: split }\nstorage: { data: { accessModes: [ReadWriteMany] } }\nimmich: { externalPlugins: true }\n',
      ),
    ).toContain(
      'storage.plugins.accessModes: immich.externalPlugins mounts immich-plugins in all 2 Immich pods, which then needs ReadWriteMany storage like storage.data; set storage.plugins.accessModes: [ReadWriteMany], got ["ReadWriteOnce"]',
    );
    // Without plugins the same pods need nothing more.
    expect(() => synth({ server: { workers: 'split' }, storage: { data: { accessModes: RWX } } })).not.toThrow();
  });
});
