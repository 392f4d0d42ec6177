/**
 * The Service Topology section: a flowchart of the workloads by role, the ingress and every path
 * the NetworkPolicies allow.
 */
import { type Service } from '../lib/kube-json';
import { code, compareText, mermaidText, table } from '../lib/markdown';
import { type NetworkPath, type OutsidePeer, type PathEnd, endKey, formatPorts } from '../lib/network-paths';
import { type Model, type Route, type Workload, ROLES, refOf, routeTargets, servicesOf } from './model';
import { namespacesText, peerId, peerLabel, portText, selectorText, sizeText, workloadId } from './text';

/** The Service Topology section: the flowchart and the table of allowed paths. */
export function topology(model: Model): string {
  const { ids } = model;
  const lines = ['flowchart LR'];
  const outside = outsidePeersOf(model.paths);
  if (outside.length > 0) {
    lines.push('  subgraph outside["Outside the namespace"]');
    for (const peer of outside) lines.push(`    ${peerId(model, peer)}(["${mermaidText(peerLabel(peer))}"])`);
    lines.push('  end');
  }
  const namespaceId = ids.id(`Namespace/${model.namespace}`, `namespace ${model.namespace}`);
  lines.push(`  subgraph ${namespaceId}["${mermaidText(`Namespace ${model.namespace}`)}"]`);
  for (const { role, title } of ROLES) {
    const members = model.workloads.filter((w) => w.role === role);
    const routes = role === 'exposed' ? model.routes : [];
    if (members.length === 0 && routes.length === 0) continue;
    lines.push(`    subgraph ${ids.id(`role/${role}`, role)}["${title}"]`);
    for (const route of routes) {
      const hint = `${route.object.kind.toLowerCase()} ${route.object.metadata.name}`;
      lines.push(`      ${ids.id(refOf(route.object), hint)}["${mermaidText(routeLabel(route))}"]`);
      for (const target of routeTargets(model, route)) {
        const service = target.service;
        if (service) lines.push(`      ${serviceId(model, service)}["${mermaidText(serviceLabel(service))}"]`);
      }
    }
    for (const w of members) {
      const label = mermaidText(`${w.name}\n${w.kind} · ${sizeText(w)}${servicesLine(model, w)}`);
      lines.push(`      ${workloadId(model, w)}${role === 'datastore' ? `[("${label}")]` : `["${label}"]`}`);
    }
    lines.push('    end');
  }
  lines.push('  end');
  for (const route of model.routes) {
    for (const target of routeTargets(model, route)) {
      const routeId = ids.id(refOf(route.object));
      if (!target.service) continue;
      const serviceNode = serviceId(model, target.service);
      lines.push(`  ${routeId} -.->|"${mermaidText(`routes ${target.match}`)}"| ${serviceNode}`);
      for (const w of target.workloads) {
        const label = `port ${target.port} → ${target.containerPort ? portText(target.containerPort) : 'its target port'}`;
        lines.push(`  ${serviceNode} -.->|"${mermaidText(label)}"| ${workloadId(model, w)}`);
      }
    }
  }
  lines.push(...pathEdges(model, namespaceId));
  const diagram = ['```mermaid', ...lines, '```'].join('\n');
  const rows = model.paths.map((p) => [endText(model, p.from), endText(model, p.to), formatPorts(p.ports)]);
  const pathTable =
    model.policies === 0
      ? 'No NetworkPolicies: nothing restricts the traffic between pods.'
      : rows.length === 0
        ? 'The NetworkPolicies allow no connection.'
        : table(['From', 'To', 'Ports'], rows);
  return [
    '## Service Topology',
    '',
    `Workloads grouped by role; dotted arrows show how the ${routeKinds(model)} reaches the pods, solid arrows every ` +
      'connection the NetworkPolicies allow (source to destination, with ports). Pods of VolSync and ' +
      'CloudNativePG are run by their operators.',
    '',
    diagram,
    '',
    '### Allowed network paths',
    '',
    pathTable,
  ].join('\n');
}

/**
 * The edges of every allowed path; paths from every workload to the same peer on the same ports
 * (DNS, typically) are drawn once, from the namespace.
 */
function pathEdges(model: Model, namespaceId: string): string[] {
  const edges: string[] = [];
  const fromAll = new Set<string>();
  if (model.workloads.length > 1) {
    const byTarget = new Map<string, NetworkPath[]>();
    for (const path of model.paths) {
      if (path.from.kind !== 'group' || path.to.kind !== 'outside') continue;
      const key = `${endKey(path.to)} ${formatPorts(path.ports)}`;
      byTarget.set(key, [...(byTarget.get(key) ?? []), path]);
    }
    for (const [key, paths] of byTarget) {
      if (paths.length !== model.workloads.length) continue;
      fromAll.add(key);
      edges.push(`  ${namespaceId} -->|"${mermaidText(formatPorts(paths[0]!.ports))}"| ${endId(model, paths[0]!.to)}`);
    }
  }
  for (const path of model.paths) {
    if (path.from.kind === 'group' && fromAll.has(`${endKey(path.to)} ${formatPorts(path.ports)}`)) continue;
    edges.push(`  ${endId(model, path.from)} -->|"${mermaidText(formatPorts(path.ports))}"| ${endId(model, path.to)}`);
  }
  return edges;
}

function outsidePeersOf(paths: readonly NetworkPath[]): OutsidePeer[] {
  const peers = new Map<string, OutsidePeer>();
  for (const { from, to } of paths) {
    for (const end of [from, to]) if (end.kind === 'outside') peers.set(end.peer.key, end.peer);
  }
  return [...peers.values()].sort((a, b) => compareText(a.key, b.key));
}

function endId(model: Model, end: PathEnd): string {
  if (end.kind === 'outside') return peerId(model, end.peer);
  return workloadId(
    model,
    model.workloads.find((w) => w.key === end.group.key)!,
  );
}

function serviceId(model: Model, service: Service): string {
  return model.ids.id(refOf(service), `service ${service.metadata.name}`);
}

/** A path end in the table: a workload, or the peer as its rule names it. */
function endText(model: Model, end: PathEnd): string {
  if (end.kind === 'group') {
    const w = model.workloads.find((x) => x.key === end.group.key)!;
    return `${code(w.name)} (${w.kind})`;
  }
  return peerText(end.peer);
}

/** An outside peer in full: `pods `app=x` in namespace `y``, `addresses `0.0.0.0/0` except `10.0.0.0/8``. */
function peerText(peer: OutsidePeer): string {
  switch (peer.kind) {
    case 'anything':
      return 'any peer';
    case 'addresses':
      return `addresses ${peer.blocks
        .map((b) => `${code(b.cidr)}${b.except?.length ? ` except ${b.except.map(code).join(', ')}` : ''}`)
        .join('; ')}`;
    case 'pods': {
      const pods = peer.podSelector
        ? selectorText(peer.podSelector.matchLabels, peer.podSelector.matchExpressions)
        : '';
      return `${pods ? `pods ${pods}` : 'all pods'} in ${namespacesText(peer)}`;
    }
  }
}

function routeLabel(route: Route): string {
  return [`${route.object.kind} ${route.object.metadata.name}`, ...route.details].join('\n');
}

/** The kinds of the routes, e.g. `IngressRoute`; `route` without any. */
function routeKinds(model: Model): string {
  const kinds = [...new Set(model.routes.map((r) => r.object.kind))];
  return kinds.length > 0 ? kinds.join(' and ') : 'route';
}

function serviceLabel(service: Service): string {
  const ports = (service.spec.ports ?? []).map((p) => `${p.port}${p.name ? ` ${p.name}` : ''}`).join(', ');
  return `Service ${service.metadata.name}\n${ports}`;
}

function servicesLine(model: Model, w: Workload): string {
  const names = servicesOf(model, w).map((s) => s.name);
  return names.length > 0 ? `\nService ${names.join(', ')}` : '';
}
