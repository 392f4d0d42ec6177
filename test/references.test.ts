import { referenceProblems } from './support/references';

/** A small consistent set: a server and a database that reference each other's Secrets, claims and ports. */
function objects(): any[] {
  const meta = (name: string) => ({ name, namespace: 'immich' });
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('server') },
    { apiVersion: 'v1', kind: 'Secret', metadata: meta('db'), stringData: { password: 'x' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('settings'), data: { 'config.json': '{}' } },
    { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta('library'), spec: {} },
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: meta('oauth-source'),
      spec: { target: { name: 'oauth' }, data: [{ secretKey: 'client-id', remoteRef: { key: 'immich/oauth' } }] },
    },
    {
      apiVersion: 'bitnami.com/v1alpha1',
      kind: 'SealedSecret',
      metadata: meta('smtp'),
      spec: { encryptedData: { password: 'AgB...' } },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('server'),
      spec: {
        selector: { matchLabels: { app: 'server' } },
        template: {
          metadata: { labels: { app: 'server', tier: 'web' } },
          spec: {
            serviceAccountName: 'server',
            imagePullSecrets: [{ name: 'registry' }],
            containers: [
              {
                name: 'server',
                ports: [{ name: 'http', containerPort: 2283 }],
                env: [
                  { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
                  { name: 'OAUTH_CLIENT_ID', valueFrom: { secretKeyRef: { name: 'oauth', key: 'client-id' } } },
                  { name: 'SMTP_PASSWORD', valueFrom: { secretKeyRef: { name: 'smtp', key: 'password' } } },
                ],
                envFrom: [{ configMapRef: { name: 'settings' } }],
                volumeMounts: [
                  { name: 'library', mountPath: '/data' },
                  { name: 'config', mountPath: '/config' },
                ],
              },
            ],
            volumes: [
              { name: 'library', persistentVolumeClaim: { claimName: 'library' } },
              {
                name: 'config',
                projected: {
                  sources: [
                    { configMap: { name: 'settings', items: [{ key: 'config.json', path: 'config.json' }] } },
                    { secret: { name: 'db', items: [{ key: 'password', path: 'db-password' }] } },
                  ],
                },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta('postgres'),
      spec: {
        selector: { matchLabels: { app: 'postgres' } },
        volumeClaimTemplates: [{ metadata: { name: 'pgdata' }, spec: {} }],
        template: {
          metadata: { labels: { app: 'postgres' } },
          spec: {
            containers: [
              {
                name: 'postgres',
                ports: [{ name: 'postgres', containerPort: 5432 }],
                volumeMounts: [{ name: 'pgdata', mountPath: '/var/lib/postgresql/data' }],
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('server'),
      spec: { selector: { app: 'server' }, ports: [{ port: 80, targetPort: 'http' }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('postgres'),
      spec: { selector: { app: 'postgres' }, ports: [{ port: 5432 }] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('postgres'),
      spec: {
        podSelector: { matchLabels: { app: 'postgres' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'server' } } }], ports: [{ port: 5432 }] }],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('server'),
      spec: {
        podSelector: { matchLabels: { app: 'server' } },
        egress: [{ to: [{ podSelector: { matchLabels: { app: 'postgres' } } }], ports: [{ port: 5432 }] }],
      },
    },
  ];
}

/** The objects with `change` applied to the one of a kind and name. */
function changed(kind: string, name: string, change: (object: any) => void): any[] {
  const all = objects();
  change(all.find((o) => o.kind === kind && o.metadata.name === name));
  return all;
}

const EXTERNAL = { secrets: ['registry'] };

function serverPod(object: any): any {
  return object.spec.template.spec;
}

describe('referenceProblems', () => {
  test('a consistent set has no problems', () => {
    expect(referenceProblems(objects(), EXTERNAL)).toEqual([]);
  });

  test('a Secret that is neither synthesized nor external is reported with the env var that needs it', () => {
    expect(referenceProblems(objects())).toEqual([
      'Deployment/server: Secret "registry" (imagePullSecrets) is neither synthesized nor declared external',
    ]);
    const set = changed(
      'Deployment',
      'server',
      (d) => (serverPod(d).containers[0].env[0].valueFrom.secretKeyRef.name = 'immich-db'),
    );
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'Deployment/server: Secret "immich-db" (env DB_PASSWORD) is neither synthesized nor declared external',
    ]);
  });

  test('a Secret key missing from the Secret data is reported', () => {
    const set = changed('Secret', 'db', (s) => (s.stringData = { pass: 'x' }));
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'Deployment/server: Secret "db" has no key "password" (volume config)',
      'Deployment/server: Secret "db" has no key "password" (env DB_PASSWORD)',
    ]);
  });

  test('a Secret without data has keys that are not checked', () => {
    const set = changed('Secret', 'db', (s) => delete s.stringData);
    expect(referenceProblems(set, EXTERNAL)).toEqual([]);
  });

  test('an ExternalSecret provides its target name and its data keys', () => {
    const set = changed('ExternalSecret', 'oauth-source', (e) => (e.spec.data[0].secretKey = 'id'));
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'Deployment/server: Secret "oauth" has no key "client-id" (env OAUTH_CLIENT_ID)',
    ]);
  });

  test('an ExternalSecret template replaces the fetched keys with its own', () => {
    const set = changed('ExternalSecret', 'oauth-source', (e) => {
      e.spec.target.template = { data: { 'client-id-file': '{{ index . "client-id" }}' } };
    });
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'Deployment/server: Secret "oauth" has no key "client-id" (env OAUTH_CLIENT_ID)',
    ]);
  });

  test('an ExternalSecret template with mergePolicy Merge keeps the fetched keys', () => {
    const set = changed('ExternalSecret', 'oauth-source', (e) => {
      e.spec.target.template = { mergePolicy: 'Merge', data: { other: 'x' } };
    });
    expect(referenceProblems(set, EXTERNAL)).toEqual([]);
  });

  test('an ExternalSecret template adds its data keys', () => {
    const set = changed('ExternalSecret', 'oauth-source', (e) => {
      e.spec.data[0].secretKey = 'id';
      e.spec.target.template = { data: { 'client-id': '{{ .id }}' } };
    });
    expect(referenceProblems(set, EXTERNAL)).toEqual([]);
  });

  test('an ExternalSecret without a target name provides its own name', () => {
    const set = changed('ExternalSecret', 'oauth-source', (e) => delete e.spec.target.name);
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'Deployment/server: Secret "oauth" (env OAUTH_CLIENT_ID) is neither synthesized nor declared external',
    ]);
  });

  test('a SealedSecret provides the keys of its encryptedData', () => {
    const set = changed('SealedSecret', 'smtp', (s) => (s.spec.encryptedData = { pass: 'AgB...' }));
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'Deployment/server: Secret "smtp" has no key "password" (env SMTP_PASSWORD)',
    ]);
  });

  test('a missing ConfigMap is reported, unless declared external', () => {
    const set = changed('ConfigMap', 'settings', (c) => (c.metadata.name = 'other'));
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'Deployment/server: ConfigMap "settings" (volume config) is neither synthesized nor declared external',
      'Deployment/server: ConfigMap "settings" (envFrom) is neither synthesized nor declared external',
    ]);
    expect(referenceProblems(set, { ...EXTERNAL, configMaps: ['settings'] })).toEqual([]);
  });

  test('a ConfigMap key missing from its data is reported', () => {
    const set = changed('ConfigMap', 'settings', (c) => (c.data = { 'immich.json': '{}' }));
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'Deployment/server: ConfigMap "settings" has no key "config.json" (volume config)',
    ]);
  });

  test('a missing PersistentVolumeClaim is reported, unless declared external', () => {
    const set = objects().filter((o) => o.kind !== 'PersistentVolumeClaim');
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'Deployment/server: PersistentVolumeClaim "library" (volume library) is neither synthesized nor declared external',
    ]);
    expect(referenceProblems(set, { ...EXTERNAL, persistentVolumeClaims: ['library'] })).toEqual([]);
  });

  test('a volumeMount that names no volume is reported', () => {
    const set = changed('Deployment', 'server', (d) => (serverPod(d).containers[0].volumeMounts[0].name = 'media'));
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'Deployment/server: container server mounts "media", which is neither a pod volume nor a volumeClaimTemplate',
    ]);
  });

  test('a volumeClaimTemplate serves mounts of its own StatefulSet only', () => {
    const set = changed('Deployment', 'server', (d) => (serverPod(d).containers[0].volumeMounts[0].name = 'pgdata'));
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'Deployment/server: container server mounts "pgdata", which is neither a pod volume nor a volumeClaimTemplate',
    ]);
  });

  test('a missing ServiceAccount is reported, unless declared external', () => {
    const set = objects().filter((o) => o.kind !== 'ServiceAccount');
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'Deployment/server: ServiceAccount "server" (serviceAccountName) is neither synthesized nor declared external',
    ]);
    expect(referenceProblems(set, { ...EXTERNAL, serviceAccounts: ['server'] })).toEqual([]);
  });

  test('the default ServiceAccount needs no object', () => {
    const set = changed('Deployment', 'server', (d) => (serverPod(d).serviceAccountName = 'default'));
    expect(referenceProblems(set, { ...EXTERNAL })).toEqual([]);
  });

  test('a Service selector that matches no pod template is reported', () => {
    const set = changed('Service', 'server', (s) => (s.spec.selector = { app: 'x' }));
    expect(referenceProblems(set, EXTERNAL)).toEqual(['Service/server: selector {"app":"x"} matches no pod template']);
  });

  test('a Service selects pod templates in its own namespace only', () => {
    const set = changed('Service', 'server', (s) => (s.metadata.namespace = 'other'));
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'Service/server: selector {"app":"server"} matches no pod template',
    ]);
  });

  test('a named targetPort that no container declares is reported', () => {
    const set = changed('Service', 'server', (s) => (s.spec.ports[0].targetPort = 'web'));
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'Service/server: targetPort "web" is not a port of the selected pods (Deployment/server)',
    ]);
  });

  test('a Service port without targetPort targets the same container port number', () => {
    const set = changed('Service', 'postgres', (s) => (s.spec.ports[0].port = 5433));
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'Service/postgres: targetPort 5433 is not a port of the selected pods (StatefulSet/postgres)',
    ]);
  });

  test('a NetworkPolicy podSelector that matches no pod template is reported', () => {
    const set = changed('NetworkPolicy', 'postgres', (p) => (p.spec.podSelector.matchLabels = { app: 'pg' }));
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'NetworkPolicy/postgres: spec.podSelector {"app":"pg"} matches no pod template',
    ]);
  });

  test('a NetworkPolicy peer that matches no pod template is reported', () => {
    const set = changed(
      'NetworkPolicy',
      'server',
      (p) => (p.spec.egress[0].to[0].podSelector.matchLabels = { app: 'db' }),
    );
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'NetworkPolicy/server: spec.egress[0].to[0].podSelector {"app":"db"} matches no pod template',
    ]);
  });

  test('a peer with a namespaceSelector is in another namespace and not checked', () => {
    const set = changed('NetworkPolicy', 'server', (p) => {
      p.spec.egress[0].to[0] = { namespaceSelector: {}, podSelector: { matchLabels: { app: 'db' } } };
    });
    expect(referenceProblems(set, EXTERNAL)).toEqual([]);
  });

  test('an egress port that no selected peer pod declares is reported', () => {
    const set = changed('NetworkPolicy', 'server', (p) => (p.spec.egress[0].ports[0].port = 5433));
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'NetworkPolicy/server: spec.egress[0].ports[0].port 5433 is not a container port of any pod selected by spec.egress[0].to[0].podSelector',
    ]);
  });

  test('an ingress port that no pod of the policy declares is reported', () => {
    const set = changed('NetworkPolicy', 'postgres', (p) => (p.spec.ingress[0].ports[0].port = 2283));
    expect(referenceProblems(set, EXTERNAL)).toEqual([
      'NetworkPolicy/postgres: spec.ingress[0].ports[0].port 2283 is not a container port of any pod selected by spec.podSelector',
    ]);
  });

  test('matchExpressions select pods like matchLabels, and one that matches none is reported', () => {
    const selecting = changed('NetworkPolicy', 'postgres', (p) => {
      p.spec.podSelector = { matchExpressions: [{ key: 'app', operator: 'In', values: ['postgres'] }] };
    });
    expect(referenceProblems(selecting, EXTERNAL)).toEqual([]);
    const excluding = {
      matchLabels: { app: 'postgres' },
      matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['postgres'] }],
    };
    const none = changed('NetworkPolicy', 'postgres', (p) => (p.spec.podSelector = excluding));
    expect(referenceProblems(none, EXTERNAL)).toEqual([
      `NetworkPolicy/postgres: spec.podSelector ${JSON.stringify(excluding)} matches no pod template`,
    ]);
  });
});

describe('routes', () => {
  const meta = { name: 'public', namespace: 'immich' };
  /** A route of each kind to Service `server` port 80, with the certificate from Secret `tls` where the kind has one. */
  const ROUTES: Record<string, (service: string, port: number) => any> = {
    IngressRoute: (service, port) => ({
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRoute',
      metadata: meta,
      spec: { routes: [{ match: 'Host(`a.b`)', services: [{ name: service, port }] }], tls: { secretName: 'tls' } },
    }),
    HTTPRoute: (service, port) => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: meta,
      spec: { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [{ name: service, port }] }] },
    }),
    Ingress: (service, port) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta,
      spec: {
        rules: [
          {
            host: 'a.b',
            http: {
              paths: [
                { path: '/', pathType: 'Prefix', backend: { service: { name: service, port: { number: port } } } },
              ],
            },
          },
        ],
        tls: [{ hosts: ['a.b'], secretName: 'tls' }],
      },
    }),
  };
  const external = { secrets: [...EXTERNAL.secrets, 'tls'] };

  test.each(Object.keys(ROUTES))('an %s to a port of a Service has no problems', (kind) => {
    expect(referenceProblems([...objects(), ROUTES[kind]!('server', 80)], external)).toEqual([]);
  });

  test.each(Object.keys(ROUTES))('an %s to a missing Service or port is reported', (kind) => {
    expect(referenceProblems([...objects(), ROUTES[kind]!('web', 80)], external)).toEqual([
      `${kind}/public: Service web does not exist`,
    ]);
    expect(referenceProblems([...objects(), ROUTES[kind]!('server', 2283)], external)).toEqual([
      `${kind}/public: port 2283 is not a port of Service server`,
    ]);
  });

  test.each(['IngressRoute', 'Ingress'])(
    'the certificate Secret of an %s is reported when neither synthesized nor external',
    (kind) => {
      expect(referenceProblems([...objects(), ROUTES[kind]!('server', 80)], EXTERNAL)).toEqual([
        `${kind}/public: TLS Secret tls is neither synthesized nor declared external`,
      ]);
    },
  );

  test('a route to no Service is reported', () => {
    const route = ROUTES.HTTPRoute!('server', 80);
    route.spec.rules[0].backendRefs = [];
    expect(referenceProblems([...objects(), route], external)).toEqual([
      'HTTPRoute/public: sends traffic to no Service',
    ]);
  });
});
