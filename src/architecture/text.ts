/** Wording shared by the document's sections: diagram ids and labels, counts, ports, probes. */
import { type ContainerPort, type Labels, type Probe } from '../lib/kube-json';
import { code, compareText } from '../lib/markdown';
import { type OutsidePeer } from '../lib/network-paths';
import { type Model, type Workload, NAMESPACE_NAME_LABEL } from './model';

/** Pod labels that name an outside peer best, most telling first. */
const NAME_LABELS = ['app.kubernetes.io/name', 'k8s-app', 'app'];

/** The diagram id of an outside peer, the same in both diagrams. */
export function peerId(model: Model, peer: OutsidePeer): string {
  return model.ids.id(peer.key, `peer ${peerLabel(peer).split('\n')[0]!}`);
}

/** The diagram id of a workload, the same in both diagrams. */
export function workloadId(model: Model, w: Workload): string {
  return model.ids.id(w.key, `${w.kind} ${w.name}`);
}

/** Which namespaces a pod peer lives in, in words. */
export function namespacesText(peer: Extract<OutsidePeer, { kind: 'pods' }>): string {
  const selector = peer.namespaceSelector;
  if (!selector) return `namespace ${code(peer.namespace ?? '')}`;
  const labels = selector.matchLabels ?? {};
  const keys = Object.keys(labels);
  if (keys.length === 1 && keys[0] === NAMESPACE_NAME_LABEL && !selector.matchExpressions?.length) {
    return `namespace ${code(labels[NAMESPACE_NAME_LABEL]!)}`;
  }
  const text = selectorText(selector.matchLabels, selector.matchExpressions);
  return text ? `namespaces ${text}` : 'every namespace';
}

/** A label selector in words: its labels and expressions; empty when it selects everything. */
export function selectorText(
  labels: Labels | undefined,
  expressions: readonly { key: string; operator: string; values?: readonly string[] }[] | undefined,
): string {
  return [
    ...Object.entries(labels ?? {}).map(([k, v]) => code(`${k}=${v}`)),
    ...(expressions ?? []).map((e) => code(`${e.key} ${e.operator}${e.values ? ` (${e.values.join(', ')})` : ''}`)),
  ].join(', ');
}

/** A short node label: what the peer is, then where. */
export function peerLabel(peer: OutsidePeer): string {
  switch (peer.kind) {
    case 'anything':
      return 'Any peer';
    case 'addresses':
      return `Addresses\n${peer.blocks
        .map((b) => `${b.cidr}${b.except?.length ? ` except ${b.except.join(', ')}` : ''}`)
        .join('\n')}`;
    case 'pods': {
      const labels = peer.podSelector?.matchLabels ?? {};
      const name = NAME_LABELS.map((l) => labels[l]).find((v) => v !== undefined) ?? 'pods';
      return `${name}\n${namespacesText(peer).replaceAll('`', '')}`;
    }
  }
}

/** A probe's check for a table: the command as code. */
export function probeCheck(probe: Probe): string {
  return probe.exec ? `runs ${code((probe.exec.command ?? []).join(' '))}` : probeText(probe);
}

/** What a probe checks: a path and port, a port, or a command. */
export function probeText(probe: Probe): string {
  if (probe.httpGet) return `GET ${probe.httpGet.path ?? '/'} on port ${probe.httpGet.port}`;
  if (probe.tcpSocket) return `TCP connect to port ${probe.tcpSocket.port}`;
  if (probe.grpc) return `gRPC health on port ${probe.grpc.port}`;
  return `runs ${(probe.exec?.command ?? []).join(' ')}`;
}

/** A container port with its name. */
export function portText(port: ContainerPort): string {
  return `${port.containerPort}${port.name ? ` (${port.name})` : ''}`;
}

/** Restic retention, shortest period first, periods kept 0 left out: `7 daily, 4 weekly`. */
export function retainText(retain: Readonly<Record<string, number>>): string {
  const order = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'];
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  return (
    Object.entries(retain)
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => rank(a) - rank(b) || compareText(a, b))
      .map(([k, n]) => `${n} ${k}`)
      .join(', ') || 'nothing'
  );
}

/** How many pods a workload runs: `2 replicas`, `3 instances`, `a mover pod per run`, `a pod per run`. */
export function sizeText(w: Workload): string {
  if (w.kind === 'Cluster') return plural(w.replicas, 'instance');
  if (w.kind === 'ReplicationSource' || w.kind === 'ReplicationDestination') return 'a mover pod per run';
  if (w.kind === 'CronJob') return 'a pod per run';
  return plural(w.replicas, 'replica');
}

/** A kind in the plural, as in "3 Secrets". */
export function pluralKind(kind: string): string {
  if (kind.endsWith('y')) return `${kind.slice(0, -1)}ies`;
  return kind.endsWith('s') ? `${kind}es` : `${kind}s`;
}

/** A count with its noun, singular for one. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
