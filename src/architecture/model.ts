/**
 * What the architecture document reads from the synthesized objects: the workloads and their
 * roles, and the Services and routes in front of them. Facts come only from the objects; names in
 * descriptions are Markdown code spans. Secret values are never read, except the Immich config
 * file's database dump settings (./dumps.ts).
 */
import { CLOUDNATIVE_PG } from '../constants';
import { SYNC_WAVE_ANNOTATION } from '../lib/argocd';
import {
  type Container,
  type ContainerPort,
  type KubeObject,
  type Labels,
  type PodSpec,
  type PodTemplate,
  type Service,
  ofKind,
  selectorMatches,
} from '../lib/kube-json';
import { COMPONENT_LABEL } from '../lib/labels';
import { MermaidIds, compareText } from '../lib/markdown';
import {
  type NetworkPath,
  type OutsidePeer,
  type PathEnd,
  type PodGroup,
  type Ports,
  networkPaths,
} from '../lib/network-paths';

/** Kinds that run pods, in the order the document lists a wave's workloads. */
const WORKLOAD_KINDS = [
  'StatefulSet',
  'Cluster',
  'Pooler',
  'Deployment',
  'CronJob',
  'ReplicationSource',
  'ReplicationDestination',
] as const;

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

/** Something that runs pods: a Deployment, StatefulSet, CronJob, CloudNativePG Cluster or Pooler, or VolSync mover. */
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
  readonly routes: readonly Route[];
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
  const routes = readRoutes(objects);
  const found = readWorkloads(objects, namespace);
  const routed = new Set(routes.flatMap((r) => r.backends.map((b) => b.service)));
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

/** A route from the public host to Services: a Traefik IngressRoute, a Gateway API HTTPRoute or an Ingress. */
export interface Route {
  readonly object: KubeObject;
  /** What its diagram node says below its kind and name: matches, and where traffic enters. */
  readonly details: readonly string[];
  /** Each Service it sends to, with what it matches, e.g. ``Host(`photos.example.com`)``. */
  readonly backends: readonly { readonly match: string; readonly service: string; readonly port: number | string }[];
}

/** The routes of every kind, in the order of the objects. */
function readRoutes(objects: readonly KubeObject[]): Route[] {
  return objects.flatMap((object): Route[] => {
    switch (object.kind) {
      case 'IngressRoute': {
        const { spec } = ofKind([object], 'IngressRoute')[0]!;
        return [
          {
            object,
            details: [
              ...spec.routes.map((r) => r.match),
              ...(spec.entryPoints?.length ? [`entry points ${spec.entryPoints.join(', ')}`] : []),
            ],
            backends: spec.routes.flatMap((r) =>
              (r.services ?? []).map((s) => ({ match: r.match, service: s.name, port: s.port ?? '' })),
            ),
          },
        ];
      }
      case 'HTTPRoute': {
        const { spec } = ofKind([object], 'HTTPRoute')[0]!;
        const hosts = (spec.hostnames ?? []).join(', ');
        const rules = (spec.rules ?? []).map((rule) => {
          const paths = (rule.matches ?? []).map((m) => `${m.path?.type ?? 'PathPrefix'} ${m.path?.value ?? '/'}`);
          return { rule, match: [hosts, ...paths].filter(Boolean).join(' ') };
        });
        const gateways = (spec.parentRefs ?? []).map(
          (p) =>
            `Gateway ${p.namespace ? `${p.namespace}/` : ''}${p.name}${p.sectionName ? ` listener ${p.sectionName}` : ''}`,
        );
        const timeouts = rules.flatMap(({ rule }) =>
          rule.timeouts?.request ? [`request timeout ${rule.timeouts.request}`] : [],
        );
        return [
          {
            object,
            details: [...rules.map((r) => r.match), ...gateways, ...new Set(timeouts)],
            backends: rules.flatMap(({ rule, match }) =>
              (rule.backendRefs ?? []).map((b) => ({ match, service: b.name, port: b.port ?? '' })),
            ),
          },
        ];
      }
      case 'Ingress': {
        const { spec } = ofKind([object], 'Ingress')[0]!;
        const paths = (spec.rules ?? []).flatMap((rule) =>
          (rule.http?.paths ?? []).map((p) => ({
            match: `${rule.host ?? '*'} ${p.pathType} ${p.path ?? '/'}`,
            service: p.backend.service,
          })),
        );
        return [
          {
            object,
            details: [
              ...new Set(paths.map((p) => p.match)),
              ...(spec.ingressClassName ? [`class ${spec.ingressClassName}`] : []),
            ],
            backends: paths.flatMap(({ match, service }) =>
              service ? [{ match, service: service.name, port: service.port?.number ?? service.port?.name ?? '' }] : [],
            ),
          },
        ];
      }
      default:
        return [];
    }
  });
}

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
  // A CronJob's pods run one at a time (concurrencyPolicy Forbid).
  const scheduled = ofKind(objects, 'CronJob').map((o): FoundWorkload => {
    const template = o.spec.jobTemplate.spec.template;
    return {
      ...base(o, 'CronJob'),
      replicas: 1,
      labels: template.metadata?.labels ?? {},
      template,
      ports: containersOf(template.spec).flatMap(({ container }) => container.ports ?? []),
    };
  });
  const { ports } = CLOUDNATIVE_PG;
  const clusters = ofKind(objects, 'Cluster').map((o): FoundWorkload => ({
    ...base(o, 'Cluster'),
    replicas: o.spec.instances ?? 1,
    labels: { [CLOUDNATIVE_PG.clusterLabel]: o.metadata.name, [CLOUDNATIVE_PG.podRoleLabel]: 'instance' },
    ports: [
      { containerPort: ports.postgres, name: 'postgresql' },
      { containerPort: ports.status, name: 'status' },
      { containerPort: ports.metrics, name: 'metrics' },
    ],
  }));
  const poolers = ofKind(objects, 'Pooler').map((o): FoundWorkload => ({
    ...base(o, 'Pooler'),
    replicas: o.spec.instances ?? 1,
    labels: poolerPodLabels(o.metadata.name, o.spec.cluster.name),
    ports: [
      { containerPort: CLOUDNATIVE_PG.poolerPorts.pgbouncer, name: 'pgbouncer' },
      { containerPort: CLOUDNATIVE_PG.poolerPorts.metrics, name: 'metrics' },
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
  return [...withPods, ...scheduled, ...clusters, ...poolers, ...movers];
}

/** Labels the CloudNativePG operator puts on a Pooler's PgBouncer pods: the cluster's among them. */
export function poolerPodLabels(pooler: string, cluster: string): Labels {
  return {
    [CLOUDNATIVE_PG.poolerLabel]: pooler,
    [CLOUDNATIVE_PG.clusterLabel]: cluster,
    [CLOUDNATIVE_PG.podRoleLabel]: 'pooler',
  };
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
export function selects(service: Service, w: FoundWorkload): boolean {
  const selector = service.spec.selector;
  if (!selector || Object.keys(selector).length === 0) return false;
  return (
    (service.metadata.namespace ?? w.namespace) === w.namespace && selectorMatches({ matchLabels: selector }, w.labels)
  );
}

/** A Service a route sends traffic to. */
interface RouteTarget {
  /** What the route matches, e.g. ``Host(`photos.example.com`)``. */
  readonly match: string;
  readonly serviceName: string;
  /** The Service, when the manifests hold it. */
  readonly service?: Service;
  readonly port: string;
  /** The container port the Service's target port names, when a pod behind it has it. */
  readonly containerPort?: ContainerPort;
  readonly workloads: readonly Workload[];
}

/** Each Service a route sends traffic to, and the pods behind it. */
export function routeTargets(model: Model, route: Route): RouteTarget[] {
  return route.backends.map((b) => {
    const service = model.services.find((x) => x.metadata.name === b.service);
    const servicePort = service?.spec.ports?.find((p) => p.port === b.port || p.name === b.port);
    const workloads = service ? model.workloads.filter((w) => selects(service, w)) : [];
    const target = servicePort?.targetPort ?? servicePort?.port;
    const container = workloads.flatMap((w) => w.ports).find((p) => p.name === target || p.containerPort === target);
    return {
      match: b.match,
      serviceName: b.service,
      service,
      port: String(b.port),
      ...(container ? { containerPort: container } : {}),
      workloads,
    };
  });
}

/** The outside pods that may reach the pods behind a route on the routed port: its ingress controller or gateway. */
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
  if (w.kind === 'Pooler') {
    return [{ name: w.name, ports: [{ port: CLOUDNATIVE_PG.poolerPorts.pgbouncer, targetPort: 'pgbouncer' }] }];
  }
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
export interface FileSource {
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
