import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import ts from 'typescript';
import { Application } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application';
import { ExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1beta1/ExternalSecret';
import { SealedSecret } from '@kubernetes-models/sealed-secrets/bitnami.com/v1alpha1/SealedSecret';
import { IngressRoute } from '@kubernetes-models/traefik/traefik.io/v1alpha1/IngressRoute';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
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
  /** Module and interface whose TypeScript type rejects unknown fields at every depth. */
  readonly module: string;
  readonly type: string;
  /** apiVersion the model is written for, when it differs from the emitted one. @default the emitted one */
  readonly modelApiVersion?: string;
  /** The interface describes the object without apiVersion and kind (cdk8s-generated props). */
  readonly propsOnly?: boolean;
}

/** Validators installed from npm for each kind the app may emit; a new kind must be added here. */
const VALIDATORS: Record<string, Validator> = {
  'v1/Namespace': { model: Namespace, module: 'kubernetes-models/v1/Namespace', type: 'INamespace' },
  'v1/Secret': { model: Secret, module: 'kubernetes-models/v1/Secret', type: 'ISecret' },
  'v1/Service': { model: Service, module: 'kubernetes-models/v1/Service', type: 'IService' },
  'v1/PersistentVolume': {
    model: PersistentVolume,
    module: 'kubernetes-models/v1/PersistentVolume',
    type: 'IPersistentVolume',
  },
  'v1/PersistentVolumeClaim': {
    model: PersistentVolumeClaim,
    module: 'kubernetes-models/v1/PersistentVolumeClaim',
    type: 'IPersistentVolumeClaim',
  },
  'apps/v1/Deployment': { model: Deployment, module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'apps/v1/StatefulSet': { model: StatefulSet, module: 'kubernetes-models/apps/v1/StatefulSet', type: 'IStatefulSet' },
  'v1/ConfigMap': { model: ConfigMap, module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'v1/ServiceAccount': {
    model: ServiceAccount,
    module: 'kubernetes-models/v1/ServiceAccount',
    type: 'IServiceAccount',
  },
  'policy/v1/PodDisruptionBudget': {
    model: PodDisruptionBudget,
    module: 'kubernetes-models/policy/v1/PodDisruptionBudget',
    type: 'IPodDisruptionBudget',
  },
  'networking.k8s.io/v1/NetworkPolicy': {
    model: NetworkPolicy,
    module: 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
    type: 'INetworkPolicy',
  },
  'argoproj.io/v1alpha1/Application': {
    model: Application,
    module: '@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application',
    type: 'IApplication',
  },
  // No npm model of external-secrets.io/v1 runs on Node 20; the fields emitted are the same in
  // v1beta1, and the source is typed by classes generated from the v1 CRD (imports/).
  'external-secrets.io/v1/ExternalSecret': {
    model: ExternalSecret,
    module: '@kubernetes-models/external-secrets/external-secrets.io/v1beta1/ExternalSecret',
    type: 'IExternalSecret',
    modelApiVersion: 'external-secrets.io/v1beta1',
  },
  // The npm model predates spec.template.data: unknown fields are checked against the props
  // generated from the CRD itself (imports/bitnami.com.ts), which has no enums to trip on.
  'bitnami.com/v1alpha1/SealedSecret': {
    model: SealedSecret,
    module: `${ROOT}/imports/bitnami.com`,
    type: 'SealedSecretProps',
    propsOnly: true,
  },
  'traefik.io/v1alpha1/IngressRoute': {
    model: IngressRoute,
    module: '@kubernetes-models/traefik/traefik.io/v1alpha1/IngressRoute',
    type: 'IIngressRoute',
  },
};

/**
 * Custom resources without an npm model, validated against closed JSON schemas generated from their
 * pinned CRDs (test/crd-schemas/, by scripts/generate-crd-schemas.mjs): unknown fields, types,
 * enums, patterns and required fields at every depth.
 */
const CRD_SCHEMAS: Record<string, string> = {
  'postgresql.cnpg.io/v1/Cluster': 'postgresql.cnpg.io_Cluster.json',
  'postgresql.cnpg.io/v1/ScheduledBackup': 'postgresql.cnpg.io_ScheduledBackup.json',
  'barmancloud.cnpg.io/v1/ObjectStore': 'barmancloud.cnpg.io_ObjectStore.json',
  'volsync.backube/v1alpha1/ReplicationSource': 'volsync.backube_ReplicationSource.json',
  'volsync.backube/v1alpha1/ReplicationDestination': 'volsync.backube_ReplicationDestination.json',
  'monitoring.coreos.com/v1/ServiceMonitor': 'monitoring.coreos.com_ServiceMonitor.json',
  'monitoring.coreos.com/v1/PodMonitor': 'monitoring.coreos.com_PodMonitor.json',
  'monitoring.coreos.com/v1/PrometheusRule': 'monitoring.coreos.com_PrometheusRule.json',
};

// Kubernetes formats (int32, int64, date-time, ...) are not checked; types and patterns are.
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();

function crdValidator(object: Obj): ValidateFunction | undefined {
  const file = CRD_SCHEMAS[`${object.apiVersion}/${object.kind}`];
  if (!file) return undefined;
  let validate = compiled.get(file);
  if (!validate) {
    const schema = JSON.parse(readFileSync(join(ROOT, 'test', 'crd-schemas', file), 'utf8')) as object;
    validate = ajv.compile(schema);
    compiled.set(file, validate);
  }
  return validate;
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
      const where = `${object.kind}/${object.metadata.name}`;
      if (!crd(structuredClone(object))) {
        for (const error of crd.errors ?? []) {
          const detail =
            error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : '';
          problems.push(`${where}: ${error.instancePath || '/'} ${error.message}${detail}`);
        }
      }
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
 * Fields the API would reject as unknown (strict field validation). The JSON schemas shipped by
 * the model packages allow extra properties, so every object is compiled as an object literal of
 * its model's TypeScript interface: excess-property checks flag any unknown field at any depth.
 */
export function unknownFieldProblems(objects: readonly Obj[]): string[] {
  // Custom resources checked by their closed CRD schema in schemaProblems need no second check.
  const known = objects.filter((o) => validatorFor(o));
  const lines = known.map((object, i) => {
    const v = validatorFor(object)!;
    const literal = v.propsOnly ? { ...object, apiVersion: undefined, kind: undefined } : asModel(object, v);
    return `export const m${i}: import(${JSON.stringify(v.module)}).${v.type} = ${JSON.stringify(literal)};`;
  });
  const fileName = `${ROOT}/test/__strict_check__.ts`;
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (f) => (f === fileName ? source : readFile(f));
  host.fileExists = (f) => f === fileName || fileExists(f);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang) => (f === fileName ? ts.createSourceFile(f, source, lang) : getSourceFile(f, lang));
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const object = line >= 0 ? known[line] : undefined;
    const where = object ? `${object.kind}/${object.metadata.name}` : 'objects';
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n').split('\n')[0]}`;
  });
}
