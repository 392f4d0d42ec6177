/**
 * A second apply of the same manifests must change nothing. These tests pin the guard that every
 * synth helper applies (test/support/drift.ts) and the canonical quantity form it relies on.
 */
import { canonicalQuantity, quantityValue } from '../src/lib/quantity';
import { driftProblems } from './support/drift';
import { allowed } from './support/netpol';
import { findOne, synth } from './support/synth';

describe('canonical quantities, as the API server returns them', () => {
  test.each([
    ['1000m', '1'],
    ['1500m', '1500m'],
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['2000', '2k'],
    ['1000000', '1M'],
    ['1024Mi', '1Gi'],
    ['1536Mi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['1.5Gi', '1536Mi'],
    ['512', '512'],
    ['100Ki', '100Ki'],
    ['0.5Ki', '512'],
    ['4G', '4G'],
    ['4000M', '4G'],
    ['1e3', '1e3'],
    ['1200e0', '1200'],
    ['0.1m', '100u'],
    ['0.0000000001', '1n'],
    ['1', '1'],
  ])('%s is stored as %s', (input, canonical) => {
    expect(canonicalQuantity(input)).toBe(canonical);
    expect(quantityValue(canonicalQuantity(input))).toBeCloseTo(quantityValue(input), 9);
  });
});

describe('the drift guard', () => {
  const object = (spec: unknown) => ({ kind: 'NetworkPolicy', metadata: { name: 'planted' }, spec });

  test('fails when an empty egress list is put back', () => {
    expect(driftProblems([object({ podSelector: {}, policyTypes: ['Egress'], egress: [] })])).toEqual([
      'NetworkPolicy/planted: spec.egress: empty list (the API server drops it)',
    ]);
  });

  test('accepts empty maps that carry meaning', () => {
    expect(driftProblems([object({ podSelector: {}, volumes: [{ emptyDir: {} }] })])).toEqual([]);
  });

  test('fails on a numeric or non-canonical quantity', () => {
    const pod = { containers: [{ resources: { limits: { 'nvidia.com/gpu': 1, cpu: '1000m' } } }] };
    expect(driftProblems([{ kind: 'Deployment', metadata: { name: 'x' }, ...pod }])).toEqual([
      'Deployment/x: containers[0].resources.limits.nvidia.com/gpu: quantity 1 is not a string (the server returns "1")',
      'Deployment/x: containers[0].resources.limits.cpu: quantity "1000m" is not canonical (the server returns "1")',
    ]);
  });
});

describe('synthesized output', () => {
  test('postgres and valkey policies carry no egress list and still deny all egress', () => {
    const objects = synth().map((m) => m.object);
    const pod = (name: string) => ({
      kind: 'pod' as const,
      namespace: 'immich',
      namespaceLabels: { 'kubernetes.io/metadata.name': 'immich' },
      podLabels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'immich' },
    });
    for (const name of ['immich-postgres', 'valkey']) {
      const policy = findOne(synth(), 'NetworkPolicy', name);
      expect(policy.spec.policyTypes).toContain('Egress');
      expect(policy.spec).not.toHaveProperty('egress');
      expect(allowed(objects, pod(name), pod('immich-server'), 2283)).toBe(false);
      expect(allowed(objects, pod(name), { kind: 'ip', ip: '1.1.1.1' }, 443)).toBe(false);
    }
  });

  test('machine learning without model downloads carries no egress list and reaches nothing', () => {
    const manifests = synth({ networkPolicy: { modelDownloads: false } });
    const policy = findOne(manifests, 'NetworkPolicy', 'immich-machine-learning');
    expect(policy.spec).not.toHaveProperty('egress');
    expect(policy.spec.policyTypes).toContain('Egress');
  });

  test('the GPU limit is the string "1" and quantities from the file are canonical', () => {
    const manifests = synth({ resources: { server: { requests: { cpu: '1000m', memory: '1024Mi' } } } });
    const ml = findOne(manifests, 'Deployment', 'immich-machine-learning');
    expect(ml.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu']).toBe('1');
    const server = findOne(manifests, 'Deployment', 'immich-server');
    expect(server.spec.template.spec.containers[0].resources.requests).toEqual({ cpu: '1', memory: '1Gi' });
  });
});
