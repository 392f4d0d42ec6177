import type { SecretMode } from '../src/config';
import { MODES } from './support/modes';
import { type KubeObject, configError, findOne, synth } from './support/synth';

const WAVE = 'argocd.argoproj.io/sync-wave';
const OPTIONS = 'argocd.argoproj.io/sync-options';
const MINIMAL = 'domain: example.com\noauth: { clientId: immich }\n';

const id = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;
const annotation = (o: KubeObject, key: string): string | undefined => o.metadata.annotations?.[key];
const wave = (o: KubeObject) => Number(annotation(o, WAVE));
const objects = (overrides = {}, env = {}) => synth(overrides, env).map((m) => m.object);

describe('the Argo CD Application', () => {
  const app = findOne(synth(), 'Application', 'immich');

  test('lives in the argocd namespace and syncs dist/ of the configured repository into immich', () => {
    expect(app.metadata).toMatchObject({ name: 'immich', namespace: 'argocd' });
    expect(app.spec.project).toBe('default');
    expect(app.spec.source).toEqual({
      repoURL: 'https://git.example.com/home/immich-k8s.git',
      targetRevision: 'main',
      path: 'dist',
      directory: { recurse: false },
    });
    expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'immich' });
  });

  test('syncs automatically with pruning, self-heal, server-side apply, namespace creation and retries', () => {
    expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(app.spec.syncPolicy.syncOptions).toEqual(['ServerSideApply=true', 'CreateNamespace=true']);
    expect(app.spec.syncPolicy.retry).toEqual({
      limit: 5,
      backoff: { duration: '10s', factor: 2, maxDuration: '3m' },
    });
  });

  test('repository, revision, path, project, namespace and cluster follow the argocd config', () => {
    const custom = findOne(
      synth({
        argocd: {
          repoURL: 'git@git.example.com:me/cluster.git',
          targetRevision: 'v1.2.0',
          path: 'apps/immich/dist',
          project: 'home',
          namespace: 'gitops',
          server: 'https://10.0.0.1:6443',
        },
      }),
      'Application',
      'immich',
    );
    expect(custom.metadata.namespace).toBe('gitops');
    expect(custom.spec).toMatchObject({
      project: 'home',
      source: { repoURL: 'git@git.example.com:me/cluster.git', targetRevision: 'v1.2.0', path: 'apps/immich/dist' },
      destination: { server: 'https://10.0.0.1:6443' },
    });
  });

  test('argocd.enabled false renders no Application but keeps the annotations', () => {
    const out = objects({ argocd: { enabled: false } });
    expect(out.filter((o) => o.kind === 'Application')).toEqual([]);
    expect(
      annotation(
        out.find((o) => o.kind === 'StatefulSet')!,
        OPTIONS,
      ),
    ).toBe('Prune=false,Delete=false');
  });

  test('fails when enabled without a repository', () => {
    expect(configError(`${MINIMAL}argocd: { enabled: true }\n`)).toContain(
      'argocd.repoURL: required while argocd.enabled is true, got nothing',
    );
  });

  test('fails on a repository that is not a Git URL', () => {
    expect(configError(`${MINIMAL}argocd: { repoURL: my-repo }\n`)).toContain(
      'argocd.repoURL: must be a Git URL like "https://git.example.com/home/immich-k8s.git", got "my-repo"',
    );
  });
});

describe.each(Object.keys(MODES) as SecretMode[])('sync waves and options, secrets mode %s', (mode) => {
  const all = objects(MODES[mode].overrides, MODES[mode].env);
  const app = all.filter((o) => o.kind !== 'Application');
  const of = (kind: string, name: string) => app.find((o) => o.kind === kind && o.metadata.name === name)!;

  test('every app object has a sync wave', () => {
    expect(app.filter((o) => Number.isNaN(wave(o))).map(id)).toEqual([]);
  });

  test('secrets, config, accounts and policies come first, then postgres and valkey, machine learning, the server, the route', () => {
    const first = app.filter((o) =>
      ['Secret', 'ExternalSecret', 'SealedSecret', 'ConfigMap', 'ServiceAccount', 'NetworkPolicy'].includes(o.kind),
    );
    const backends = [of('StatefulSet', 'immich-postgres'), of('Deployment', 'valkey')];
    const ordered = [
      Math.max(...first.map(wave)),
      ...new Set(backends.map(wave)),
      wave(of('Deployment', 'immich-machine-learning')),
      wave(of('Deployment', 'immich-server')),
      wave(of('IngressRoute', 'immich')),
    ];
    expect(ordered).toHaveLength(5);
    expect([...ordered].sort((a, b) => a - b)).toEqual(ordered);
    expect(new Set(ordered).size).toBe(5);
  });

  test('each Service and PVC syncs with the workload that uses it, so a WaitForFirstConsumer claim can bind', () => {
    const pairs: [KubeObject, KubeObject][] = [
      [of('PersistentVolumeClaim', 'valkey-data'), of('Deployment', 'valkey')],
      [of('PersistentVolumeClaim', 'immich-ml-cache'), of('Deployment', 'immich-machine-learning')],
      [of('PersistentVolumeClaim', 'immich-data'), of('Deployment', 'immich-server')],
      [of('Service', 'immich-postgres'), of('StatefulSet', 'immich-postgres')],
      [of('Service', 'immich-server'), of('Deployment', 'immich-server')],
    ];
    for (const [used, user] of pairs) expect([id(used), wave(used)]).toEqual([id(used), wave(user)]);
  });

  test('exactly the objects holding data are never pruned or deleted by Argo CD', () => {
    const kept = app.filter((o) => annotation(o, OPTIONS)?.includes('Prune=false,Delete=false')).map(id);
    const dbSecret = app.find((o) => o.metadata.name === 'immich-db');
    expect(kept.sort()).toEqual(
      [
        'Namespace/immich',
        'PersistentVolume/immich-library-immich',
        'PersistentVolumeClaim/immich-data',
        'PersistentVolumeClaim/immich-library',
        'PersistentVolumeClaim/immich-ml-cache',
        'PersistentVolumeClaim/valkey-data',
        'StatefulSet/immich-postgres',
        ...(dbSecret ? [id(dbSecret)] : []),
      ].sort(),
    );
    expect(Boolean(dbSecret)).toBe(mode !== 'existing');
  });

  test('custom resources, and only they, skip the dry run while their CRD is missing', () => {
    const core = /^(v1|apps\/v1|networking\.k8s\.io\/v1)$/;
    const skipping = app.filter((o) => annotation(o, OPTIONS)?.includes('SkipDryRunOnMissingResource=true'));
    expect(skipping.map(id)).toEqual(app.filter((o) => !core.test(o.apiVersion)).map(id));
    expect(skipping.length).toBeGreaterThan(0);
  });
});

test('the postgres claim template carries apiVersion and kind, so server-side diffs settle', () => {
  const [claim] = findOne(synth(), 'StatefulSet', 'immich-postgres').spec.volumeClaimTemplates;
  expect(claim).toMatchObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' } });
});
