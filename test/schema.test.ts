import { replace, synth } from './support/synth';
import { schemaProblems, unknownFieldProblems } from './support/validate';

const INLINE_ENV = { IMMICH_DB_PASSWORD: 'pw', IMMICH_OAUTH_CLIENT_SECRET: 'cs' };

/** Configurations that together emit every kind and every optional branch. */
const VARIANTS: Record<string, [Record<string, unknown>, NodeJS.ProcessEnv]> = {
  example: [{}, {}],
  'inline secrets, cpu backend, pvc library, TLS secret': [
    {
      secrets: { mode: 'inline' },
      argocd: { allowInlineSecrets: true },
      machineLearning: { backend: 'cpu' },
      library: replace({ source: 'pvc', claimName: 'photos' }),
      ingress: { tls: replace({ secretName: 'immich-tls' }) },
      storage: { postgres: { storageClass: 'local-path' } },
    },
    INLINE_ENV,
  ],
  'hostPath library, no TLS, GPU node selector, no OAuth': [
    {
      library: replace({ source: 'hostPath', path: '/srv/photos' }),
      ingress: { entryPoints: ['web'], tls: replace({}) },
      machineLearning: { gpu: { count: 2, nodeSelector: { 'nvidia.com/gpu.present': 'true' } } },
      oauth: { enabled: false },
      resources: { server: { limits: { cpu: '2' } } },
    },
    {},
  ],
  'an HTTPRoute to a Gateway of its own namespace, on every listener, with a request timeout': [
    { ingress: replace({ kind: 'httproute', gateway: { name: 'public' }, requestTimeout: '1h30m' }) },
    {},
  ],
  'an Ingress of the default class, without TLS or annotations': [{ ingress: replace({ kind: 'ingress' }) }, {}],
};

describe.each(Object.entries(VARIANTS))('%s', (_name, [overrides, env]) => {
  const objects = synth(overrides, env).map((m) => m.object);

  test('every object passes the Kubernetes and CRD schemas', () => {
    expect(schemaProblems(objects)).toEqual([]);
  });

  test('no object has a field the API server would reject as unknown', () => {
    expect(unknownFieldProblems(objects)).toEqual([]);
  }, 30_000);
});

describe('the validators themselves', () => {
  const deployment = synth().find((m) => m.object.kind === 'Deployment')!.object;

  test('reject a wrongly typed field', () => {
    const broken = structuredClone(deployment) as any;
    broken.spec.replicas = 'one';
    expect(schemaProblems([broken]).join('\n')).toContain('replicas');
  });

  test('reject an unknown nested field', () => {
    const broken = structuredClone(deployment) as any;
    broken.spec.template.spec.enableServiceLink = false;
    expect(unknownFieldProblems([broken]).join('\n')).toContain('enableServiceLink');
  }, 30_000);

  test('reject a kind they do not know', () => {
    expect(schemaProblems([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }])).toEqual([
      'Pod/x: no validator for v1/Pod',
    ]);
  });
});
