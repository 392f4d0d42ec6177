#!/usr/bin/env node
/**
 * Generates the closed JSON schemas the tests validate objects with, from pinned upstream CRD
 * files (a folder of them, e.g. the one the imports/ classes were generated from) and the
 * Kubernetes API definitions (`{"definitions": ...}` of the OpenAPI v2 spec):
 *   node scripts/generate-crd-schemas.mjs <crd-folder> <k8s-definitions.json>
 * For each custom resource below it keeps the served version's openAPIV3Schema without
 * descriptions, marks objects without `x-kubernetes-preserve-unknown-fields` as closed (the API
 * server prunes and, with strict field validation, rejects unknown fields there) and turns
 * `x-kubernetes-int-or-string` into a plain JSON-schema union. Of the Kubernetes definitions it
 * keeps those the emitted core kinds reach, closed the same way. The output is test data:
 * test/crd-schemas/<group>_<kind>.json and test/crd-schemas/k8s-definitions.json.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Kinds validated by generated schema: `<group>/<version>/<kind>`. */
const KINDS = [
  'postgresql.cnpg.io/v1/Backup',
  'postgresql.cnpg.io/v1/Cluster',
  'postgresql.cnpg.io/v1/ScheduledBackup',
  'postgresql.cnpg.io/v1/Pooler',
  'barmancloud.cnpg.io/v1/ObjectStore',
  'volsync.backube/v1alpha1/ReplicationSource',
  'volsync.backube/v1alpha1/ReplicationDestination',
  'monitoring.coreos.com/v1/ServiceMonitor',
  'monitoring.coreos.com/v1/PodMonitor',
  'monitoring.coreos.com/v1/PrometheusRule',
  'traefik.io/v1alpha1/IngressRoute',
  'gateway.networking.k8s.io/v1/HTTPRoute',
  'argoproj.io/v1alpha1/Application',
  'external-secrets.io/v1/ExternalSecret',
  'bitnami.com/v1alpha1/SealedSecret',
];
/** Core kinds the app emits, by their name in the Kubernetes definitions. */
const CORE = [
  'io.k8s.api.core.v1.Namespace',
  'io.k8s.api.core.v1.Secret',
  'io.k8s.api.core.v1.ConfigMap',
  'io.k8s.api.core.v1.Service',
  'io.k8s.api.core.v1.ServiceAccount',
  'io.k8s.api.core.v1.PersistentVolume',
  'io.k8s.api.core.v1.PersistentVolumeClaim',
  'io.k8s.api.apps.v1.Deployment',
  'io.k8s.api.apps.v1.StatefulSet',
  'io.k8s.api.policy.v1.PodDisruptionBudget',
  'io.k8s.api.networking.v1.NetworkPolicy',
  'io.k8s.api.networking.v1.Ingress',
  'io.k8s.api.batch.v1.CronJob',
];
/** The $id custom resources reference the Kubernetes definitions by. */
const K8S_ID = 'k8s-definitions.json';
const OBJECT_META = `${K8S_ID}#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`;
const OUT = join(import.meta.dirname, '..', 'test', 'crd-schemas');

/**
 * A Go (RE2) pattern as a JavaScript one. RE2's case-insensitive flag `(?i)` has no JSON-schema
 * form: its letters become both-case classes. A pattern JavaScript still cannot read is dropped.
 */
function jsPattern(pattern) {
  let out = pattern;
  if (out.includes('(?i)')) {
    out = out
      .replace('(?i)', '')
      .replace(/\\.|\[[^\]]*\]|[a-zA-Z]/g, (m) =>
        /^[a-zA-Z]$/.test(m) ? `[${m.toLowerCase()}${m.toUpperCase()}]` : m,
      );
  }
  try {
    new RegExp(out, 'u');
    return out;
  } catch {
    return undefined;
  }
}

function convert(node) {
  if (Array.isArray(node)) return node.map(convert);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'description' && typeof value === 'string') continue;
    if (key.startsWith('x-kubernetes-')) continue;
    // `properties` maps field names to schemas: a field may itself be called "description".
    out[key] =
      key === 'properties'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v)]))
        : convert(value);
  }
  if (typeof out.pattern === 'string') {
    const pattern = jsPattern(out.pattern);
    if (pattern === undefined) delete out.pattern;
    else out.pattern = pattern;
  }
  if (node['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  // Kubernetes definitions leave `type: object` out of some object schemas.
  if (
    (out.type === 'object' || out.type === undefined) &&
    out.properties &&
    out.additionalProperties === undefined &&
    !node['x-kubernetes-preserve-unknown-fields']
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/** The definitions `names` reach through `$ref`, closed like the CRD schemas. */
function reachable(definitions, names) {
  const out = {};
  const visit = (node) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    if (typeof node.$ref === 'string') add(node.$ref.replace('#/definitions/', ''));
    Object.values(node).forEach(visit);
  };
  const add = (name) => {
    if (out[name]) return;
    const definition = definitions[name];
    if (!definition) throw new Error(`no definition ${name}`);
    out[name] = convert(definition);
    visit(definition);
  };
  names.forEach(add);
  return out;
}

const [folder, definitionsFile] = process.argv.slice(2);
if (!folder || !definitionsFile) {
  console.error('usage: node scripts/generate-crd-schemas.mjs <crd-folder> <k8s-definitions.json>');
  process.exit(2);
}
const crds = readdirSync(folder)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(join(folder, f), 'utf8')).map((d) => d.toJS()))
  .filter((d) => d?.kind === 'CustomResourceDefinition');
mkdirSync(OUT, { recursive: true });
for (const id of KINDS) {
  const [group, version, kind] = id.split('/');
  const crd = crds.find((c) => c.spec.group === group && c.spec.names.kind === kind);
  const served = crd?.spec.versions.find((v) => v.name === version && v.served);
  if (!served) throw new Error(`no served CRD version for ${id} in ${folder}`);
  const schema = convert(served.schema.openAPIV3Schema);
  // metadata is validated by the API server as an ObjectMeta, not by the CRD schema.
  schema.properties.metadata = { $ref: OBJECT_META };
  const file = join(OUT, `${group}_${kind}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ $comment: `generated by scripts/generate-crd-schemas.mjs from the ${id} CRD`, ...schema })}\n`,
  );
  console.log(`${file}: ${id}`);
}
const { definitions } = JSON.parse(readFileSync(definitionsFile, 'utf8'));
const kept = reachable(definitions, [...CORE, 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
const k8sFile = join(OUT, K8S_ID);
writeFileSync(
  k8sFile,
  `${JSON.stringify({ $id: K8S_ID, $comment: `generated by scripts/generate-crd-schemas.mjs from ${definitionsFile.split('/').pop()}`, definitions: kept })}\n`,
);
console.log(`${k8sFile}: ${Object.keys(kept).length} definitions for ${CORE.length} kinds`);
