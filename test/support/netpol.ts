/**
 * A small evaluator of Kubernetes NetworkPolicies (networking.k8s.io/v1) over plain JSON, so that
 * tests can ask "may A open a connection to B on this port?" instead of reading selectors.
 *
 * Semantics follow the API reference: a pod is isolated for a direction when a policy of its
 * namespace selects it with that policy type; an isolated direction allows only what some rule of
 * some selecting policy allows; a connection needs both the source's egress and the destination's
 * ingress. Addresses outside the cluster carry no policies. Pods never match `ipBlock` peers here
 * (whether a CNI applies ipBlocks to pod IPs is implementation-defined).
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
import { selectorMatches } from '../../src/lib/kube-json';

// Label selectors mean the same everywhere; the document's path finder uses this one too.
export { selectorMatches };

export type Labels = Readonly<Record<string, string>>;

/** A pod of the cluster, or an address outside it. */
export type Peer =
  | { readonly kind: 'pod'; readonly namespace: string; readonly namespaceLabels: Labels; readonly podLabels: Labels }
  | { readonly kind: 'ip'; readonly ip: string };

export type Protocol = 'TCP' | 'UDP';

interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}

interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

interface Rule {
  from?: PolicyPeer[];
  to?: PolicyPeer[];
  ports?: PolicyPort[];
}

interface NetworkPolicy {
  kind: 'NetworkPolicy';
  metadata: { name: string; namespace?: string };
  spec: {
    podSelector: LabelSelector;
    policyTypes?: ('Ingress' | 'Egress')[];
    ingress?: Rule[];
    egress?: Rule[];
  };
}

type Direction = 'Ingress' | 'Egress';

/**
 * Whether `from` may open a connection to `to` on `port`: the source's egress and the
 * destination's ingress must both allow it. Objects that are not NetworkPolicies are ignored.
 */
export function allowed(
  objects: readonly unknown[],
  from: Peer,
  to: Peer,
  port: number,
  protocol: Protocol = 'TCP',
): boolean {
  const policies = objects.filter(isNetworkPolicy);
  return (
    directionAllowed(policies, 'Egress', from, to, port, protocol) &&
    directionAllowed(policies, 'Ingress', to, from, port, protocol)
  );
}

/** Whether `subject`'s policies let traffic of `direction` with `other` through. */
function directionAllowed(
  policies: readonly NetworkPolicy[],
  direction: Direction,
  subject: Peer,
  other: Peer,
  port: number,
  protocol: Protocol,
): boolean {
  if (subject.kind !== 'pod') return true; // outside the cluster: no policies
  const selecting = policies.filter(
    (p) =>
      namespaceOf(p) === subject.namespace &&
      selectorMatches(p.spec.podSelector, subject.podLabels) &&
      policyTypes(p).includes(direction),
  );
  if (selecting.length === 0) return true; // not isolated for this direction
  return selecting.some((policy) =>
    (direction === 'Ingress' ? (policy.spec.ingress ?? []) : (policy.spec.egress ?? [])).some(
      (rule) =>
        peersMatch(direction === 'Ingress' ? rule.from : rule.to, namespaceOf(policy), other) &&
        portsMatch(rule.ports, port, protocol),
    ),
  );
}

/** `policyTypes`, defaulted as the API server does: Ingress, plus Egress when there are egress rules. */
function policyTypes(policy: NetworkPolicy): Direction[] {
  const { policyTypes: types, egress } = policy.spec;
  if (types && types.length > 0) return types;
  return egress && egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

/** An empty or missing peer list matches every peer. */
function peersMatch(peers: readonly PolicyPeer[] | undefined, policyNamespace: string, other: Peer): boolean {
  if (!peers || peers.length === 0) return true;
  return peers.some((peer) => peerMatches(peer, policyNamespace, other));
}

function peerMatches(peer: PolicyPeer, policyNamespace: string, other: Peer): boolean {
  if (peer.ipBlock) {
    if (peer.podSelector || peer.namespaceSelector) throw new Error('ipBlock cannot be combined with selectors');
    const { cidr, except = [] } = peer.ipBlock;
    return other.kind === 'ip' && inCidr(other.ip, cidr) && !except.some((e) => inCidr(other.ip, e));
  }
  if (!peer.podSelector && !peer.namespaceSelector) throw new Error('a policy peer needs a selector or an ipBlock');
  if (other.kind !== 'pod') return false;
  const namespaceOk = peer.namespaceSelector
    ? selectorMatches(peer.namespaceSelector, other.namespaceLabels)
    : other.namespace === policyNamespace;
  const podOk = peer.podSelector ? selectorMatches(peer.podSelector, other.podLabels) : true;
  return namespaceOk && podOk;
}

/** An empty or missing port list matches every port; a port entry without `port` matches its whole protocol. */
function portsMatch(ports: readonly PolicyPort[] | undefined, port: number, protocol: Protocol): boolean {
  if (!ports || ports.length === 0) return true;
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    if (typeof p.port === 'string') throw new Error(`named port "${p.port}" is not supported by this evaluator`);
    return p.endPort === undefined ? port === p.port : port >= p.port && port <= p.endPort;
  });
}

/** Whether `ip` is inside `cidr`; an address never matches a CIDR of the other family. */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits, ...rest] = cidr.split('/');
  if (base === undefined || bits === undefined || rest.length > 0) throw new Error(`invalid CIDR "${cidr}"`);
  const address = parseIp(ip);
  const network = parseIp(base);
  const prefix = Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > network.width) throw new Error(`invalid CIDR "${cidr}"`);
  if (address.width !== network.width) return false;
  const shift = BigInt(network.width - prefix);
  return address.value >> shift === network.value >> shift;
}

const parsedIps = new Map<string, { width: 32 | 128; value: bigint }>();

/** An IPv4 or IPv6 address as a number of 32 or 128 bits; each text is parsed once. */
function parseIp(ip: string): { width: 32 | 128; value: bigint } {
  let parsed = parsedIps.get(ip);
  if (!parsed) {
    parsed = parseIpText(ip);
    parsedIps.set(ip, parsed);
  }
  return parsed;
}

function parseIpText(ip: string): { width: 32 | 128; value: bigint } {
  if (ip.includes(':')) return { width: 128, value: parseIpv6(ip) };
  const octets = ip.split('.');
  if (octets.length !== 4 || !octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255)) {
    throw new Error(`invalid IPv4 address "${ip}"`);
  }
  return { width: 32, value: octets.reduce((acc, o) => (acc << 8n) | BigInt(o), 0n) };
}

function parseIpv6(ip: string): bigint {
  const halves = ip.split('::');
  if (halves.length > 2) throw new Error(`invalid IPv6 address "${ip}"`);
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) throw new Error(`invalid IPv6 address "${ip}"`);
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) throw new Error(`invalid IPv6 address "${ip}"`);
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function namespaceOf(policy: NetworkPolicy): string {
  const namespace = policy.metadata.namespace;
  if (!namespace) throw new Error(`NetworkPolicy ${policy.metadata.name} has no namespace`);
  return namespace;
}

function isNetworkPolicy(object: unknown): object is NetworkPolicy {
  return typeof object === 'object' && object !== null && (object as { kind?: unknown }).kind === 'NetworkPolicy';
}
