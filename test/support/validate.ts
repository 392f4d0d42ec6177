import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import { version as AJV_VERSION } from 'ajv/package.json';
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { ExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1beta1/ExternalSecret';
import { SealedSecret } from '@kubernetes-models/sealed-secrets/bitnami.com/v1alpha1/SealedSecret';
import { IngressRoute } from '@kubernetes-models/traefik/traefik.io/v1alpha1/IngressRoute';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { PersistentVolume } from 'kubernetes-models/v1/PersistentVolume';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ROOT } from './synth';

interface Validator {
  /** Runtime JSON-schema validation of the package's model class; throws on the first failure. */
  readonly model: new (data: any) => { validate(): void };
  /** apiVersion the model is written for, when it differs from the emitted one. @default the emitted one */
  readonly modelApiVersion?: string;
  /**
   * The closed schema that rejects unknown fields at every depth: a definition of the Kubernetes
   * API or a generated CRD schema file (test/crd-schemas/).
   */
  readonly closed: string;
}

/** The generated, closed Kubernetes API definitions the core kinds are validated against. */
const K8S_DEFINITIONS = 'k8s-definitions.json';

/** Where the generated closed schemas are. */
const SCHEMAS = join(ROOT, 'test', 'crd-schemas');

/** A definition of the Kubernetes API in the generated closed definitions. */
const k8s = (name: string) => `${K8S_DEFINITIONS}#/definitions/${name}`;

/** Validators installed from npm for each kind the app may emit; a new kind must be added here. */
const VALIDATORS: Record<string, Validator> = {
  'v1/Namespace': { model: Namespace, closed: k8s('io.k8s.api.core.v1.Namespace') },
  'v1/Secret': { model: Secret, closed: k8s('io.k8s.api.core.v1.Secret') },
  'v1/Service': { model: Service, closed: k8s('io.k8s.api.core.v1.Service') },
  'v1/PersistentVolume': { model: PersistentVolume, closed: k8s('io.k8s.api.core.v1.PersistentVolume') },
  'v1/PersistentVolumeClaim': { model: PersistentVolumeClaim, closed: k8s('io.k8s.api.core.v1.PersistentVolumeClaim') },
  'apps/v1/Deployment': { model: Deployment, closed: k8s('io.k8s.api.apps.v1.Deployment') },
  'apps/v1/StatefulSet': { model: StatefulSet, closed: k8s('io.k8s.api.apps.v1.StatefulSet') },
  'batch/v1/CronJob': { model: CronJob, closed: k8s('io.k8s.api.batch.v1.CronJob') },
  'v1/ConfigMap': { model: ConfigMap, closed: k8s('io.k8s.api.core.v1.ConfigMap') },
  'v1/ServiceAccount': { model: ServiceAccount, closed: k8s('io.k8s.api.core.v1.ServiceAccount') },
  'policy/v1/PodDisruptionBudget': {
    model: PodDisruptionBudget,
    closed: k8s('io.k8s.api.policy.v1.PodDisruptionBudget'),
  },
  'networking.k8s.io/v1/NetworkPolicy': { model: NetworkPolicy, closed: k8s('io.k8s.api.networking.v1.NetworkPolicy') },
  'networking.k8s.io/v1/Ingress': { model: Ingress, closed: k8s('io.k8s.api.networking.v1.Ingress') },
  'argoproj.io/v1alpha1/Application': { model: Application, closed: 'argoproj.io_Application.json' },
  // No npm model of external-secrets.io/v1 runs on Node 20; the fields emitted are the same in
  // v1beta1, and the closed schema is the v1 CRD's.
  'external-secrets.io/v1/ExternalSecret': {
    model: ExternalSecret,
    modelApiVersion: 'external-secrets.io/v1beta1',
    closed: 'external-secrets.io_ExternalSecret.json',
  },
  // The npm model predates spec.template.data; the closed schema is the pinned CRD's.
  'bitnami.com/v1alpha1/SealedSecret': { model: SealedSecret, closed: 'bitnami.com_SealedSecret.json' },
  'traefik.io/v1alpha1/IngressRoute': { model: IngressRoute, closed: 'traefik.io_IngressRoute.json' },
};

/**
 * Custom resources without an npm model, validated against closed JSON schemas generated from their
 * pinned CRDs (test/crd-schemas/, by scripts/generate-crd-schemas.mjs): unknown fields, types,
 * enums, patterns and required fields at every depth.
 */
const CRD_SCHEMAS: Record<string, string> = {
  'postgresql.cnpg.io/v1/Backup': 'postgresql.cnpg.io_Backup.json',
  'postgresql.cnpg.io/v1/Cluster': 'postgresql.cnpg.io_Cluster.json',
  'postgresql.cnpg.io/v1/ScheduledBackup': 'postgresql.cnpg.io_ScheduledBackup.json',
  'postgresql.cnpg.io/v1/Pooler': 'postgresql.cnpg.io_Pooler.json',
  'barmancloud.cnpg.io/v1/ObjectStore': 'barmancloud.cnpg.io_ObjectStore.json',
  'volsync.backube/v1alpha1/ReplicationSource': 'volsync.backube_ReplicationSource.json',
  'volsync.backube/v1alpha1/ReplicationDestination': 'volsync.backube_ReplicationDestination.json',
  'monitoring.coreos.com/v1/ServiceMonitor': 'monitoring.coreos.com_ServiceMonitor.json',
  'monitoring.coreos.com/v1/PodMonitor': 'monitoring.coreos.com_PodMonitor.json',
  'monitoring.coreos.com/v1/PrometheusRule': 'monitoring.coreos.com_PrometheusRule.json',
  'gateway.networking.k8s.io/v1/HTTPRoute': 'gateway.networking.k8s.io_HTTPRoute.json',
};

/** Every closed schema a validator uses: CRD schema files and Kubernetes definitions. */
const CLOSED_REFS = [
  ...new Set([...Object.values(VALIDATORS).map((v) => v.closed), ...Object.values(CRD_SCHEMAS)]),
].sort();

// Kubernetes formats (int32, int64, date-time, ...) are not checked; types and patterns are.
const AJV_OPTIONS = { strict: false, allErrors: true, validateFormats: false } as const;

/**
 * Compiling the closed schemas takes Ajv about 1.5 s, so their validators are compiled once into a
 * module (Ajv's standalone code: the same validation functions, written out) and reused while the
 * schemas, the list and Ajv are unchanged; its file name holds the hash of all three.
 */
function loadClosedValidators(): Map<string, ValidateFunction> {
  const hash = createHash('sha1').update(`${AJV_VERSION} ${JSON.stringify(AJV_OPTIONS)}\n`);
  for (const file of [K8S_DEFINITIONS, ...CLOSED_REFS.filter((ref) => !ref.includes('#'))]) {
    hash.update(`${file}\n`).update(readFileSync(join(SCHEMAS, file)));
  }
  hash.update(JSON.stringify(CLOSED_REFS));
  const module = join(ROOT, 'build', `closed-validators-${hash.digest('hex')}.cjs`);
  if (!existsSync(module)) {
    writeAtomically(module, compileClosedValidators());
    // Modules of earlier schemas are never used again.
    for (const old of readdirSync(dirname(module)).filter((f) => /^closed-validators-\w+\.cjs$/.test(f))) {
      if (join(dirname(module), old) !== module) rmSync(join(dirname(module), old), { force: true });
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exported = require(module) as Record<string, ValidateFunction>;
  return new Map(CLOSED_REFS.map((ref, i) => [ref, exported[`v${i}`]!]));
}

/** The standalone module exporting the validator of CLOSED_REFS[i] as `v<i>`. */
function compileClosedValidators(): string {
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  // Custom resources' metadata and the core kinds refer to the Kubernetes definitions.
  ajv.addSchema(readSchema(K8S_DEFINITIONS));
  for (const ref of CLOSED_REFS) {
    if (!ref.includes('#')) ajv.addSchema({ ...readSchema(ref), $id: ref });
  }
  return standaloneCode(ajv, Object.fromEntries(CLOSED_REFS.map((ref, i) => [`v${i}`, ref])));
}

/** Written aside and renamed, so a test file beside this one never reads half a module. */
function writeAtomically(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}`;
  writeFileSync(partial, text);
  renameSync(partial, file);
}

let closed: Map<string, ValidateFunction> | undefined;

/** The compiled validator of a closed schema: a CRD schema file or a Kubernetes definition. */
function closedValidator(ref: string): ValidateFunction {
  closed ??= loadClosedValidators();
  const validate = closed.get(ref);
  if (!validate) throw new Error(`no closed schema ${ref}`);
  return validate;
}

function readSchema(file: string): object {
  return JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as object;
}

function crdValidator(object: Obj): ValidateFunction | undefined {
  const file = CRD_SCHEMAS[`${object.apiVersion}/${object.kind}`];
  return file ? closedValidator(file) : undefined;
}

/** Each error of a schema validation as `<kind>/<name>: <path> <message> (<unknown field>)`. */
function errorLines(object: Obj, validate: ValidateFunction): string[] {
  const where = `${object.kind}/${object.metadata.name}`;
  return (validate.errors ?? []).map((error) => {
    const detail = error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : '';
    return `${where}: ${error.instancePath || '/'} ${error.message}${detail}`;
  });
}

type Obj = { apiVersion: string; kind: string; metadata: { name: string } };

function validatorFor(object: Obj): Validator | undefined {
  return VALIDATORS[`${object.apiVersion}/${object.kind}`];
}

/** A copy of the object as its model expects it. */
function asModel(object: Obj, validator: Validator): Obj {
  return { ...structuredClone(object), apiVersion: validator.modelApiVersion ?? object.apiVersion };
}

/**
 * Schema problems found by the kubernetes-models validators (types, required fields, formats), and
 * for custom resources without a model by their CRD's schema, unknown fields included.
 */
export function schemaProblems(objects: readonly Obj[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const crd = crdValidator(object);
    if (crd) {
      if (!crd(structuredClone(object))) problems.push(...errorLines(object, crd));
      continue;
    }
    const validator = validatorFor(object);
    if (!validator) {
      problems.push(`${object.kind}/${object.metadata.name}: no validator for ${object.apiVersion}/${object.kind}`);
      continue;
    }
    try {
      new validator.model(asModel(object, validator)).validate();
    } catch (err) {
      problems.push(`${object.kind}/${object.metadata.name}: ${(err as Error).message}`);
    }
  }
  return problems;
}

/**
 * Fields the API would reject as unknown (strict field validation), and any other deviation from
 * the API's own schema. The JSON schemas shipped by the model packages allow extra properties, so
 * every object is also validated against a closed schema generated from the Kubernetes API
 * definitions or its pinned CRD (scripts/generate-crd-schemas.mjs): no unknown field at any depth.
 */
export function unknownFieldProblems(objects: readonly Obj[]): string[] {
  // Custom resources checked by their closed CRD schema in schemaProblems need no second check.
  return objects.flatMap((object) => {
    const validator = validatorFor(object);
    if (!validator) return [];
    const validate = closedValidator(validator.closed);
    return validate(structuredClone(object)) ? [] : errorLines(object, validate);
  });
}
