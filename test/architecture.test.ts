/**
 * The architecture document of every scenario: its diagrams parse with the real Mermaid parser,
 * it names every workload, Service, claim and every connection the NetworkPolicies allow (worked
 * out here with the evaluator, not with the document's own code), it holds no Secret value, and
 * it is the same text every time.
 */
import { renderArchitecture } from '../src/architecture';
import { buildCharts } from '../src/chart';
import { CLOUDNATIVE_PG } from '../src/constants';
import { renderCharts } from '../src/output';
import { type MermaidResult, mermaidBlocks, startMermaidParser } from './support/mermaid';
import { PLAINTEXT, SCENARIOS, scenarioConfig } from './support/modes';
import { type Peer, type Protocol, allowed, inCidr } from './support/netpol';
import { isRoute, routeBackends } from './support/routes';

// Started first: the parser process loads Mermaid while the scenarios are synthesized, and parses
// the diagrams while the other tests run.
const parseMermaid = startMermaidParser();

/** A diagram with an unclosed label: the parser must reject it, or the check proves nothing. */
const BROKEN = { id: 'deliberately broken', text: 'flowchart LR\n  a["unclosed label --> b\n' };

const rendered = Object.entries(SCENARIOS).map(([name, scenario]) => {
  const objects: any[] = renderCharts(buildCharts(scenarioConfig(scenario))).map((m) => m.object);
  return { name, mode: scenario.mode, objects, doc: renderArchitecture(objects) };
});

const blocks = rendered.flatMap(({ name, doc }) => mermaidBlocks(doc).map((text, i) => ({ id: `${name} ${i}`, text })));
const parsing = parseMermaid([...blocks, BROKEN]);
// Awaited by the last tests; until then a failure must not count as unhandled.
parsing.results.catch(() => undefined);
// The tests below run synchronously: the diagrams must be on their way before they start.
beforeAll(() => parsing.sent);

describe.each(rendered.map((r) => [r.name, r] as const))('%s', (_name, { mode, objects, doc }) => {
  test('has a section for every workload and names every Service', () => {
    const workloads = objects.filter((o) => WORKLOAD_KINDS.includes(o.kind));
    expect(workloads.length).toBeGreaterThanOrEqual(4);
    for (const w of workloads) expect(doc).toContain(`### \`${w.metadata.name}\` (${w.kind})`);
    for (const s of objects.filter((o) => o.kind === 'Service'))
      expect(doc).toContain(`Service \`${s.metadata.name}\``);
  });

  test("shows the command and arguments of every container that sets them, in its workload's section", () => {
    for (const w of objects.filter((o) => WORKLOAD_KINDS.includes(o.kind) && o.spec.template)) {
      const start = doc.indexOf(`### \`${w.metadata.name}\` (${w.kind})\n`);
      const next = doc.slice(start + 1).search(/\n##/);
      const part = doc.slice(start, next < 0 ? undefined : start + 1 + next);
      for (const c of w.spec.template.spec.containers.filter((c: any) => c.command || c.args)) {
        for (const words of [c.command, c.args].filter(Boolean))
          expect({ workload: w.metadata.name, shown: part.includes(`\`${words.join(' ')}\``) }).toEqual({
            workload: w.metadata.name,
            shown: true,
          });
      }
    }
  });

  test('lists every claim: PVCs, StatefulSet claim templates and CloudNativePG instance volumes', () => {
    const volumes = section(doc, '## Persistent volumes');
    const claims = expectedClaims(objects);
    expect(claims.length).toBeGreaterThanOrEqual(4);
    for (const claim of claims) expect(volumes).toMatch(new RegExp(`^\\| \`${claim}\`[ |]`, 'm'));
  });

  test("names each CronJob that dumps a cluster among what backs up the cluster's volumes", () => {
    const volumes = section(doc, '## Persistent volumes');
    for (const job of objects.filter((o) => o.kind === 'CronJob')) {
      const { env } = job.spec.jobTemplate.spec.template.spec.containers[0];
      const host = env.find((e: any) => e.name === 'PGHOST').value;
      const cluster = objects.find((o) => o.kind === 'Cluster' && host.startsWith(`${o.metadata.name}-`));
      const row = volumes.split('\n').find((line) => line.startsWith(`| \`${cluster.metadata.name}-1\``));
      expect(row).toContain(`pg_dump at \`${job.spec.schedule}\``);
      expect(row).toContain(`(CronJob \`${job.metadata.name}\`)`);
    }
  });

  test('lists every connection the NetworkPolicies allow, and only allowed ones between its pods', () => {
    const verdict = pathVerdict(objects, doc);
    expect(verdict.missing).toEqual([]);
    expect(verdict.wrong).toEqual([]);
    expect(verdict.allowed).toBeGreaterThan(5);
  });

  test('shows the route by its kind, the Service it sends to, and the pods that pass requests on to the server', () => {
    const routes = objects.filter(isRoute);
    expect(routes).toHaveLength(1);
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const route of routes) {
      expect(doc).toContain(`["${route.kind} ${route.metadata.name}<br/>`);
      for (const { service, port } of routeBackends(route))
        expect(doc).toMatch(
          new RegExp(
            `: ${escape(`${route.kind} ${route.metadata.name}`)}: .+ to Service ${escape(service)} port ${port}$`,
            'm',
          ),
        );
    }
    expect(doc).toMatch(/^ {2}n_peer_\w+->>n_deployment_immich_server: routes requests to port 2283 \(http\)$/m);
  });

  test('holds no Secret value', () => {
    const values = [
      ...objects
        .filter((o) => o.kind === 'Secret')
        .flatMap((o) => [
          ...Object.values<string>(o.stringData ?? {}),
          ...Object.values<string>(o.data ?? {}).map((v) => Buffer.from(v, 'base64').toString('utf8')),
        ]),
      ...Object.values(PLAINTEXT),
    ];
    if (mode === 'inline') expect(values.length).toBeGreaterThan(Object.values(PLAINTEXT).length);
    for (const value of values) expect(doc.includes(value)).toBe(false);
  });

  test('names the namespace of every object outside the app namespace', () => {
    const home = objects.find((o) => o.kind === 'Namespace').metadata.name;
    const elsewhere = objects.filter((o) => o.kind !== 'Application' && (o.metadata.namespace ?? home) !== home);
    for (const o of elsewhere)
      expect(doc).toContain(`${o.kind} \`${o.metadata.name}\` (namespace \`${o.metadata.namespace}\`)`);
  });

  test('is the same text every time', () => {
    expect(renderArchitecture(structuredClone(objects))).toBe(doc);
  });
});

test('some scenario has an object outside the app namespace, so that check runs', () => {
  const outside = rendered.flatMap(({ objects }) => {
    const home = objects.find((o) => o.kind === 'Namespace').metadata.name;
    return objects.filter((o) => o.kind !== 'Application' && (o.metadata.namespace ?? home) !== home);
  });
  expect(outside.map((o) => `${o.kind}/${o.metadata.name}`)).toContain('ConfigMap/immich-dashboard');
});

describe('the Mermaid parser', () => {
  let parsed: Map<string, MermaidResult>;
  beforeAll(async () => {
    parsed = new Map((await parsing.results).map((r) => [r.id, r]));
  }, 20_000);

  test('rejects a broken diagram, so that the check can fail', () => {
    expect(parsed.get(BROKEN.id)?.error).toMatch(/Parse error/);
  });

  test.each(rendered.map((r) => [r.name, r.doc] as const))(
    'parses the flowchart and sequence diagram of %s',
    (name, doc) => {
      const results = mermaidBlocks(doc).map((_, i) => parsed.get(`${name} ${i}`));
      expect(results.map((r) => r?.error ?? r?.diagramType)).toEqual(['flowchart-v2', 'sequence']);
    },
  );
});

const WORKLOAD_KINDS = [
  'Deployment',
  'StatefulSet',
  'CronJob',
  'Cluster',
  'Pooler',
  'ReplicationSource',
  'ReplicationDestination',
];

/** The text of a `## ` section. */
function section(doc: string, heading: string): string {
  const start = doc.indexOf(`${heading}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = doc.indexOf('\n## ', start + heading.length);
  return doc.slice(start, end < 0 ? undefined : end);
}

/** Claim names as the API server and the operators create them. */
function expectedClaims(objects: readonly any[]): string[] {
  return objects.flatMap((o) => {
    if (o.kind === 'PersistentVolumeClaim') return [o.metadata.name];
    if (o.kind === 'StatefulSet') {
      const ordinals = Array.from({ length: Math.max(1, o.spec.replicas ?? 1) }, (_, i) => i);
      return (o.spec.volumeClaimTemplates ?? []).flatMap((t: any) =>
        ordinals.map((i) => `${t.metadata.name}-${o.metadata.name}-${i}`),
      );
    }
    if (o.kind === 'Cluster') {
      const instances = Array.from({ length: o.spec.instances ?? 1 }, (_, i) => `${o.metadata.name}-${i + 1}`);
      return instances.flatMap((pod) => [pod, ...(o.spec.walStorage ? [`${pod}-wal`] : [])]);
    }
    return [];
  });
}

interface PathRow {
  readonly from: string;
  readonly to: string;
  readonly ports: string;
}

const verdicts = new Map<string, PathVerdict>();

interface PathVerdict {
  /** Connections the policies allow that no row lists. */
  readonly missing: string[];
  /** Ports rows list between two workloads that the policies do not allow. */
  readonly wrong: string[];
  /** How many (source, destination, port) connections are allowed. */
  readonly allowed: number;
}

/**
 * Asks the evaluator about every pair of peers on every port the policies name, and compares
 * with the document's table. Scenarios with the same policies, pods and table share the answer.
 */
function pathVerdict(objects: readonly any[], doc: string): PathVerdict {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const rows = pathRows(doc);
  const { pods, outside } = peersOf(objects);
  const key = JSON.stringify([policies, pods.map((p) => [p.name, p.peer]), rows]);
  const known = verdicts.get(key);
  if (known) return known;
  const ports = candidatePorts(policies);
  const missing: string[] = [];
  let count = 0;
  for (const [from, to] of [
    ...pods.flatMap((a) => [...pods, ...outside].map((b) => [a, b] as const)),
    ...outside.flatMap((a) => pods.map((b) => [a, b] as const)),
  ]) {
    const listed = rows.filter((r) => from.matches(r.from) && to.matches(r.to));
    for (const [port, protocol] of ports) {
      if (!allowed(policies, from.peer, to.peer, port, protocol)) continue;
      count++;
      if (!listed.some((r) => portListed(r.ports, port, protocol))) {
        missing.push(`${from.name} -> ${to.name} ${protocol} ${port}`);
      }
    }
  }
  const wrong = rows.flatMap((row) => {
    const from = pods.find((p) => p.matches(row.from));
    const to = pods.find((p) => p.matches(row.to));
    if (!from || !to) return [];
    return listedPorts(row.ports)
      .filter(([port, protocol]) => !allowed(policies, from.peer, to.peer, port, protocol))
      .map(([port, protocol]) => `${row.from} -> ${row.to} ${protocol} ${port}`);
  });
  const verdict = { missing, wrong, allowed: count };
  verdicts.set(key, verdict);
  return verdict;
}

/** The rows of the allowed network paths table. */
function pathRows(doc: string): PathRow[] {
  const table = section(doc, '### Allowed network paths');
  return table
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| From ') && !line.startsWith('| ---'))
    .map((line) => {
      const [from, to, ports] = line.slice(2, -2).split(' | ');
      return { from: from!, to: to!, ports: ports! };
    });
}

/** A peer of the evaluator, and how the document's table must name it. */
interface End {
  readonly name: string;
  readonly peer: Peer;
  readonly matches: (cell: string) => boolean;
}

/**
 * The workloads' pods, as their templates and operators label them, and a probe for every peer
 * the policies name outside them: a pod in each selected namespace, an address in each block
 * and in each of its exceptions.
 */
function peersOf(objects: readonly any[]): { pods: End[]; outside: End[] } {
  const namespace = objects.find((o) => o.kind === 'Namespace');
  const namespaceLabels = { 'kubernetes.io/metadata.name': namespace.metadata.name, ...namespace.metadata.labels };
  const pod = (o: any, podLabels: Record<string, string>): End => ({
    name: `${o.kind}/${o.metadata.name}`,
    peer: { kind: 'pod', namespace: namespace.metadata.name, namespaceLabels, podLabels },
    matches: (cell) => cell === `\`${o.metadata.name}\` (${o.kind})`,
  });
  const pods = objects.flatMap((o): End[] => {
    if (o.kind === 'Deployment' || o.kind === 'StatefulSet') return [pod(o, o.spec.template.metadata.labels)];
    if (o.kind === 'CronJob') return [pod(o, o.spec.jobTemplate.spec.template.metadata.labels)];
    if (o.kind === 'Cluster') {
      return [pod(o, { [CLOUDNATIVE_PG.clusterLabel]: o.metadata.name, [CLOUDNATIVE_PG.podRoleLabel]: 'instance' })];
    }
    // PgBouncer pods as the operator labels them: with their cluster's label among their own.
    if (o.kind === 'Pooler') {
      return [
        pod(o, {
          [CLOUDNATIVE_PG.poolerLabel]: o.metadata.name,
          [CLOUDNATIVE_PG.clusterLabel]: o.spec.cluster.name,
          [CLOUDNATIVE_PG.podRoleLabel]: 'pooler',
        }),
      ];
    }
    if (o.kind === 'ReplicationSource' || o.kind === 'ReplicationDestination') {
      return [pod(o, o.spec.restic.moverPodLabels)];
    }
    return [];
  });
  const peers = objects
    .filter((o) => o.kind === 'NetworkPolicy')
    .flatMap((p) => [...(p.spec.ingress ?? []), ...(p.spec.egress ?? [])])
    .flatMap((rule: any) => rule.from ?? rule.to ?? []);
  const outside = new Map<string, End>();
  for (const peer of peers.filter((p: any) => p.namespaceSelector)) {
    const labels: Record<string, string> = peer.namespaceSelector.matchLabels ?? {};
    const podLabels: Record<string, string> = peer.podSelector?.matchLabels ?? {};
    const ns = labels['kubernetes.io/metadata.name'] ?? 'elsewhere';
    const tokens = [
      ...Object.entries(podLabels).map(([k, v]) => `\`${k}=${v}\``),
      labels['kubernetes.io/metadata.name'] ? `namespace \`${ns}\`` : '',
    ];
    outside.set(JSON.stringify(peer), {
      name: JSON.stringify(peer),
      peer: { kind: 'pod', namespace: ns, namespaceLabels: labels, podLabels },
      matches: (cell) => /pods /.test(cell) && tokens.every((t) => cell.includes(t)),
    });
  }
  const addresses = new Set<string>();
  for (const { ipBlock } of peers.filter((p: any) => p.ipBlock)) {
    for (const cidr of [ipBlock.cidr, ...(ipBlock.except ?? [])]) addresses.add(firstAddress(cidr));
  }
  for (const ip of addresses) {
    outside.set(ip, { name: ip, peer: { kind: 'ip', ip }, matches: (cell) => addressListed(cell, ip) });
  }
  return { pods, outside: [...outside.values()] };
}

/** The first address after a network's base: `10.0.0.1` of `10.0.0.0/8`, `fc00::1` of `fc00::/7`. */
function firstAddress(cidr: string): string {
  const base = cidr.split('/')[0]!;
  if (base.includes(':')) return base.endsWith('::') ? `${base}1` : `${base}::1`;
  const octets = base.split('.').map(Number);
  octets[3] = octets[3]! + 1;
  return octets.join('.');
}

/** Whether a table cell `addresses `cidr` except `a`, `b`; ...` covers an address. */
function addressListed(cell: string, ip: string): boolean {
  if (!cell.startsWith('addresses ')) return false;
  return cell
    .slice('addresses '.length)
    .split('; ')
    .some((block) => {
      const [cidr, ...except] = [...block.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
      return cidr !== undefined && inCidr(ip, cidr) && !except.some((e) => inCidr(ip, e));
    });
}

/**
 * The ports worth asking about: each port a policy names (and the end of its range) with its
 * protocol, plus port 1 on each protocol, which only a rule without ports (or port numbers) allows.
 */
function candidatePorts(policies: readonly any[]): [number, Protocol][] {
  const ports = policies.flatMap((o) =>
    [...(o.spec.ingress ?? []), ...(o.spec.egress ?? [])].flatMap((rule: any) => rule.ports ?? []),
  );
  const candidates = new Map<string, [number, Protocol]>();
  const add = (port: number, protocol: Protocol) => candidates.set(`${protocol}/${port}`, [port, protocol]);
  for (const protocol of new Set<Protocol>(['TCP', ...ports.map((p: any) => p.protocol ?? 'TCP')])) add(1, protocol);
  for (const p of ports) {
    if (typeof p.port === 'number') add(p.port, p.protocol ?? 'TCP');
    if (p.endPort) add(p.endPort, p.protocol ?? 'TCP');
  }
  return [...candidates.values()];
}

/** The ports of a table cell, `TCP 443, 8000-8010; UDP 53`, as single ports (range ends only). */
function listedPorts(cell: string): [number, Protocol][] {
  if (cell === 'all ports') return [];
  return cell.split('; ').flatMap((part) => {
    const [protocol, list] = [part.slice(0, part.indexOf(' ')), part.slice(part.indexOf(' ') + 1)];
    return list
      .split(', ')
      .flatMap((item) => item.split('-').map((n): [number, Protocol] => [Number(n), protocol as Protocol]));
  });
}

function portListed(cell: string, port: number, protocol: Protocol): boolean {
  if (cell === 'all ports') return true;
  return cell.split('; ').some((part) => {
    const [name, list] = [part.slice(0, part.indexOf(' ')), part.slice(part.indexOf(' ') + 1)];
    if (name !== protocol) return false;
    return list.split(', ').some((item) => {
      const [from, to = from] = item.split('-').map(Number);
      return from !== undefined && to !== undefined && port >= from && port <= to;
    });
  });
}
