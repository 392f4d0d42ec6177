import { redisUrl } from '../src/lib/redis';
import { MODES, PLAINTEXT, SEALED, SPLIT } from './support/modes';
import { allowed, type Peer } from './support/netpol';
import {
  configError,
  EXAMPLE_YAML,
  envOf,
  findOne,
  mainContainer,
  replace,
  secretFileOf,
  synth,
} from './support/synth';

const RWX = { storage: { data: { accessModes: ['ReadWriteMany'] } } };
const split = synth(SPLIT);
const objects = split.map((m) => m.object);
const server = findOne(split, 'Deployment', 'immich-server');
const worker = findOne(split, 'Deployment', 'immich-microservices');
const decode = (url: string) => JSON.parse(Buffer.from(url.replace('ioredis://', ''), 'base64').toString());

describe('combined workers, the default', () => {
  const manifests = synth();

  test('one server pod runs API and jobs, replaced by Recreate, with no disruption budget', () => {
    const deployment = findOne(manifests, 'Deployment', 'immich-server');
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    const env = envOf(mainContainer(deployment));
    expect(env).not.toHaveProperty('IMMICH_WORKERS_INCLUDE');
    expect(env).not.toHaveProperty('IMMICH_WORKERS_EXCLUDE');
    expect(manifests.filter((m) => m.object.kind === 'PodDisruptionBudget')).toEqual([]);
    expect(manifests.filter((m) => m.object.metadata.name === 'immich-microservices')).toEqual([]);
  });

  test('every volume is ReadWriteOnce unless configured', () => {
    for (const name of ['immich-data', 'immich-ml-cache', 'valkey-data']) {
      expect(findOne(manifests, 'PersistentVolumeClaim', name).spec.accessModes).toEqual(['ReadWriteOnce']);
    }
    const custom = synth({ storage: { mlCache: { accessModes: ['ReadWriteMany'] } } });
    expect(findOne(custom, 'PersistentVolumeClaim', 'immich-ml-cache').spec.accessModes).toEqual(['ReadWriteMany']);
  });

  test('two combined replicas on ReadWriteMany data roll with maxUnavailable 0', () => {
    const two = findOne(synth({ ...RWX, server: { replicas: 2 } }), 'Deployment', 'immich-server');
    expect(two.spec.replicas).toBe(2);
    expect(two.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
  });
});

describe('split workers', () => {
  test('immich-server runs only the API with server.replicas pods', () => {
    expect(envOf(mainContainer(server)).IMMICH_WORKERS_INCLUDE).toBe('api');
    expect(server.spec.replicas).toBe(3);
  });

  test('immich-microservices runs the background workers with server.microservicesReplicas pods', () => {
    expect(envOf(mainContainer(worker)).IMMICH_WORKERS_EXCLUDE).toBe('api');
    expect(envOf(mainContainer(worker))).not.toHaveProperty('IMMICH_WORKERS_INCLUDE');
    expect(worker.spec.replicas).toBe(2);
  });

  test('both get the same database, Redis, config file, upload volume, library and time zone', () => {
    const shared = (deployment: typeof server) => {
      const { IMMICH_WORKERS_INCLUDE, IMMICH_WORKERS_EXCLUDE, IMMICH_TELEMETRY_INCLUDE, ...env } = envOf(
        mainContainer(deployment),
      );
      void [IMMICH_WORKERS_INCLUDE, IMMICH_WORKERS_EXCLUDE, IMMICH_TELEMETRY_INCLUDE];
      return {
        env,
        image: mainContainer(deployment).image,
        mounts: mainContainer(deployment).volumeMounts,
        volumes: deployment.spec.template.spec.volumes,
        checksum: deployment.spec.template.metadata.annotations,
      };
    };
    expect(shared(worker)).toEqual(shared(server));
    expect(shared(worker).env.TZ).toBe('UTC');
    expect(shared(worker).volumes.map((v: any) => v.name)).toEqual([
      'data',
      'config',
      'tmp',
      'library',
      'secret-files',
    ]);
  });

  test('the worker has its own ServiceAccount, resources and probes, and no Service or route', () => {
    expect(worker.spec.template.spec.serviceAccountName).toBe('immich-microservices');
    findOne(split, 'ServiceAccount', 'immich-microservices');
    const custom = synth({ ...SPLIT, resources: { microservices: { requests: { cpu: '2', memory: '3Gi' } } } });
    expect(mainContainer(findOne(custom, 'Deployment', 'immich-microservices')).resources.requests).toEqual({
      cpu: '2',
      memory: '3Gi',
    });
    expect(mainContainer(worker).livenessProbe.httpGet).toEqual({ path: '/metrics', port: 8082 });
    expect(
      split.filter((m) => m.object.kind === 'Service' && m.object.metadata.name === 'immich-microservices'),
    ).toEqual([]);
    const route = findOne(split, 'IngressRoute', 'immich');
    expect(JSON.stringify(route.spec)).not.toContain('immich-microservices');
  });

  test('API and workers roll with maxUnavailable 0 on ReadWriteMany storage', () => {
    const rolling = { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } };
    expect(server.spec.strategy).toEqual(rolling);
    expect(worker.spec.strategy).toEqual(rolling);
  });

  test('the startup probe budget covers every Immich pod migrating one after another', () => {
    const pods = 3 + 2;
    for (const deployment of [server]) {
      const { periodSeconds, failureThreshold } = mainContainer(deployment).startupProbe;
      expect(periodSeconds * failureThreshold).toBeGreaterThanOrEqual(pods * 900);
    }
    const single = mainContainer(findOne(synth(), 'Deployment', 'immich-server')).startupProbe;
    expect(single.periodSeconds * single.failureThreshold).toBe(900);
  });
});

describe('machine learning replicas', () => {
  const ml = findOne(split, 'Deployment', 'immich-machine-learning');

  test('each of the pods has its own GPU limit and they are replaced one by one', () => {
    expect(ml.spec.replicas).toBe(2);
    expect(mainContainer(ml).resources.limits['nvidia.com/gpu']).toBe('1');
    expect(ml.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  });

  test('share a ReadWriteMany cache, or each downloads into its own emptyDir', () => {
    expect(findOne(split, 'PersistentVolumeClaim', 'immich-ml-cache').spec.accessModes).toEqual(['ReadWriteMany']);
    const ephemeral = synth({ machineLearning: { replicas: 2, cache: 'emptyDir' } });
    expect(ephemeral.filter((m) => m.object.metadata.name === 'immich-ml-cache')).toEqual([]);
    const volumes = findOne(ephemeral, 'Deployment', 'immich-machine-learning').spec.template.spec.volumes;
    expect(volumes.find((v: any) => v.name === 'cache')).toEqual({ name: 'cache', emptyDir: { sizeLimit: '10Gi' } });
  });
});

describe('availability', () => {
  test.each(['immich-server', 'immich-microservices', 'immich-machine-learning'])(
    '%s has a disruption budget that never lets a drain take its last pod',
    (name) => {
      const budget = findOne(split, 'PodDisruptionBudget', name);
      expect(budget.spec).toEqual({
        maxUnavailable: 1,
        selector: { matchLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'immich' } },
      });
    },
  );

  test('pods spread over host names, ScheduleAnyway by default and DoNotSchedule when configured', () => {
    const [constraint] = server.spec.template.spec.topologySpreadConstraints;
    expect(constraint).toEqual({
      maxSkew: 1,
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: {
        matchLabels: { 'app.kubernetes.io/name': 'immich-server', 'app.kubernetes.io/instance': 'immich' },
      },
    });
    const strict = synth({ ...SPLIT, scheduling: { topologySpread: 'DoNotSchedule' } });
    const spread = findOne(strict, 'Deployment', 'immich-microservices').spec.template.spec.topologySpreadConstraints;
    expect(spread[0].whenUnsatisfiable).toBe('DoNotSchedule');
    expect(findOne(synth(), 'Deployment', 'immich-server').spec.template.spec).not.toHaveProperty(
      'topologySpreadConstraints',
    );
  });

  test('each component takes its own priorityClassName', () => {
    const names = { server: 'a', microservices: 'b', machineLearning: 'c', postgres: 'd', valkey: 'e' };
    const withValkey = synth({
      ...SPLIT,
      valkey: replace({ mode: 'bundled' }),
      scheduling: { priorityClassNames: names },
    });
    const priority = (kind: string, name: string) =>
      findOne(withValkey, kind, name).spec.template.spec.priorityClassName;
    expect(priority('Deployment', 'immich-server')).toBe('a');
    expect(priority('Deployment', 'immich-microservices')).toBe('b');
    expect(priority('Deployment', 'immich-machine-learning')).toBe('c');
    expect(priority('StatefulSet', 'immich-postgres')).toBe('d');
    expect(priority('Deployment', 'valkey')).toBe('e');
  });
});

describe('an existing data claim', () => {
  const manifests = synth({
    server: { replicas: 2 },
    storage: { data: { existingClaim: 'photos-rwx', accessModes: ['ReadWriteMany'] } },
    backup: { volumes: { enabled: true, repositorySecret: 'restic' } },
  });

  test('is mounted instead of immich-data, which is not synthesized, and backed up', () => {
    expect(
      manifests.filter((m) => m.object.metadata.name === 'immich-data' && m.object.kind === 'PersistentVolumeClaim'),
    ).toEqual([]);
    const volumes = findOne(manifests, 'Deployment', 'immich-server').spec.template.spec.volumes;
    expect(volumes[0]).toEqual({ name: 'data', persistentVolumeClaim: { claimName: 'photos-rwx' } });
    expect(findOne(manifests, 'ReplicationSource', 'immich-data').spec.sourcePVC).toBe('photos-rwx');
  });
});

describe('an external Redis', () => {
  test('with a host: no valkey objects, and REDIS_HOSTNAME, REDIS_PORT and REDIS_DBINDEX', () => {
    const manifests = synth({
      valkey: { mode: 'external', external: { host: 'redis.example.com', port: 6380, dbIndex: 2 } },
    });
    expect(manifests.filter((m) => m.object.metadata.name.startsWith('valkey'))).toEqual([]);
    const env = envOf(mainContainer(findOne(manifests, 'Deployment', 'immich-server')));
    expect(env).toMatchObject({ REDIS_HOSTNAME: 'redis.example.com', REDIS_PORT: '6380', REDIS_DBINDEX: '2' });
    expect(env).not.toHaveProperty('REDIS_PASSWORD');
  });

  test('with a host and a password: REDIS_PASSWORD from Secret immich-redis', () => {
    const manifests = synth(
      {
        ...MODES.inline.overrides,
        valkey: { mode: 'external', external: { host: 'redis.example.com', password: true } },
      },
      PLAINTEXT,
    );
    expect(secretFileOf(findOne(manifests, 'Deployment', 'immich-server'), 'REDIS_PASSWORD')).toBe(
      'secret:immich-redis/password',
    );
    expect(findOne(manifests, 'Secret', 'immich-redis').stringData).toEqual({ password: 'redis-pa55' });
  });

  test('with sentinels and no password: REDIS_URL is the ioredis options in base64', () => {
    const manifests = synth({
      valkey: { mode: 'external', external: { sentinels: [{ host: 's-0.redis', port: 26379 }], dbIndex: 1 } },
    });
    const url = envOf(mainContainer(findOne(manifests, 'Deployment', 'immich-server'))).REDIS_URL!;
    expect(url).toMatch(/^ioredis:\/\//);
    expect(decode(url)).toEqual({ sentinels: [{ host: 's-0.redis', port: 26379 }], name: 'mymaster', db: 1 });
  });

  test('with sentinels and a password: the whole REDIS_URL comes from the Secret, in every mode', () => {
    expect(envOf(mainContainer(server)).REDIS_URL).toBe('secret:immich-redis/url');
    const options = { sentinels: SPLIT.valkey.external.sentinels, name: 'immich' };
    const inline = findOne(synth({ ...SPLIT, ...MODES.inline.overrides }, PLAINTEXT), 'Secret', 'immich-redis');
    expect(decode(inline.stringData.url)).toEqual({ ...options, password: 'redis-pa55' });

    // The operators' templates give the same URL: print the JSON around toJson of the password, then base64.
    const render = (template: string, password: string) => {
      const match = /^ioredis:\/\/\{\{ print `(.*)` \(index \. "password" \| toJson\) `\}` \| b64enc \}\}$/.exec(
        template,
      );
      if (!match) throw new Error(`unexpected template ${template}`);
      return `ioredis://${Buffer.from(`${match[1]}${JSON.stringify(password)}}`).toString('base64')}`;
    };
    const external = findOne(
      synth({
        ...SPLIT,
        secrets: {
          mode: 'external-secrets',
          externalSecrets: {
            storeRef: { name: 'vault' },
            dbPassword: { key: 'db' },
            oauthClientSecret: { key: 'o' },
            redisPassword: { key: 'immich/redis' },
          },
        },
      }),
      'ExternalSecret',
      'immich-redis',
    );
    const template = external.spec.target.template.data;
    expect(template.password).toBe('{{ index . "password" }}');
    expect(render(template.url, 'p"w\\')).toBe(redisUrl(options, 'p"w\\'));
    const sealed = findOne(
      synth({ ...SPLIT, secrets: { mode: 'sealed-secrets', sealedSecrets: SEALED } }),
      'SealedSecret',
      'immich-redis',
    );
    expect(sealed.spec.encryptedData).toEqual({ password: SEALED.redisPassword });
    expect(render(sealed.spec.template.data.url, 'x')).toBe(redisUrl(options, 'x'));
  });
});

describe('network paths of a split configuration', () => {
  const namespaceLabels = { 'kubernetes.io/metadata.name': 'immich' };
  const app = (name: string): Peer => ({
    kind: 'pod',
    namespace: 'immich',
    namespaceLabels,
    podLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'immich' },
  });
  const sentinel: Peer = { kind: 'ip', ip: '10.43.0.20' };
  const traefik: Peer = {
    kind: 'pod',
    namespace: 'traefik',
    namespaceLabels: { 'kubernetes.io/metadata.name': 'traefik' },
    podLabels: { 'app.kubernetes.io/name': 'traefik' },
  };

  test('the worker reaches postgres, Redis and machine learning', () => {
    expect(allowed(objects, app('immich-microservices'), app('immich-postgres'), 5432)).toBe(true);
    expect(allowed(objects, app('immich-microservices'), app('immich-machine-learning'), 3003)).toBe(true);
    expect(allowed(objects, app('immich-microservices'), sentinel, 26379)).toBe(true);
    expect(allowed(objects, app('immich-microservices'), sentinel, 6379)).toBe(true);
  });

  test('the worker accepts no connections', () => {
    expect(allowed(objects, traefik, app('immich-microservices'), 8082)).toBe(false);
    expect(allowed(objects, app('immich-server'), app('immich-microservices'), 8082)).toBe(false);
  });

  test('the worker makes the outbound calls of its jobs (mail, webhooks), but reaches no issuer-only port', () => {
    const internet: Peer = { kind: 'ip', ip: '140.82.112.3' };
    const custom = synth({
      ...SPLIT,
      oauth: { clientId: 'immich', issuerUrl: 'https://auth.example.com:9443/application/o/immich/' },
      networkPolicy: { serverEgress: { ports: [443, 587] } },
    }).map((m) => m.object);
    const worker = app('immich-microservices');
    expect(allowed(custom, worker, internet, 587)).toBe(true);
    expect(allowed(custom, worker, internet, 443)).toBe(true);
    // A webhook receiver published behind the same Traefik is reached through its entry points.
    expect(allowed(custom, worker, traefik, 8443)).toBe(true);
    expect(allowed(custom, worker, internet, 9443)).toBe(false);
    expect(allowed(custom, app('immich-server'), internet, 9443)).toBe(true);
  });

  test('postgres accepts the server and the worker only', () => {
    expect(allowed(objects, app('immich-server'), app('immich-postgres'), 5432)).toBe(true);
    expect(allowed(objects, app('immich-machine-learning'), app('immich-postgres'), 5432)).toBe(false);
  });

  test('with a bundled valkey it accepts the server and the worker only', () => {
    const bundled = synth({ ...SPLIT, valkey: replace({ mode: 'bundled' }) }).map((m) => m.object);
    expect(allowed(bundled, app('immich-server'), app('valkey'), 6379)).toBe(true);
    expect(allowed(bundled, app('immich-microservices'), app('valkey'), 6379)).toBe(true);
    expect(allowed(bundled, app('immich-machine-learning'), app('valkey'), 6379)).toBe(false);
  });

  test('external Redis addresses and ports are configurable, and the valkey rules are gone', () => {
    expect(objects.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'valkey')).toEqual([]);
    const narrowed = synth({
      ...SPLIT,
      networkPolicy: { externalRedis: { cidrs: ['10.43.0.0/24'], ports: [26379] } },
    }).map((m) => m.object);
    expect(allowed(narrowed, app('immich-server'), sentinel, 26379)).toBe(true);
    expect(allowed(narrowed, app('immich-server'), sentinel, 6379)).toBe(false);
    expect(allowed(narrowed, app('immich-server'), { kind: 'ip', ip: '10.44.0.1' }, 26379)).toBe(false);
  });
});

describe('bad input', () => {
  const errorOf = (yaml: string, env: NodeJS.ProcessEnv = {}) => configError(`${EXAMPLE_YAML}${yaml}`, env);

  test('fails on replicas of 0 or a fraction', () => {
    const message = errorOf('server: { replicas: 0, microservicesReplicas: 1.5 }\n');
    expect(message).toContain('server.replicas: must be at least 1, got 0');
    expect(message).toContain('server.microservicesReplicas: must be a whole number, got 1.5');
  });

  test('fails on split workers with ReadWriteOnce data, naming the fix', () => {
    expect(errorOf('server: { workers: split }\n')).toContain(
      'storage.data.accessModes: server.workers "split" runs 2 pods (server.replicas plus server.microservicesReplicas) that all mount immich-data, which then needs ReadWriteMany storage; set storage.data.accessModes: [ReadWriteMany] with a StorageClass that provides it, or storage.data.existingClaim with such a claim, got ["ReadWriteOnce"]',
    );
  });

  test('fails on server.replicas: 2 with ReadWriteOnce data', () => {
    expect(errorOf('server: { replicas: 2 }\n')).toContain('storage.data.accessModes: server.replicas is 2');
  });

  test('fails on two machine-learning pods with one ReadWriteOnce cache', () => {
    expect(configError(EXAMPLE_YAML.replace('machineLearning:\n', 'machineLearning:\n  replicas: 2\n'))).toContain(
      'machineLearning.replicas: 2 pods cannot share one ReadWriteOnce model cache',
    );
  });

  test('fails on an external Redis with neither a host nor sentinels, and on a sentinel without a port', () => {
    expect(errorOf('valkey: { mode: external }\n')).toContain(
      'valkey.external: with valkey.mode "external" set host (a Redis server) or sentinels (a Sentinel set), got neither',
    );
    expect(errorOf('valkey: { mode: external, external: { sentinels: [{ host: s-0 }] } }\n')).toContain(
      'valkey.external.sentinels.0.port: required',
    );
  });

  test('fails in inline mode without the Redis password', () => {
    const message = configError(
      `${EXAMPLE_YAML.replace('mode: existing', 'mode: inline').replace('  enabled: true\n  repoURL', '  enabled: true\n  allowInlineSecrets: true\n  repoURL')}valkey: { mode: external, external: { host: r.example.com, password: true } }\n`,
      { IMMICH_DB_PASSWORD: 'x', IMMICH_OAUTH_CLIENT_SECRET: 'y' },
    );
    expect(message).toContain(
      'IMMICH_REDIS_PASSWORD: required when secrets.mode is "inline" and valkey.external.password is true',
    );
  });
});
