/**
 * Cross-reference checks over a set of synthesized objects: Services and NetworkPolicies select pods and ports that
 * exist, routes send to Service ports and take certificates from Secrets that exist, and pods reference Secrets,
 * ConfigMaps, claims, volumes and service accounts that exist.
 */
import { CLOUDNATIVE_PG, RESTIC_SECRET_KEYS } from '../../src/constants';
import { selectorMatches } from '../../src/lib/kube-json';
import { podTemplateOf } from '../../src/lib/pss';
import { isRoute, routeBackends, routeTlsSecrets } from './routes';

/** Names of objects that exist in the cluster without being synthesized. */
export interface ExternalRefs {
  readonly secrets?: readonly string[];
  readonly configMaps?: readonly string[];
  readonly persistentVolumeClaims?: readonly string[];
  readonly serviceAccounts?: readonly string[];
}

type RefKind = 'Secret' | 'ConfigMap' | 'PersistentVolumeClaim' | 'ServiceAccount';

/** An object a pod may reference; `keys` is undefined when they are unknown and so not checked. */
interface Provided {
  readonly kind: RefKind;
  readonly name: string;
  readonly namespace?: string;
  readonly keys?: ReadonlySet<string>;
}

/** A pod template with its owner. */
interface Workload {
  /** `Kind/name` of the owner. */
  readonly ref: string;
  readonly namespace?: string;
  readonly labels: Record<string, string>;
  readonly spec: any;
  /** Names of the owner's volumeClaimTemplates (StatefulSet only). */
  readonly claimTemplates: readonly string[];
}

/**
 * Every broken cross-reference among `objects`, as `<Kind>/<name>: <problem>`; empty when all resolve.
 * Label selectors are matched on `matchLabels` (or a Service's plain selector) only.
 */
export function referenceProblems(objects: readonly any[], external: ExternalRefs = {}): string[] {
  const provided = providedBy(objects, external);
  const workloads = [...objects.flatMap(workloadOf), ...objects.flatMap(operatorPods)];
  const problems = [
    ...customResourceProblems(objects, provided),
    ...workloads.flatMap((workload) => podProblems(workload, provided)),
    ...objects.filter((o) => o.kind === 'Service').flatMap((service) => serviceProblems(service, workloads)),
    ...objects.filter((o) => o.kind === 'PodDisruptionBudget').flatMap((budget) => budgetProblems(budget, workloads)),
    ...objects
      .filter((o) => o.kind === 'PersistentVolumeClaim' && o.spec?.volumeName)
      .flatMap((c) => bindingProblems(c, objects)),
    ...objects.filter((o) => o.kind === 'NetworkPolicy').flatMap((policy) => policyProblems(policy, workloads)),
    ...objects.filter(isRoute).flatMap((route) => routeProblems(route, objects, provided)),
  ];
  return [...new Set(problems)];
}

function refOf(object: any): string {
  return `${object.kind}/${object.metadata?.name}`;
}

/** Objects in the same namespace; an object without one is taken to be in any. */
function sameNamespace(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined || a === b;
}

function keysOf(...maps: any[]): Set<string> {
  return new Set(maps.flatMap((map) => Object.keys(map ?? {})));
}

function providedBy(objects: readonly any[], external: ExternalRefs): Provided[] {
  const synthesized = objects.flatMap((object): Provided[] => {
    const { name, namespace } = object.metadata ?? {};
    const spec = object.spec ?? {};
    switch (object.kind) {
      case 'Secret': {
        const known = object.data !== undefined || object.stringData !== undefined;
        return [{ kind: 'Secret', name, namespace, keys: known ? keysOf(object.data, object.stringData) : undefined }];
      }
      case 'SealedSecret': {
        const known = spec.encryptedData !== undefined;
        return [
          {
            kind: 'Secret',
            name,
            namespace,
            keys: known ? keysOf(spec.encryptedData, spec.template?.data) : undefined,
          },
        ];
      }
      case 'ExternalSecret': {
        const template = spec.target?.template;
        const known = !spec.dataFrom?.length && !template?.templateFrom?.length;
        // With a template the Secret holds only the template's keys, unless its mergePolicy is Merge.
        const fetched =
          template && template.mergePolicy !== 'Merge' ? [] : (spec.data ?? []).map((d: any) => d.secretKey);
        const keys = new Set([...fetched, ...keysOf(template?.data)]);
        return [{ kind: 'Secret', name: spec.target?.name ?? name, namespace, keys: known ? keys : undefined }];
      }
      case 'ConfigMap': {
        const known = object.data !== undefined || object.binaryData !== undefined;
        return [
          { kind: 'ConfigMap', name, namespace, keys: known ? keysOf(object.data, object.binaryData) : undefined },
        ];
      }
      case 'PersistentVolumeClaim':
      case 'ServiceAccount':
        return [{ kind: object.kind, name, namespace }];
      // The operator creates the application Secret of every Cluster, and its CA and server certificate.
      case 'Cluster':
        return [
          { kind: 'Secret', name: `${name}-app`, namespace, keys: new Set(CLOUDNATIVE_PG.appSecretKeys) },
          { kind: 'Secret', name: `${name}-ca`, namespace },
          { kind: 'Secret', name: `${name}-server`, namespace },
        ];
      default:
        return [];
    }
  });
  const declared = (kind: RefKind, names: readonly string[] = []): Provided[] => names.map((name) => ({ kind, name }));
  return [
    ...synthesized,
    ...declared('Secret', external.secrets),
    ...declared('ConfigMap', external.configMaps),
    ...declared('PersistentVolumeClaim', external.persistentVolumeClaims),
    ...declared('ServiceAccount', external.serviceAccounts),
  ];
}

/**
 * The pods an operator runs for a custom resource, as a pod spec that references what they use:
 * CloudNativePG instances (labels, ports, Secrets of external clusters), PgBouncer pods of a
 * Pooler (labels, ports, the cluster's certificate Secrets) and VolSync movers (the claim, the
 * repository Secret and its keys, the ServiceAccount, the labels).
 */
function operatorPods(object: any): Workload[] {
  const ref = refOf(object);
  const namespace = object.metadata?.namespace;
  if (object.kind === 'Cluster') {
    const { postgres, status, metrics } = CLOUDNATIVE_PG.ports;
    const env = (object.spec.externalClusters ?? [])
      .filter((c: any) => c.password)
      .map((c: any) => ({ name: `external ${c.name}`, valueFrom: { secretKeyRef: c.password } }));
    const ports = [
      { name: 'postgresql', containerPort: postgres },
      { name: 'status', containerPort: status },
      { name: 'metrics', containerPort: metrics },
    ];
    const spec = { containers: [{ name: 'postgres', ports, env }] };
    const labels = { [CLOUDNATIVE_PG.clusterLabel]: object.metadata.name, [CLOUDNATIVE_PG.podRoleLabel]: 'instance' };
    return [{ ref, namespace, labels, spec, claimTemplates: [] }];
  }
  if (object.kind === 'Pooler') {
    const { pgbouncer, metrics } = CLOUDNATIVE_PG.poolerPorts;
    const cluster = object.spec.cluster.name;
    const labels = {
      [CLOUDNATIVE_PG.poolerLabel]: object.metadata.name,
      [CLOUDNATIVE_PG.clusterLabel]: cluster,
      [CLOUDNATIVE_PG.podRoleLabel]: 'pooler',
    };
    const spec = {
      containers: [
        {
          name: 'pgbouncer',
          ports: [
            { name: 'pgbouncer', containerPort: pgbouncer },
            { name: 'metrics', containerPort: metrics },
          ],
        },
      ],
      volumes: [
        { name: 'ca', secret: { secretName: `${cluster}-ca` } },
        { name: 'server-tls', secret: { secretName: `${cluster}-server` } },
      ],
    };
    return [{ ref, namespace, labels, spec, claimTemplates: [] }];
  }
  if (object.kind === 'ReplicationSource' || object.kind === 'ReplicationDestination') {
    const restic = object.spec.restic ?? {};
    const claim = object.spec.sourcePVC ?? restic.destinationPVC;
    const spec = {
      serviceAccountName: restic.moverServiceAccount,
      containers: [{ name: 'restic' }],
      volumes: [
        ...(claim ? [{ name: 'data', persistentVolumeClaim: { claimName: claim } }] : []),
        // The mover reads the repository and its password from the Secret; VolSync requires both keys.
        {
          name: 'repository',
          secret: {
            secretName: restic.repository,
            items: [RESTIC_SECRET_KEYS.repository, RESTIC_SECRET_KEYS.password].map((key) => ({ key, path: key })),
          },
        },
      ],
    };
    return [{ ref, namespace, labels: restic.moverPodLabels ?? {}, spec, claimTemplates: [] }];
  }
  return [];
}

/** References between custom resources: the object store a cluster archives to, the cluster a backup reads. */
function customResourceProblems(objects: readonly any[], provided: readonly Provided[]): string[] {
  const has = (kind: string, name: string) => objects.some((o) => o.kind === kind && o.metadata?.name === name);
  const secret = (name: string, key: string) =>
    provided.some((p) => p.kind === 'Secret' && p.name === name && (!p.keys || p.keys.has(key)));
  return objects.flatMap((object): string[] => {
    const ref = refOf(object);
    const spec = object.spec ?? {};
    switch (object.kind) {
      case 'Cluster':
        return [...(spec.plugins ?? []), ...(spec.externalClusters ?? []).map((c: any) => c.plugin).filter(Boolean)]
          .map((plugin: any) => plugin.parameters?.barmanObjectName)
          .filter((store: string | undefined) => store !== undefined && !has('ObjectStore', store))
          .map((store: string) => `${ref}: ObjectStore "${store}" is not synthesized`);
      case 'ScheduledBackup':
      case 'Pooler':
        return has('Cluster', spec.cluster?.name) ? [] : [`${ref}: Cluster "${spec.cluster?.name}" is not synthesized`];
      case 'ObjectStore':
        return Object.entries(spec.configuration?.s3Credentials ?? {})
          .filter(([, ref]: [string, any]) => !secret(ref.name, ref.key))
          .map(
            ([field, ref]: [string, any]) =>
              `${refOf(object)}: Secret "${ref.name}" with key "${ref.key}" (${field}) is neither synthesized nor declared external`,
          );
      default:
        return [];
    }
  });
}

function workloadOf(object: any): Workload[] {
  const template = podTemplateOf(object);
  if (!template?.spec) return [];
  const claimTemplates = object.kind === 'StatefulSet' ? (object.spec.volumeClaimTemplates ?? []) : [];
  return [
    {
      ref: refOf(object),
      namespace: object.metadata?.namespace,
      labels: template.metadata?.labels ?? {},
      spec: template.spec,
      claimTemplates: claimTemplates.map((claim: any) => claim.metadata?.name),
    },
  ];
}

function podProblems(workload: Workload, provided: readonly Provided[]): string[] {
  const problems: string[] = [];
  const { ref, spec } = workload;
  /** Requires the object, and the key when one is given and the object's keys are known. */
  const need = (kind: RefKind, name: string, via: string, key?: string): void => {
    const found = provided.filter(
      (p) => p.kind === kind && p.name === name && sameNamespace(p.namespace, workload.namespace),
    );
    if (found.length === 0) {
      problems.push(`${ref}: ${kind} "${name}" (${via}) is neither synthesized nor declared external`);
    } else if (key !== undefined && found.every((p) => p.keys && !p.keys.has(key))) {
      problems.push(`${ref}: ${kind} "${name}" has no key "${key}" (${via})`);
    }
  };
  const needItems = (kind: RefKind, name: string, via: string, items: any[] = []): void => {
    if (items.length === 0) need(kind, name, via);
    for (const item of items) need(kind, name, via, item.key);
  };

  for (const volume of spec.volumes ?? []) {
    const via = `volume ${volume.name}`;
    if (volume.secret) needItems('Secret', volume.secret.secretName, via, volume.secret.items);
    if (volume.configMap) needItems('ConfigMap', volume.configMap.name, via, volume.configMap.items);
    for (const source of volume.projected?.sources ?? []) {
      if (source.secret) needItems('Secret', source.secret.name, via, source.secret.items);
      if (source.configMap) needItems('ConfigMap', source.configMap.name, via, source.configMap.items);
    }
    if (volume.persistentVolumeClaim) need('PersistentVolumeClaim', volume.persistentVolumeClaim.claimName, via);
  }
  for (const pullSecret of spec.imagePullSecrets ?? []) need('Secret', pullSecret.name, 'imagePullSecrets');
  if (spec.serviceAccountName && spec.serviceAccountName !== 'default') {
    need('ServiceAccount', spec.serviceAccountName, 'serviceAccountName');
  }

  const volumeNames = new Set((spec.volumes ?? []).map((v: any) => v.name));
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])];
  for (const container of containers) {
    for (const env of container.env ?? []) {
      const { secretKeyRef, configMapKeyRef } = env.valueFrom ?? {};
      if (secretKeyRef) need('Secret', secretKeyRef.name, `env ${env.name}`, secretKeyRef.key);
      if (configMapKeyRef) need('ConfigMap', configMapKeyRef.name, `env ${env.name}`, configMapKeyRef.key);
    }
    for (const source of container.envFrom ?? []) {
      if (source.secretRef) need('Secret', source.secretRef.name, 'envFrom');
      if (source.configMapRef) need('ConfigMap', source.configMapRef.name, 'envFrom');
    }
    for (const mount of container.volumeMounts ?? []) {
      if (!volumeNames.has(mount.name) && !workload.claimTemplates.includes(mount.name)) {
        problems.push(
          `${ref}: container ${container.name} mounts "${mount.name}", which is neither a pod volume nor a volumeClaimTemplate`,
        );
      }
    }
  }
  return problems;
}

function matchesLabels(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function hasContainerPort(spec: any, port: number | string): boolean {
  return (spec.containers ?? []).some((container: any) =>
    (container.ports ?? []).some((p: any) => (typeof port === 'number' ? p.containerPort === port : p.name === port)),
  );
}

/** A claim naming its volume binds only if that volume exists and reserves it for this claim. */
function bindingProblems(claim: any, objects: readonly any[]): string[] {
  const volume = objects.find((o) => o.kind === 'PersistentVolume' && o.metadata.name === claim.spec.volumeName);
  if (!volume) return [`${refOf(claim)}: PersistentVolume "${claim.spec.volumeName}" is not synthesized`];
  const ref = volume.spec.claimRef ?? {};
  const problems: string[] = [];
  if (ref.name !== claim.metadata.name || ref.namespace !== claim.metadata.namespace) {
    problems.push(`${refOf(volume)}: claimRef ${JSON.stringify(ref)} does not name ${refOf(claim)}`);
  }
  if ((volume.spec.storageClassName ?? '') !== (claim.spec.storageClassName ?? '')) {
    problems.push(`${refOf(claim)}: storageClassName differs from its volume's, so they never bind`);
  }
  if (!(claim.spec.accessModes ?? []).every((m: string) => (volume.spec.accessModes ?? []).includes(m))) {
    problems.push(`${refOf(claim)}: asks for access modes its volume does not offer`);
  }
  return problems;
}

/** A PodDisruptionBudget must select the pods of exactly one workload. */
function budgetProblems(budget: any, workloads: readonly Workload[]): string[] {
  const selector: Record<string, string> = budget.spec?.selector?.matchLabels ?? {};
  const selected = workloads.filter(
    (w) => sameNamespace(w.namespace, budget.metadata?.namespace) && matchesLabels(selector, w.labels),
  );
  return selected.length === 1
    ? []
    : [`${refOf(budget)}: selector ${JSON.stringify(selector)} matches ${selected.length} pod templates, not one`];
}

/** A route with no backend, or one that is not a port of a synthesized Service, or a missing certificate Secret. */
function routeProblems(route: any, objects: readonly any[], provided: readonly Provided[]): string[] {
  const ref = refOf(route);
  const backends = routeBackends(route);
  const problems = backends.length === 0 ? [`${ref}: sends traffic to no Service`] : [];
  for (const { service, port } of backends) {
    const found = objects.find(
      (o) =>
        o.kind === 'Service' &&
        o.metadata.name === service &&
        sameNamespace(o.metadata.namespace, route.metadata.namespace),
    );
    if (!found) problems.push(`${ref}: Service ${service} does not exist`);
    else if (!(found.spec.ports ?? []).some((p: any) => p.port === port || (p.name && p.name === port)))
      problems.push(`${ref}: port ${JSON.stringify(port)} is not a port of Service ${service}`);
  }
  for (const secret of routeTlsSecrets(route)) {
    if (
      !provided.some(
        (p) => p.kind === 'Secret' && p.name === secret && sameNamespace(p.namespace, route.metadata.namespace),
      )
    )
      problems.push(`${ref}: TLS Secret ${secret} is neither synthesized nor declared external`);
  }
  return problems;
}

function serviceProblems(service: any, workloads: readonly Workload[]): string[] {
  const selector: Record<string, string> = service.spec?.selector ?? {};
  if (Object.keys(selector).length === 0) return [];
  const ref = refOf(service);
  const selected = workloads.filter(
    (w) => sameNamespace(w.namespace, service.metadata?.namespace) && matchesLabels(selector, w.labels),
  );
  if (selected.length === 0) return [`${ref}: selector ${JSON.stringify(selector)} matches no pod template`];
  return (service.spec.ports ?? []).flatMap((port: any) => {
    const target = port.targetPort ?? port.port;
    return selected
      .filter((w) => !hasContainerPort(w.spec, target))
      .map((w) => `${ref}: targetPort ${JSON.stringify(target)} is not a port of the selected pods (${w.ref})`);
  });
}

function policyProblems(policy: any, workloads: readonly Workload[]): string[] {
  const problems: string[] = [];
  const ref = refOf(policy);
  const inNamespace = workloads.filter((w) => sameNamespace(w.namespace, policy.metadata?.namespace));
  /** The pod templates a same-namespace podSelector selects. */
  const select = (selector: any, where: string): Workload[] => {
    const selected = inNamespace.filter((w) => selectorMatches(selector, w.labels));
    const shown = selector.matchExpressions?.length ? selector : (selector.matchLabels ?? {});
    if (selected.length === 0) problems.push(`${ref}: ${where} ${JSON.stringify(shown)} matches no pod template`);
    return selected;
  };
  /** Numeric ports of a rule must be container ports of at least one of `pods`. */
  const checkPorts = (rule: any, rulePath: string, pods: readonly Workload[], podsWhere: string): void => {
    (rule.ports ?? []).forEach((port: any, i: number) => {
      if (typeof port.port !== 'number' || port.endPort !== undefined) return;
      if (pods.length > 0 && !pods.some((w) => hasContainerPort(w.spec, port.port))) {
        problems.push(
          `${ref}: ${rulePath}.ports[${i}].port ${port.port} is not a container port of any pod selected by ${podsWhere}`,
        );
      }
    });
  };

  const podSelector = policy.spec?.podSelector ?? {};
  const targets =
    Object.keys(podSelector.matchLabels ?? {}).length > 0 || podSelector.matchExpressions?.length
      ? select(podSelector, 'spec.podSelector')
      : inNamespace;
  for (const [direction, peersField] of [
    ['ingress', 'from'],
    ['egress', 'to'],
  ] as const) {
    (policy.spec?.[direction] ?? []).forEach((rule: any, i: number) => {
      const rulePath = `spec.${direction}[${i}]`;
      const podPeers = (rule[peersField] ?? [])
        .map((peer: any, j: number) => ({ peer, where: `${rulePath}.${peersField}[${j}].podSelector` }))
        .filter(({ peer }: any) => peer.podSelector && !peer.namespaceSelector);
      for (const { peer, where } of podPeers) {
        const peers = select(peer.podSelector, where);
        if (direction === 'egress' && peers) checkPorts(rule, rulePath, peers, where);
      }
      if (direction === 'ingress' && podPeers.length > 0 && targets) {
        checkPorts(rule, rulePath, targets, 'spec.podSelector');
      }
    });
  }
  return problems;
}
