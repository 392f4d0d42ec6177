/**
 * The validation gate: each secrets mode is synthesized by the bundled app into a temp folder, as
 * a user would, and every file is checked against the Kubernetes and CRD schemas, for references
 * that resolve, for the Pod Security level its namespace enforces, and for leaked secrets.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SecretMode } from '../src/config';
import { readManifests } from './support/files';
import { MODES, PLAINTEXT, synthModeToDir } from './support/modes';
import { namespaceLevelFor, podSpecOf, podTemplateOf, pssViolations } from './support/pss';
import { type ExternalRefs, referenceProblems } from './support/references';
import { ROOT } from './support/synth';
import { driftProblems } from './support/drift';
import { schemaProblems, unknownFieldProblems } from './support/validate';

/** Secrets the user creates with kubectl in existing mode; every other mode synthesizes its own. */
const EXTERNAL: Record<SecretMode, ExternalRefs> = {
  existing: { secrets: ['immich-db', 'immich-config'] },
  inline: {},
  'external-secrets': {},
  'sealed-secrets': {},
};

const GATES: [string, SecretMode, () => string][] = [
  ...(Object.keys(MODES) as SecretMode[]).map((mode): [string, SecretMode, () => string] => [
    `secrets mode ${mode}`,
    mode,
    () => synthModeToDir(mode),
  ]),
  ['the committed dist/', 'existing', () => ROOT],
];

describe.each(GATES)('%s', (_name, mode, makeDir) => {
  let dir: string;
  let files: { file: string; object: any }[];
  let objects: any[];
  beforeAll(() => {
    dir = makeDir();
    files = readManifests(join(dir, 'dist'));
    objects = files.map((f) => f.object);
  });
  afterAll(() => {
    if (dir !== ROOT) rmSync(dir, { recursive: true, force: true });
  });

  test('every file holds one object that passes the Kubernetes and CRD schemas', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(schemaProblems(objects)).toEqual([]);
  });

  test('no object has a field the API server would reject as unknown', () => {
    expect(unknownFieldProblems(objects)).toEqual([]);
  }, 30_000);

  test('no object holds an empty list or a non-canonical quantity, which a second apply would rewrite', () => {
    expect(driftProblems(objects)).toEqual([]);
  });

  test('every selector, Secret, ConfigMap, PVC and ServiceAccount reference resolves', () => {
    expect(referenceProblems(objects, EXTERNAL[mode])).toEqual([]);
  });

  test('every pod meets the Pod Security level its namespace enforces, the strongest they all meet', () => {
    const namespace = objects.find((o) => o.kind === 'Namespace');
    const level = namespace.metadata.labels['pod-security.kubernetes.io/enforce'];
    const pods = objects.filter((o) => podSpecOf(o));
    expect(pods).toHaveLength(4);
    expect(level).toBe(namespaceLevelFor(pods.map(podSpecOf)));
    if (level === 'privileged') return;
    for (const pod of pods) {
      const annotations = podTemplateOf(pod).metadata?.annotations ?? {};
      expect({ pod: pod.metadata.name, violations: pssViolations(podSpecOf(pod), level, annotations) }).toEqual({
        pod: pod.metadata.name,
        violations: [],
      });
    }
  });

  test('the app manifests sit at the top of dist/, the Argo CD Application below it', () => {
    const nested = files.filter((f) => f.file.includes('/'));
    expect(nested.map((f) => `${f.file} ${f.object.kind}`)).toEqual(['argocd/90-application-immich.yaml Application']);
    expect(nested[0]!.object.spec.source).toMatchObject({ path: 'dist', directory: { recurse: false } });
  });

  if (mode === 'inline') return;

  test('no synthesized Secret carries data', () => {
    const secrets = objects.filter((o) => o.kind === 'Secret');
    expect(secrets.filter((s) => s.data || s.stringData)).toEqual([]);
  });

  test.each(Object.keys(PLAINTEXT))('no file contains the %s value', (name) => {
    const value = PLAINTEXT[name as keyof typeof PLAINTEXT];
    for (const { file, object } of files)
      expect({ file, leak: JSON.stringify(object).includes(value) }).toEqual({ file, leak: false });
  });
});
