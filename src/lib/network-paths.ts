/**
 * The connections NetworkPolicies allow, derived from their rules: which pods may open a
 * connection to which peer, on which ports. A connection between two pods needs the source's
 * egress and the destination's ingress; a pod no policy selects for a direction is not isolated
 * in it. Peers outside the known pods (other namespaces, address blocks) carry no policies here,
 * and are the peers exactly as the rules name them.
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
import {
  type ContainerPort,
  type Labels,
  type LabelSelector,
  type NetworkPolicy,
  type PolicyPeer,
  type PolicyPort,
  type PolicyRule,
  selectorMatches,
} from './kube-json';
import { compareText } from './markdown';

/** The pods of one workload, which policies select by their labels. */
export interface PodGroup {
  /** Unique among the groups, e.g. `Deployment/immich-server`. */
  readonly key: string;
  readonly namespace: string;
  readonly labels: Labels;
  /** Container ports, to resolve named ports of policies. */
  readonly ports: readonly ContainerPort[];
}

/** An address block and the blocks cut out of it. */
export interface IpBlock {
  readonly cidr: string;
  readonly except?: readonly string[];
}

/** A peer that is none of the pod groups, as a policy rule names it. */
export type OutsidePeer =
  | {
      readonly kind: 'pods';
      readonly key: string;
      /** Unset: the namespace of the policy, `namespace`. */
      readonly namespaceSelector?: LabelSelector;
      readonly namespace?: string;
      /** Unset: every pod of the selected namespaces. */
      readonly podSelector?: LabelSelector;
    }
  | { readonly kind: 'addresses'; readonly key: string; readonly blocks: readonly IpBlock[] }
  /** A rule without peers: every pod and address. */
  | { readonly kind: 'anything'; readonly key: string };

/** One end of a path: a group of the namespace's pods, or a peer outside them. */
export type PathEnd =
  { readonly kind: 'group'; readonly group: PodGroup } | { readonly kind: 'outside'; readonly peer: OutsidePeer };

/** Port numbers (one when `from === to`), or a port name no known container resolves. */
export type PortSpec =
  | { readonly protocol: string; readonly from: number; readonly to: number }
  | { readonly protocol: string; readonly name: string };

/** Every port, or some. */
export type Ports = 'all' | readonly PortSpec[];

/** One allowed connection: `from` may open connections to `to` on `ports`. */
export interface NetworkPath {
  readonly from: PathEnd;
  readonly to: PathEnd;
  readonly ports: Ports;
}

type Direction = 'Ingress' | 'Egress';

/**
 * Every allowed connection between the groups, and between a group and the outside peers the
 * rules name, in a stable order. `namespaceLabels` gives the labels of a namespace, for
 * `namespaceSelector`s that may select the groups' own namespace.
 */
export function networkPaths(
  policies: readonly NetworkPolicy[],
  groups: readonly PodGroup[],
  namespaceLabels: (namespace: string) => Labels,
): NetworkPath[] {
  const context: Context = { policies, namespaceLabels, selecting: new Map() };
  const outside = outsidePeers(policies, groups);
  const paths: NetworkPath[] = [];
  const add = (from: PathEnd, to: PathEnd, ports: Ports | undefined) => {
    if (ports !== undefined && (ports === 'all' || ports.length > 0)) paths.push({ from, to, ports });
  };
  for (const source of groups) {
    const from: PathEnd = { kind: 'group', group: source };
    for (const destination of groups) {
      const to: PathEnd = { kind: 'group', group: destination };
      const egress = sidePorts(context, 'Egress', source, to);
      const ingress = sidePorts(context, 'Ingress', destination, from);
      if (egress && ingress) add(from, to, intersect(egress, ingress));
    }
  }
  for (const peer of outside) {
    const end: PathEnd = { kind: 'outside', peer };
    for (const group of groups) {
      const pods: PathEnd = { kind: 'group', group };
      add(pods, end, sidePorts(context, 'Egress', group, end));
      add(end, pods, sidePorts(context, 'Ingress', group, end));
    }
  }
  return paths;
}

/** Ports as text: `TCP 443, 8000-8010; UDP 53`, or `all ports`. */
export function formatPorts(ports: Ports): string {
  if (ports === 'all') return 'all ports';
  const byProtocol = new Map<string, string[]>();
  for (const port of ports) {
    const text = 'name' in port ? port.name : port.from === port.to ? `${port.from}` : `${port.from}-${port.to}`;
    byProtocol.set(port.protocol, [...(byProtocol.get(port.protocol) ?? []), text]);
  }
  return [...byProtocol].map(([protocol, list]) => `${protocol} ${list.join(', ')}`).join('; ');
}

/** A stable key of a path end. */
export function endKey(end: PathEnd): string {
  return end.kind === 'group' ? end.group.key : end.peer.key;
}

interface Context {
  readonly policies: readonly NetworkPolicy[];
  readonly namespaceLabels: (namespace: string) => Labels;
  /** The policies that select each group for a direction, by `<direction> <group key>`. */
  readonly selecting: Map<string, readonly NetworkPolicy[]>;
}

/**
 * The ports `subject`'s own policies allow for `direction` with `other` (as destination for
 * Egress, source for Ingress): every port when no policy isolates it, undefined when isolated and
 * no rule matches.
 */
function sidePorts(context: Context, direction: Direction, subject: PodGroup, other: PathEnd): Ports | undefined {
  const key = `${direction} ${subject.key}`;
  let selecting = context.selecting.get(key);
  if (!selecting) {
    selecting = context.policies.filter(
      (p) =>
        namespaceOf(p) === subject.namespace &&
        selectorMatches(p.spec.podSelector, subject.labels) &&
        policyTypes(p).includes(direction),
    );
    context.selecting.set(key, selecting);
  }
  if (selecting.length === 0) return 'all';
  const destination = direction === 'Ingress' ? subject : other.kind === 'group' ? other.group : undefined;
  const allowed: Ports[] = [];
  for (const policy of selecting) {
    const rules: readonly PolicyRule[] = (direction === 'Ingress' ? policy.spec.ingress : policy.spec.egress) ?? [];
    for (const rule of rules) {
      const peers = direction === 'Ingress' ? rule.from : rule.to;
      if (peersMatch(context, peers, namespaceOf(policy), other)) allowed.push(rulePorts(rule.ports, destination));
    }
  }
  return allowed.length === 0 ? undefined : union(allowed);
}

/** `policyTypes`, defaulted as the API server does: Ingress, plus Egress when there are egress rules. */
function policyTypes(policy: NetworkPolicy): readonly Direction[] {
  const { policyTypes: types, egress } = policy.spec;
  if (types && types.length > 0) return types;
  return egress && egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** An empty or missing peer list matches everything. */
function peersMatch(
  context: Context,
  peers: readonly PolicyPeer[] | undefined,
  policyNamespace: string,
  other: PathEnd,
): boolean {
  if (!peers || peers.length === 0) return true;
  if (other.kind === 'group') {
    const { group } = other;
    return peers.some((peer) => {
      if (peer.ipBlock) return false; // pods are not matched by address blocks
      const namespaceOk = peer.namespaceSelector
        ? selectorMatches(peer.namespaceSelector, context.namespaceLabels(group.namespace))
        : group.namespace === policyNamespace;
      return namespaceOk && (peer.podSelector ? selectorMatches(peer.podSelector, group.labels) : true);
    });
  }
  const { peer } = other;
  switch (peer.kind) {
    case 'anything':
      return false;
    case 'addresses': {
      const blocks = new Set(peers.filter((p) => p.ipBlock).map((p) => blockKey(p.ipBlock!)));
      return peer.blocks.every((block) => blocks.has(blockKey(block)));
    }
    case 'pods':
      return peers.some((p) => !p.ipBlock && podPeer(p, policyNamespace).key === peer.key);
  }
}

/**
 * The outside peers the rules name: each rule's address blocks as one peer, each peer with a
 * namespace selector (pods wherever it selects), and each pod selector of the policy's own
 * namespace that selects none of the groups.
 */
function outsidePeers(policies: readonly NetworkPolicy[], groups: readonly PodGroup[]): OutsidePeer[] {
  const found = new Map<string, OutsidePeer>();
  const add = (peer: OutsidePeer) => found.set(peer.key, peer);
  for (const policy of policies) {
    for (const rule of [...(policy.spec.ingress ?? []), ...(policy.spec.egress ?? [])]) {
      const peers = rule.from ?? rule.to ?? [];
      if (peers.length === 0) add({ kind: 'anything', key: 'anything' });
      const blocks = peers.flatMap((p) => (p.ipBlock ? [p.ipBlock] : []));
      if (blocks.length > 0) add({ kind: 'addresses', key: `addresses ${blocks.map(blockKey).join(' ')}`, blocks });
      for (const peer of peers.filter((p) => !p.ipBlock)) {
        const outside = podPeer(peer, namespaceOf(policy));
        const aGroup = (g: PodGroup) =>
          g.namespace === outside.namespace && selectorMatches(peer.podSelector ?? {}, g.labels);
        if (peer.namespaceSelector || !groups.some(aGroup)) add(outside);
      }
    }
  }
  return [...found.values()].sort((a, b) => compareText(a.key, b.key));
}

function podPeer(peer: PolicyPeer, policyNamespace: string): Extract<OutsidePeer, { kind: 'pods' }> {
  const where = peer.namespaceSelector ? `namespaces ${JSON.stringify(peer.namespaceSelector)}` : policyNamespace;
  return {
    kind: 'pods',
    key: `pods ${JSON.stringify(peer.podSelector ?? null)} in ${where}`,
    ...(peer.namespaceSelector ? { namespaceSelector: peer.namespaceSelector } : { namespace: policyNamespace }),
    ...(peer.podSelector ? { podSelector: peer.podSelector } : {}),
  };
}

function blockKey(block: IpBlock): string {
  return [block.cidr, ...(block.except ?? [])].join(',');
}

/** A rule's ports; named ports resolve against the destination's container ports when it is known. */
function rulePorts(ports: readonly PolicyPort[] | undefined, destination: PodGroup | undefined): Ports {
  if (!ports || ports.length === 0) return 'all';
  return ports.flatMap((p): PortSpec[] => {
    const protocol = p.protocol ?? 'TCP';
    if (p.port === undefined) return [{ protocol, from: 1, to: 65535 }];
    if (typeof p.port === 'number') return [{ protocol, from: p.port, to: p.endPort ?? p.port }];
    const name = p.port;
    if (!destination) return [{ protocol, name }];
    return destination.ports
      .filter((c) => c.name === name && (c.protocol ?? 'TCP') === protocol)
      .map((c) => ({ protocol, from: c.containerPort, to: c.containerPort }));
  });
}

function union(all: readonly Ports[]): Ports {
  if (all.includes('all')) return 'all';
  return normalize(all.flatMap((p) => (p === 'all' ? [] : p)));
}

function intersect(a: Ports, b: Ports): Ports {
  if (a === 'all') return b;
  if (b === 'all') return a;
  const out: PortSpec[] = [];
  for (const x of a) {
    for (const y of b) {
      if (x.protocol !== y.protocol) continue;
      if ('name' in x || 'name' in y) {
        if ('name' in x && 'name' in y && x.name === y.name) out.push(x);
        continue;
      }
      const from = Math.max(x.from, y.from);
      const to = Math.min(x.to, y.to);
      if (from <= to) out.push({ protocol: x.protocol, from, to });
    }
  }
  return normalize(out);
}

/** Sorted by protocol and port, overlapping and adjacent ranges merged, names last. */
function normalize(ports: readonly PortSpec[]): PortSpec[] {
  const ranges = ports
    .filter((p): p is Extract<PortSpec, { from: number }> => !('name' in p))
    .sort((x, y) => compareText(x.protocol, y.protocol) || x.from - y.from || x.to - y.to);
  const merged: Extract<PortSpec, { from: number }>[] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && last.protocol === range.protocol && range.from <= last.to + 1) {
      merged[merged.length - 1] = { ...last, to: Math.max(last.to, range.to) };
    } else {
      merged.push(range);
    }
  }
  const names = new Map<string, PortSpec>();
  for (const p of ports) if ('name' in p) names.set(`${p.protocol}/${p.name}`, p);
  return [...merged, ...[...names.keys()].sort().map((k) => names.get(k)!)];
}

function namespaceOf(policy: NetworkPolicy): string {
  const namespace = policy.metadata.namespace;
  if (!namespace) throw new Error(`NetworkPolicy ${policy.metadata.name} has no namespace`);
  return namespace;
}
