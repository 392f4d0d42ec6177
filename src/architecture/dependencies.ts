/**
 * What each workload depends on, read from its environment, mounts and custom resource: Services,
 * Secrets, ConfigMaps, claims and object stores.
 */
import { CLOUDNATIVE_PG } from '../constants';
import { type CnpgCluster, type CnpgPooler, type PodSpec, type Replication, ofKind } from '../lib/kube-json';
import { code } from '../lib/markdown';
import { readClaims } from './claims';
import { type Model, type Workload, containersOf, selects } from './model';

/** Something a workload needs. */
interface Dependency {
  /** The line in the workload's section. */
  readonly text: string;
  /** For the startup sequence: why it connects. */
  readonly reason: string;
  /** The workload it needs running, when it needs one. */
  readonly target?: Workload;
}

/** What a workload needs: Services and hosts its environment names, Secrets, ConfigMaps, claims. */
export function dependenciesOf(model: Model, w: Workload): Dependency[] {
  const deps: Dependency[] = [];
  const seen = new Set<string>();
  const add = (dep: Dependency) => {
    if (seen.has(dep.text)) return;
    seen.add(dep.text);
    deps.push(dep);
  };
  const spec = w.template?.spec;
  for (const { container } of containersOf(spec)) {
    for (const e of container.env ?? []) {
      if (e.value === undefined) continue;
      const host = hostOf(e.value);
      if (!host) continue;
      const found = resolveHost(model, host);
      if (found) {
        for (const target of found.workloads.filter((t) => t.key !== w.key)) {
          add({
            text: `Service ${code(found.service)} (${code(e.name)}), which runs on ${target.kind} ${code(target.name)}`,
            reason: `connects to ${found.service} (${e.name})`,
            target,
          });
        }
      } else if (e.value.includes('://')) {
        add({ text: `${code(host)} outside the namespace (${code(e.name)})`, reason: '' });
      }
    }
  }
  for (const ref of secretRefs(w)) {
    const origin = secretOrigin(model, ref.name);
    const keys = ref.keys.length > 0 ? ` (${ref.keys.map(code).join(', ')})` : '';
    add({
      text: `Secret ${code(ref.name)}${keys}: ${origin.text}`,
      reason: `connects with Secret ${ref.name}${ref.keys.length > 0 ? ` (${ref.keys.join(', ')})` : ''}`,
      ...(origin.cluster && origin.cluster.key !== w.key ? { target: origin.cluster } : {}),
    });
  }
  for (const name of configMapRefs(spec)) {
    const here = ofKind(model.objects, 'ConfigMap').some((c) => c.metadata.name === name);
    add({
      text: `ConfigMap ${code(name)}: ${here ? 'in these manifests' : 'created outside these manifests'}`,
      reason: '',
    });
  }
  for (const claim of readClaims(model).filter((c) => c.users.some((u) => u.workload === w))) {
    add({ text: `PVC ${code(claim.name)}`, reason: '' });
  }
  if (w.kind === 'Cluster') {
    for (const dep of clusterDependencies(model, w)) add(dep);
  }
  if (w.kind === 'Pooler') {
    const { spec } = w.object as CnpgPooler;
    const service = `${spec.cluster.name}-${spec.type ?? 'rw'}`;
    const cluster = resolveHost(model, service);
    for (const target of cluster?.workloads ?? []) {
      add({
        text: `Service ${code(service)} (the Pooler's cluster), which runs on ${target.kind} ${code(target.name)}`,
        reason: `connects to ${service}`,
        target,
      });
    }
  }
  return deps;
}

/** The database behind a workload: a Pooler's Cluster, or the workload itself. */
export function databaseBehind(model: Model, w: Workload): Workload {
  if (w.kind !== 'Pooler') return w;
  const cluster = (w.object as CnpgPooler).spec.cluster.name;
  return model.workloads.find((c) => c.kind === 'Cluster' && c.name === cluster) ?? w;
}

/** What a CloudNativePG Cluster needs: its object stores and the databases it imports. */
function clusterDependencies(model: Model, w: Workload): Dependency[] {
  const { spec } = w.object as CnpgCluster;
  const deps: Dependency[] = [];
  for (const name of objectStoresOf(w)) {
    deps.push({ text: `ObjectStore ${code(name)}${objectStoreText(model, name)}`, reason: '' });
  }
  for (const external of spec.externalClusters ?? []) {
    const host = external.connectionParameters?.host;
    const found = host ? resolveHost(model, host) : undefined;
    for (const target of found?.workloads ?? []) {
      deps.push({
        text: `Service ${code(found!.service)} (external cluster ${code(external.name)}), which runs on ${target.kind} ${code(target.name)}`,
        reason: `imports database ${external.connectionParameters?.dbname ?? ''} from ${found!.service}`,
        target,
      });
    }
  }
  return deps;
}

/** An external cluster of a Cluster, by what it reads: `ObjectStore x (server y)` or `host:port`. */
export function externalCluster(cluster: CnpgCluster, name: string, format: (text: string) => string): string {
  const external = cluster.spec.externalClusters?.find((e) => e.name === name);
  const store = external?.plugin?.parameters?.barmanObjectName;
  if (store) {
    const server = external.plugin?.parameters?.serverName;
    return `the backups in ObjectStore ${format(store)}${server ? ` (server ${format(server)})` : ''}`;
  }
  const params = external?.connectionParameters;
  if (params?.host) return `${format(`${params.host}:${params.port ?? CLOUDNATIVE_PG.ports.postgres}`)}`;
  return `external cluster ${format(name)}`;
}

/** ObjectStores a Cluster archives to or recovers from, through the Barman Cloud plugin. */
function objectStoresOf(w: Workload): string[] {
  const { spec } = w.object as CnpgCluster;
  const names = [
    ...(spec.plugins ?? []).map((p) => p.parameters?.barmanObjectName),
    ...(spec.externalClusters ?? []).map((e) => e.plugin?.parameters?.barmanObjectName),
  ];
  return [...new Set(names.filter((n): n is string => n !== undefined))];
}

/** Where an ObjectStore keeps backups, for how long, with which credentials (by Secret name). */
function objectStoreText(model: Model, name: string): string {
  const store = ofKind(model.objects, 'ObjectStore').find((o) => o.metadata.name === name);
  if (!store) return ', created outside these manifests';
  const { configuration, retentionPolicy } = store.spec;
  const credentials = [...new Set(Object.values(configuration.s3Credentials ?? {}).map((k) => k.name))];
  return (
    `: ${code(configuration.destinationPath)}${configuration.endpointURL ? ` at ${code(configuration.endpointURL)}` : ''}` +
    `${retentionPolicy ? `, kept ${retentionPolicy}` : ''}` +
    `${credentials.length ? `, credentials from secret ${credentials.map(code).join(', ')}` : ''}`
  );
}

/** The host a value names: a URL's host, or the value itself when it is a DNS name. */
function hostOf(value: string): string | undefined {
  if (value.includes('://')) {
    try {
      return new URL(value).hostname || undefined;
    } catch {
      return undefined;
    }
  }
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(value) ? value : undefined;
}

/** The Service a host names in the namespace (short or qualified), and the workloads behind it. */
function resolveHost(model: Model, host: string): { service: string; workloads: Workload[] } | undefined {
  const suffixes = ['', `.${model.namespace}`, `.${model.namespace}.svc`, `.${model.namespace}.svc.cluster.local`];
  const name = suffixes
    .map((s) => (s && host.endsWith(s) ? host.slice(0, -s.length) : host))
    .find((n) => !n.includes('.'));
  if (!name) return undefined;
  const service = model.services.find((s) => s.metadata.name === name);
  if (service) return { service: name, workloads: model.workloads.filter((w) => selects(service, w)) };
  // Services the CloudNativePG operator makes: a Cluster's, and a Pooler's, named after it.
  const operated = model.workloads.find(
    (w) =>
      (w.kind === 'Cluster' && CLOUDNATIVE_PG.services.some((s) => `${w.name}-${s}` === name)) ||
      (w.kind === 'Pooler' && w.name === name),
  );
  return operated ? { service: name, workloads: [operated] } : undefined;
}

/** A Secret a workload reads, and the keys it names. */
interface SecretRef {
  readonly name: string;
  readonly keys: readonly string[];
}

/** Secrets a workload reads, with the keys it names, in the order it names them. */
function secretRefs(w: Workload): SecretRef[] {
  const refs = new Map<string, Set<string>>();
  const add = (name: string, keys: readonly string[] = []) => {
    const known = refs.get(name) ?? new Set<string>();
    for (const key of keys) known.add(key);
    refs.set(name, known);
  };
  const spec = w.template?.spec;
  for (const { container } of containersOf(spec)) {
    for (const e of container.env ?? []) {
      if (e.valueFrom?.secretKeyRef) add(e.valueFrom.secretKeyRef.name, [e.valueFrom.secretKeyRef.key]);
    }
    for (const from of container.envFrom ?? []) if (from.secretRef) add(from.secretRef.name);
  }
  for (const volume of spec?.volumes ?? []) {
    const sources = [
      ...(volume.secret ? [{ name: volume.secret.secretName, items: volume.secret.items }] : []),
      ...(volume.projected?.sources ?? []).flatMap((s) => (s.secret ? [s.secret] : [])),
    ];
    for (const { name, items } of sources)
      add(
        name,
        items?.map((i) => i.key),
      );
  }
  if (w.kind === 'Cluster') {
    const { spec: cluster } = w.object as CnpgCluster;
    for (const external of cluster.externalClusters ?? []) {
      if (external.password) add(external.password.name, [external.password.key]);
    }
  }
  if (w.kind === 'ReplicationSource' || w.kind === 'ReplicationDestination') {
    const repository = (w.object as Replication).spec.restic?.repository;
    if (repository) add(repository);
  }
  return [...refs].map(([name, keys]) => ({ name, keys: [...keys] }));
}

/** ConfigMaps a pod reads, through its environment and volumes. */
function configMapRefs(spec: PodSpec | undefined): string[] {
  const names = new Set<string>();
  for (const { container } of containersOf(spec)) {
    for (const e of container.env ?? []) if (e.valueFrom?.configMapKeyRef) names.add(e.valueFrom.configMapKeyRef.name);
    for (const from of container.envFrom ?? []) if (from.configMapRef) names.add(from.configMapRef.name);
  }
  for (const volume of spec?.volumes ?? []) {
    if (volume.configMap) names.add(volume.configMap.name);
    for (const source of volume.projected?.sources ?? []) if (source.configMap) names.add(source.configMap.name);
  }
  return [...names];
}

/** Which object provides a Secret; never its content. */
function secretOrigin(model: Model, name: string): { text: string; cluster?: Workload } {
  if (ofKind(model.objects, 'Secret').some((s) => s.metadata.name === name)) {
    return { text: 'a Secret in these manifests' };
  }
  const sealed = ofKind(model.objects, 'SealedSecret').find(
    (s) => (s.spec.template?.metadata?.name ?? s.metadata.name) === name,
  );
  if (sealed) {
    return { text: `decrypted from SealedSecret ${code(sealed.metadata.name)} by the Sealed Secrets controller` };
  }
  const external = ofKind(model.objects, 'ExternalSecret').find(
    (s) => (s.spec.target?.name ?? s.metadata.name) === name,
  );
  if (external) return { text: `written by ExternalSecret ${code(external.metadata.name)} from the secret store` };
  const cluster = model.workloads.find(
    (w) => w.kind === 'Cluster' && CLOUDNATIVE_PG.secrets.some((s) => `${w.name}-${s}` === name),
  );
  if (cluster) return { text: `generated by the CloudNativePG operator for Cluster ${code(cluster.name)}`, cluster };
  return { text: 'created outside these manifests' };
}
