/**
 * What the architecture document reads from the synthesized objects: the workloads and their
 * roles, the Services in front of them, what each one depends on, every volume claim and what
 * backs it up. Facts come only from the objects; names in the descriptions are Markdown code
 * spans. Secret values are never read, except the Immich config file's database dump settings.
 */
import { CLOUDNATIVE_PG, DATABASE_DUMPS, IMMICH_ENV } from '../constants';
import { SYNC_WAVE_ANNOTATION } from './argocd';
import { COMPONENT_LABEL } from './labels';
import {
  type ClaimSpec,
  type CnpgCluster,
  type Container,
  type ContainerPort,
  type IngressRoute,
  type KubeObject,
  type Labels,
  type PodSpec,
  type PodTemplate,
  type Replication,
  type Service,
  type StatefulSet,
  ofKind,
  selectorMatches,
} from './kube-json';
import { MermaidIds, code, compareText } from './markdown';
import {
  type NetworkPath,
  type OutsidePeer,
  type PathEnd,
  type PodGroup,
  type Ports,
  networkPaths,
} from './network-paths';

/** Kinds that run pods, in the order the document lists a wave's workloads. */
const WORKLOAD_KINDS = ['StatefulSet', 'Cluster', 'Deployment', 'ReplicationSource', 'ReplicationDestination'] as const;

type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** `app.kubernetes.io/component` values of workloads that hold the data the others query. */
const DATASTORE_COMPONENTS = ['database', 'queue', 'cache'];

/** Label of the namespace's name, which the API server sets on every namespace. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Exposed behind the ingress, only reached inside, or holding data the others query. */
type Role = 'exposed' | 'internal' | 'datastore';

/** What a workload is to the others, in the order the topology groups them. */
export const ROLES: readonly { role: Role; title: string }[] = [
  { role: 'exposed', title: 'Exposed services' },
  { role: 'internal', title: 'Internal services' },
  { role: 'datastore', title: 'Datastores' },
];

/** Something that runs pods: a Deployment, StatefulSet, CloudNativePG Cluster or VolSync mover. */
export interface Workload {
  /** `<Kind>/<name>`. */
  readonly key: string;
  readonly kind: WorkloadKind;
  readonly name: string;
  readonly namespace: string;
  readonly object: KubeObject;
  readonly wave: number;
  readonly replicas: number;
  /** Labels of its pods, as selectors see them. */
  readonly labels: Labels;
  /** The pod template, for the kinds that carry one. */
  readonly template?: PodTemplate;
  readonly ports: readonly ContainerPort[];
  readonly role: Role;
}

/** Everything the document shows, read once from the objects. */
export interface Model {
  readonly namespace: string;
  readonly objects: readonly KubeObject[];
  readonly workloads: readonly Workload[];
  readonly services: readonly Service[];
  readonly routes: readonly IngressRoute[];
  /** How many NetworkPolicies there are: with none, nothing is restricted. */
  readonly policies: number;
  /** Every allowed connection, sources in workload order. */
  readonly paths: readonly NetworkPath[];
  /** Node ids, shared by both diagrams. */
  readonly ids: MermaidIds;
}

/** Reads the workloads, Services, routes and allowed paths of the objects, each in a stable order. */
export function readModel(objects: readonly KubeObject[]): Model {
  const namespaceObject = ofKind(objects, 'Namespace')[0];
  const namespace =
    namespaceObject?.metadata.name ?? objects.find((o) => o.metadata.namespace)?.metadata.namespace ?? 'default';
  const namespaceLabels = { [NAMESPACE_NAME_LABEL]: namespace, ...namespaceObject?.metadata.labels };
  const services = ofKind(objects, 'Service');
  const routes = ofKind(objects, 'IngressRoute');
  const found = readWorkloads(objects, namespace);
  const routed = new Set(routes.flatMap((r) => r.spec.routes.flatMap((x) => (x.services ?? []).map((s) => s.name))));
  const exposed = new Set(
    services
      .filter((s) => routed.has(s.metadata.name))
      .flatMap((s) => found.filter((w) => selects(s, w)).map((w) => w.key)),
  );
  const workloads = found
    .map((w): Workload => ({ ...w, role: exposed.has(w.key) ? 'exposed' : isDatastore(w) ? 'datastore' : 'internal' }))
    .sort(
      (a, b) =>
        a.wave - b.wave ||
        WORKLOAD_KINDS.indexOf(a.kind) - WORKLOAD_KINDS.indexOf(b.kind) ||
        compareText(a.name, b.name),
    );
  const policies = ofKind(objects, 'NetworkPolicy');
  const groups: PodGroup[] = workloads.map((w) => ({
    key: w.key,
    namespace: w.namespace,
    labels: w.labels,
    ports: w.ports,
  }));
  const labelsOf = (ns: string): Labels => (ns === namespace ? namespaceLabels : { [NAMESPACE_NAME_LABEL]: ns });
  const order = (end: PathEnd) =>
    end.kind === 'group' ? `0 ${groups.indexOf(end.group) + 1000}` : `1 ${end.peer.key}`;
  // Without policies nothing is isolated: there are no paths to list, only the absence of limits.
  const allowed = policies.length === 0 ? [] : networkPaths(policies, groups, labelsOf);
  const paths = allowed.sort(
    (a, b) => compareText(order(a.from), order(b.from)) || compareText(order(a.to), order(b.to)),
  );
  return { namespace, objects, workloads, services, routes, policies: policies.length, paths, ids: new MermaidIds() };
}

type FoundWorkload = Omit<Workload, 'role'>;

/** Every workload of the objects; the pod labels of operator-run pods are the operators'. */
function readWorkloads(objects: readonly KubeObject[], namespace: string): FoundWorkload[] {
  const base = (object: KubeObject, kind: WorkloadKind) => ({
    key: `${kind}/${object.metadata.name}`,
    kind,
    name: object.metadata.name,
    namespace: object.metadata.namespace ?? namespace,
    object,
    wave: waveOf(object),
  });
  const withPods = [...ofKind(objects, 'Deployment'), ...ofKind(objects, 'StatefulSet')].map((o): FoundWorkload => ({
    ...base(o, o.kind as WorkloadKind),
    replicas: o.spec.replicas ?? 1,
    labels: o.spec.template.metadata?.labels ?? {},
    template: o.spec.template,
    ports: containersOf(o.spec.template.spec).flatMap(({ container }) => container.ports ?? []),
  }));
  const { ports } = CLOUDNATIVE_PG;
  const clusters = ofKind(objects, 'Cluster').map((o): FoundWorkload => ({
    ...base(o, 'Cluster'),
    replicas: o.spec.instances ?? 1,
    labels: { [CLOUDNATIVE_PG.clusterLabel]: o.metadata.name },
    ports: [
      { containerPort: ports.postgres, name: 'postgresql' },
      { containerPort: ports.status, name: 'status' },
      { containerPort: ports.metrics, name: 'metrics' },
    ],
  }));
  const movers = (['ReplicationSource', 'ReplicationDestination'] as const).flatMap((kind) =>
    ofKind(objects, kind).map((o): FoundWorkload => ({
      ...base(o, kind),
      replicas: 1,
      labels: o.spec.restic?.moverPodLabels ?? {},
      ports: [],
    })),
  );
  return [...withPods, ...clusters, ...movers];
}

/** The Argo CD sync wave of an object; 0 without the annotation, as Argo CD has it. */
export function waveOf(object: KubeObject): number {
  return Number(object.metadata.annotations?.[SYNC_WAVE_ANNOTATION] ?? 0);
}

/** A database or a queue: what the other workloads keep their state in. */
function isDatastore(w: FoundWorkload): boolean {
  if (w.kind === 'Cluster' || w.kind === 'StatefulSet') return true;
  return DATASTORE_COMPONENTS.includes(w.labels[COMPONENT_LABEL] ?? '');
}

/** Whether a Service's selector picks the workload's pods. */
function selects(service: Service, w: FoundWorkload): boolean {
  const selector = service.spec.selector;
  if (!selector || Object.keys(selector).length === 0) return false;
  return (
    (service.metadata.namespace ?? w.namespace) === w.namespace && selectorMatches({ matchLabels: selector }, w.labels)
  );
}

/** A Service an IngressRoute routes to. */
interface RouteTarget {
  /** The route's rule, e.g. ``Host(`photos.example.com`)``. */
  readonly match: string;
  readonly serviceName: string;
  /** The Service, when the manifests hold it. */
  readonly service?: Service;
  readonly port: string;
  /** The container port the Service's target port names, when a pod behind it has it. */
  readonly containerPort?: ContainerPort;
  readonly workloads: readonly Workload[];
}

/** Each Service an IngressRoute sends traffic to, and the pods behind it. */
export function routeTargets(model: Model, route: IngressRoute): RouteTarget[] {
  return route.spec.routes.flatMap((r) =>
    (r.services ?? []).map((s) => {
      const service = model.services.find((x) => x.metadata.name === s.name);
      const servicePort = service?.spec.ports?.find((p) => p.port === s.port || p.name === s.port);
      const workloads = service ? model.workloads.filter((w) => selects(service, w)) : [];
      const target = servicePort?.targetPort ?? servicePort?.port;
      const container = workloads.flatMap((w) => w.ports).find((p) => p.name === target || p.containerPort === target);
      return {
        match: r.match,
        serviceName: s.name,
        service,
        port: String(s.port ?? ''),
        ...(container ? { containerPort: container } : {}),
        workloads,
      };
    }),
  );
}

/** The outside pods that may reach the pods behind an IngressRoute on the routed port: its ingress controller. */
export function ingressControllers(model: Model, target: RouteTarget): OutsidePeer[] {
  const port = target.containerPort;
  const peers = new Map<string, OutsidePeer>();
  for (const path of model.paths) {
    if (path.from.kind !== 'outside' || path.from.peer.kind !== 'pods' || path.to.kind !== 'group') continue;
    const to = path.to.group.key;
    if (!port || !target.workloads.some((w) => w.key === to)) continue;
    if (portsInclude(path.ports, port.containerPort, port.protocol ?? 'TCP')) {
      peers.set(path.from.peer.key, path.from.peer);
    }
  }
  return [...peers.values()];
}

/** Whether a port set holds a port. */
function portsInclude(ports: Ports, port: number, protocol: string): boolean {
  return ports === 'all' || ports.some((p) => p.protocol === protocol && 'from' in p && p.from <= port && port <= p.to);
}

/** A Service by name and ports, whoever creates it. */
interface ServiceRef {
  readonly name: string;
  readonly ports: readonly { readonly port: number; readonly targetPort: number | string }[];
}

/** The Services in front of a workload's pods: synthesized, or created by the CloudNativePG operator. */
export function servicesOf(model: Model, w: Workload): ServiceRef[] {
  if (w.kind === 'Cluster') {
    const port = CLOUDNATIVE_PG.ports.postgres;
    return CLOUDNATIVE_PG.services.map((s) => ({ name: `${w.name}-${s}`, ports: [{ port, targetPort: port }] }));
  }
  return model.services
    .filter((s) => selects(s, w))
    .map((s) => ({
      name: s.metadata.name,
      ports: (s.spec.ports ?? []).map((p) => ({ port: p.port, targetPort: p.targetPort ?? p.port })),
    }));
}

/** The Secret or ConfigMap key a mounted file comes from. */
interface FileSource {
  readonly kind: 'secret' | 'configmap';
  readonly name: string;
  readonly key: string;
}

/** The Secret or ConfigMap key behind a file path in a container, through its mounts. */
export function fileSource(spec: PodSpec, container: Container, path: string): FileSource | undefined {
  const mount = (container.volumeMounts ?? [])
    .filter((m) => path.startsWith(`${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  const volume = spec.volumes?.find((v) => v.name === mount?.name);
  if (!mount || !volume) return undefined;
  const file = path.slice(mount.mountPath.length + 1);
  const keyOf = (items: readonly { key: string; path: string }[] | undefined) =>
    items ? items.find((i) => i.path === file)?.key : file;
  const candidates: (FileSource | undefined)[] = [
    volume.secret && { kind: 'secret', name: volume.secret.secretName, key: keyOf(volume.secret.items) ?? '' },
    volume.configMap && { kind: 'configmap', name: volume.configMap.name, key: keyOf(volume.configMap.items) ?? '' },
    ...(volume.projected?.sources ?? []).map((s): FileSource | undefined => {
      const key = s.secret ? keyOf(s.secret.items) : s.configMap ? keyOf(s.configMap.items) : undefined;
      if (key === undefined) return undefined;
      return s.secret
        ? { kind: 'secret', name: s.secret.name, key }
        : { kind: 'configmap', name: s.configMap!.name, key };
    }),
  ];
  return candidates.find((c) => c !== undefined && c.key !== '');
}

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
  return deps;
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
  const cluster = model.workloads.find(
    (w) => w.kind === 'Cluster' && CLOUDNATIVE_PG.services.some((s) => `${w.name}-${s}` === name),
  );
  return cluster ? { service: name, workloads: [cluster] } : undefined;
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

/** A workload that mounts a claim. */
interface ClaimUser {
  readonly workload: Workload;
  /** How it uses the claim: `immich-server at /data (read-write)`. */
  readonly how: string;
}

/** A volume claim, whether an object of the manifests or one a controller creates. */
export interface Claim {
  readonly name: string;
  /** What creates it, unless it is a PersistentVolumeClaim of the manifests. */
  readonly origin?: string;
  /** Unset for a claim the pods mount but the manifests do not hold. */
  readonly spec?: ClaimSpec;
  readonly users: readonly ClaimUser[];
}

/** Every claim: PVC objects, StatefulSet claim templates and CloudNativePG instance volumes. */
export function readClaims(model: Model): Claim[] {
  const claims: Claim[] = [];
  const usersOf = (name: string): ClaimUser[] =>
    model.workloads.flatMap((w) => {
      const spec = w.template?.spec;
      const volumes = (spec?.volumes ?? []).filter((v) => v.persistentVolumeClaim?.claimName === name);
      const mounts = containersOf(spec).flatMap(({ container }) =>
        (container.volumeMounts ?? [])
          .filter((m) => volumes.some((v) => v.name === m.name))
          .map((m) => {
            const readOnly = m.readOnly || volumes.find((v) => v.name === m.name)?.persistentVolumeClaim?.readOnly;
            return {
              workload: w,
              how: `${code(w.name)} (${container.name}) at ${code(m.mountPath)}, ${readOnly ? 'read-only' : 'read-write'}`,
            };
          }),
      );
      const mover = w.object as Replication;
      const moved =
        w.kind === 'ReplicationSource' && mover.spec.sourcePVC === name
          ? [
              {
                workload: w,
                how: `VolSync ${code(w.name)} reads it (${mover.spec.restic?.copyMethod ?? 'Direct'} copy)`,
              },
            ]
          : w.kind === 'ReplicationDestination' && mover.spec.restic?.destinationPVC === name
            ? [
                {
                  workload: w,
                  how: `VolSync ${code(w.name)} restores into it (${mover.spec.restic.copyMethod ?? 'Direct'})`,
                },
              ]
            : [];
      return [...mounts, ...moved];
    });
  for (const pvc of ofKind(model.objects, 'PersistentVolumeClaim')) {
    claims.push({
      name: pvc.metadata.name,
      spec: pvc.spec,
      users: usersOf(pvc.metadata.name),
    });
  }
  for (const w of model.workloads) {
    if (w.kind === 'StatefulSet') {
      const sts = w.object as StatefulSet;
      for (const template of sts.spec.volumeClaimTemplates ?? []) {
        const mounts = containersOf(w.template?.spec).flatMap(({ container }) =>
          (container.volumeMounts ?? [])
            .filter((m) => m.name === template.metadata.name)
            .map((m) => ({ container, m })),
        );
        claimNames(sts, template.metadata.name).forEach((name, ordinal) => {
          claims.push({
            name,
            origin: `from claim template ${code(template.metadata.name)} of StatefulSet ${code(w.name)}`,
            spec: template.spec,
            users: mounts.map(({ container, m }) => ({
              workload: w,
              how: `${code(`${w.name}-${ordinal}`)} (${container.name}) at ${code(m.mountPath)}, ${m.readOnly ? 'read-only' : 'read-write'}`,
            })),
          });
        });
      }
    }
    if (w.kind === 'Cluster') {
      const { spec } = w.object as CnpgCluster;
      const volumeSpec = (storage: NonNullable<CnpgCluster['spec']['storage']>): ClaimSpec => ({
        accessModes: storage.pvcTemplate?.accessModes ?? [CLOUDNATIVE_PG.defaultAccessMode],
        resources: { requests: storage.size ? { storage: storage.size } : {} },
        ...((storage.storageClass ?? storage.pvcTemplate?.storageClassName)
          ? { storageClassName: storage.storageClass ?? storage.pvcTemplate?.storageClassName }
          : {}),
      });
      for (let instance = 1; instance <= w.replicas; instance++) {
        const pod = `${w.name}-${instance}`;
        const origin = `created by the CloudNativePG operator for Cluster ${code(w.name)}`;
        if (spec.storage) {
          claims.push({
            name: pod,
            origin,
            spec: volumeSpec(spec.storage),
            users: [{ workload: w, how: `Cluster ${code(w.name)} instance ${instance}, data` }],
          });
        }
        if (spec.walStorage) {
          claims.push({
            name: `${pod}-wal`,
            origin,
            spec: volumeSpec(spec.walStorage),
            users: [{ workload: w, how: `Cluster ${code(w.name)} instance ${instance}, WAL` }],
          });
        }
      }
    }
  }
  // Claims the pods mount that someone else creates, such as a photo library of the user's.
  const known = new Set(claims.map((c) => c.name));
  const mounted = model.workloads.flatMap((w) =>
    (w.template?.spec?.volumes ?? []).flatMap((v) =>
      v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : [],
    ),
  );
  for (const name of new Set(mounted)) {
    if (!known.has(name)) claims.push({ name, origin: 'created outside these manifests', users: usersOf(name) });
  }
  return claims;
}

/** Claims of a StatefulSet's template: `<template>-<statefulset>-<ordinal>`, one per pod. */
export function claimNames(sts: StatefulSet, template: string): string[] {
  const pods = Math.max(1, sts.spec.replicas ?? 1);
  return Array.from({ length: pods }, (_, ordinal) => `${template}-${sts.metadata.name}-${ordinal}`);
}

/** Immich's own dump of a database into its media folder. */
export interface DatabaseDump {
  /** The database dumped. */
  readonly database: Workload;
  /** Whether the config file enables it; undefined when the file is not in the manifests. */
  readonly enabled?: boolean;
  readonly text: string;
}

/**
 * Immich's own database dumps: each Immich workload (it names its system config file) dumps the
 * database it connects to, per `backup.database` of that file, into `<media location>/backups`.
 */
export function databaseDumps(model: Model): DatabaseDump[] {
  const dumps = new Map<string, DatabaseDump>();
  for (const w of model.workloads) {
    const spec = w.template?.spec;
    for (const { container } of containersOf(spec).filter((c) => !c.init)) {
      const env = new Map((container.env ?? []).map((e) => [e.name, e.value]));
      const configPath = env.get(IMMICH_ENV.configFile);
      if (!configPath || !spec) continue;
      const source = fileSource(spec, container, configPath);
      const settings = source ? dumpSettings(model, source) : undefined;
      const media = env.get(IMMICH_ENV.mediaLocation);
      const folder = media ? `${media}/${DATABASE_DUMPS.folder}` : undefined;
      const claim = folder ? claimAt(spec, container, folder) : undefined;
      const where = `${folder ? code(folder) : 'the media folder'}${claim ? ` on PVC ${code(claim)}` : ''}`;
      const from = source ? `${source.kind} ${code(`${source.name}/${source.key}`)}` : 'the config file';
      const text =
        settings === undefined
          ? `Immich's database dump to ${where}, if ${code('backup.database.enabled')} in ${from} (created outside these manifests; Immich enables it by default)`
          : settings.enabled
            ? `Immich's database dump to ${where} at ${code(settings.cronExpression)}, keeps ${settings.keepLastAmount} (${from})`
            : `Immich's database dump is disabled in ${from}`;
      for (const dep of dependenciesOf(model, w)) {
        const target = dep.target;
        if (!target || !(target.kind === 'Cluster' || target.labels[COMPONENT_LABEL] === 'database')) continue;
        if (!dumps.has(target.key)) {
          dumps.set(target.key, { database: target, text, ...(settings ? { enabled: settings.enabled } : {}) });
        }
      }
    }
  }
  return [...dumps.values()];
}

/** The claim mounted where a path lies in a container. */
function claimAt(spec: PodSpec, container: Container, path: string): string | undefined {
  const mount = (container.volumeMounts ?? [])
    .filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  return spec.volumes?.find((v) => v.name === mount?.name)?.persistentVolumeClaim?.claimName;
}

/** `backup.database` of the Immich config file. */
interface DumpSettings {
  readonly enabled: boolean;
  readonly cronExpression: string;
  readonly keepLastAmount: number;
}

/**
 * `backup.database` of an Immich config file held in the manifests (a ConfigMap, an inline
 * Secret or the template of a SealedSecret or ExternalSecret), with Immich's defaults; undefined
 * when the file is not in the manifests. Only these three settings leave this function.
 */
function dumpSettings(model: Model, source: FileSource): DumpSettings | undefined {
  const text = configFileText(model, source);
  if (text === undefined) return undefined;
  let json: { backup?: { database?: Partial<DumpSettings> } };
  try {
    // Secret operators' templates insert values with {{ ... }}; none of them is read here.
    json = JSON.parse(text.replaceAll(/\{\{.*?\}\}/g, 'null')) as typeof json;
  } catch {
    // The parser's message quotes the text, which may hold a secret: name the file only.
    throw new Error(`the Immich config file ${source.kind} ${source.name}/${source.key} is not JSON`);
  }
  const { enabled, cronExpression, keepLastAmount } = { ...DATABASE_DUMPS.defaults, ...json.backup?.database };
  return { enabled, cronExpression, keepLastAmount };
}

/** The text of a config file held in the manifests, from whichever object carries it. */
function configFileText(model: Model, source: FileSource): string | undefined {
  const { name, key } = source;
  if (source.kind === 'configmap') {
    return ofKind(model.objects, 'ConfigMap').find((c) => c.metadata.name === name)?.data?.[key];
  }
  const secret = ofKind(model.objects, 'Secret').find((s) => s.metadata.name === name);
  if (secret) {
    const encoded = secret.data?.[key];
    return (
      secret.stringData?.[key] ?? (encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8'))
    );
  }
  const sealed = ofKind(model.objects, 'SealedSecret').find(
    (s) => (s.spec.template?.metadata?.name ?? s.metadata.name) === name,
  );
  if (sealed) return sealed.spec.template?.data?.[key];
  const external = ofKind(model.objects, 'ExternalSecret').find(
    (s) => (s.spec.target?.name ?? s.metadata.name) === name,
  );
  return external?.spec.target?.template?.data?.[key];
}

/** Containers of a pod spec, init containers first. */
export function containersOf(spec: PodSpec | undefined): { container: Container; init: boolean }[] {
  return [
    ...(spec?.initContainers ?? []).map((container) => ({ container, init: true })),
    ...(spec?.containers ?? []).map((container) => ({ container, init: false })),
  ];
}

/** `<Kind>/<name>`. */
export function refOf(object: KubeObject): string {
  return `${object.kind}/${object.metadata.name}`;
}
