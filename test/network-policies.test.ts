import type { Manifest } from '../src/output';
import { allowed, inCidr, type Peer, type Protocol } from './support/netpol';
import { findOne, replace, synth } from './support/synth';

type Port = readonly [number, Protocol];
type PodPeer = Extract<Peer, { kind: 'pod' }>;

const PORTS: readonly Port[] = [
  [53, 'UDP'],
  [53, 'TCP'],
  [80, 'TCP'],
  [443, 'TCP'],
  [2283, 'TCP'],
  [3003, 'TCP'],
  [5432, 'TCP'],
  [6379, 'TCP'],
  [8000, 'TCP'],
  [8080, 'TCP'],
  [8443, 'TCP'],
];

const pod = (namespace: string, podLabels: Record<string, string>): PodPeer => ({
  kind: 'pod',
  namespace,
  namespaceLabels: { 'kubernetes.io/metadata.name': namespace },
  podLabels,
});
const ip = (address: string): Peer => ({ kind: 'ip', ip: address });

/** The Immich pods as the workloads label them, in the namespace as the Namespace object labels it. */
function immichPods(manifests: readonly Manifest[]) {
  const namespace = findOne(manifests, 'Namespace', 'immich');
  const { labels } = namespace.metadata as { labels?: Record<string, string> };
  const namespaceLabels = { ...labels, 'kubernetes.io/metadata.name': namespace.metadata.name };
  const of = (kind: string, name: string): PodPeer => {
    const workload = findOne(manifests, kind, name);
    return {
      kind: 'pod',
      namespace: namespace.metadata.name,
      namespaceLabels,
      podLabels: workload.spec.template.metadata.labels,
    };
  };
  return {
    server: of('Deployment', 'immich-server'),
    'machine-learning': of('Deployment', 'immich-machine-learning'),
    postgres: of('StatefulSet', 'immich-postgres'),
    valkey: of('Deployment', 'valkey'),
  };
}

const manifests = synth();
const objects = manifests.map((m) => m.object);
const IMMICH = immichPods(manifests);
const OUTSIDE = {
  traefik: pod('traefik', { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/instance': 'traefik-traefik' }),
  'traefik-neighbour': pod('traefik', { 'app.kubernetes.io/name': 'whoami' }),
  // Another namespace's pod wearing the server's labels: a podSelector-only peer must not match it.
  'other-namespace': pod('media', { ...IMMICH.server.podLabels }),
  'kube-dns': pod('kube-system', { 'k8s-app': 'kube-dns' }),
  internet: ip('140.82.112.3'),
  lan: ip('192.168.1.10'),
};
const PEERS: Record<string, Peer> = { ...IMMICH, ...OUTSIDE };
const peer = (name: string): Peer => {
  const found = PEERS[name];
  if (!found) throw new Error(`unknown peer ${name}`);
  return found;
};

/** Every allowed connection between distinct peers on the relevant ports, as "from → to port/protocol". */
function allowedMatrix(policies: readonly unknown[]): string[] {
  const entries: string[] = [];
  for (const [fromName, from] of Object.entries(PEERS)) {
    for (const [toName, to] of Object.entries(PEERS)) {
      if (fromName === toName) continue;
      for (const [port, protocol] of PORTS) {
        if (allowed(policies, from, to, port, protocol)) entries.push(`${fromName} → ${toName} ${port}/${protocol}`);
      }
    }
  }
  return entries.sort();
}

const involvesImmich = (entry: string) => Object.keys(IMMICH).some((name) => entry.split(' ').includes(name));

const policiesOf = (overrides: Record<string, unknown>) => synth(overrides).map((m) => m.object);

describe('network policies', () => {
  test.each<[string, string, number, Protocol]>([
    ['traefik', 'server', 2283, 'TCP'],
    ['server', 'postgres', 5432, 'TCP'],
    ['server', 'valkey', 6379, 'TCP'],
    ['server', 'machine-learning', 3003, 'TCP'],
    ['server', 'kube-dns', 53, 'UDP'],
    ['server', 'kube-dns', 53, 'TCP'],
    ['machine-learning', 'kube-dns', 53, 'UDP'],
    ['machine-learning', 'kube-dns', 53, 'TCP'],
    ['postgres', 'kube-dns', 53, 'UDP'],
    ['postgres', 'kube-dns', 53, 'TCP'],
    ['valkey', 'kube-dns', 53, 'UDP'],
    ['valkey', 'kube-dns', 53, 'TCP'],
    ['server', 'internet', 443, 'TCP'],
    ['machine-learning', 'internet', 443, 'TCP'],
    ['server', 'traefik', 8443, 'TCP'],
  ])('%s may connect to %s on %d/%s', (from, to, port, protocol) => {
    expect(allowed(objects, peer(from), peer(to), port, protocol)).toBe(true);
  });

  test('no connection to or from an Immich pod is allowed beyond the paths Immich uses', () => {
    const expected = [
      'traefik → server 2283/TCP',
      'server → postgres 5432/TCP',
      'server → valkey 6379/TCP',
      'server → machine-learning 3003/TCP',
      'server → kube-dns 53/UDP',
      'server → kube-dns 53/TCP',
      'machine-learning → kube-dns 53/UDP',
      'machine-learning → kube-dns 53/TCP',
      'postgres → kube-dns 53/UDP',
      'postgres → kube-dns 53/TCP',
      'valkey → kube-dns 53/UDP',
      'valkey → kube-dns 53/TCP',
      'server → internet 443/TCP',
      // The default serverEgress is every address, so that an issuer on the LAN is reachable.
      'server → lan 443/TCP',
      'machine-learning → internet 443/TCP',
      // An OIDC issuer published behind the same Traefik is reached through its entry points.
      'server → traefik 8000/TCP',
      'server → traefik 8443/TCP',
    ];
    expect(allowedMatrix(objects).filter(involvesImmich)).toEqual([...expected].sort());
  });

  test.each(['postgres', 'valkey'] as const)('%s accepts connections only from the server', (name) => {
    const target = IMMICH[name];
    const sources = Object.keys(PEERS).filter((source) => source !== name);
    const accepted = sources.filter((source) =>
      PORTS.some(([port, protocol]) => allowed(objects, peer(source), target, port, protocol)),
    );
    expect(accepted).toEqual(['server']);
    expect(allowed(objects, IMMICH['machine-learning'], target, name === 'postgres' ? 5432 : 6379)).toBe(false);
    expect(allowed(objects, OUTSIDE.traefik, target, name === 'postgres' ? 5432 : 6379)).toBe(false);
  });

  test.each(['postgres', 'valkey'] as const)('%s opens no connection except DNS queries', (name) => {
    const source = IMMICH[name];
    const opened = Object.keys(PEERS).flatMap((to) =>
      PORTS.filter(([port, protocol]) => to !== name && allowed(objects, source, peer(to), port, protocol)).map(
        ([port, protocol]) => `${to} ${port}/${protocol}`,
      ),
    );
    expect(opened).toEqual(['kube-dns 53/UDP', 'kube-dns 53/TCP']);
  });

  test('machine learning cannot reach private, shared or link-local addresses', () => {
    const ml = IMMICH['machine-learning'];
    for (const address of [
      '192.168.1.10',
      '10.1.2.3',
      '172.16.5.4',
      '169.254.169.254',
      '100.64.0.1',
      'fd00::1',
      'fe80::1',
    ]) {
      expect([address, allowed(objects, ml, ip(address), 443)]).toEqual([address, false]);
    }
    expect(allowed(objects, ml, ip('2606:4700:4700::1111'), 443)).toBe(true);
  });

  test('machine learning cannot reach the internet when modelDownloads is false', () => {
    const policies = policiesOf({ networkPolicy: { modelDownloads: false } });
    const ml = IMMICH['machine-learning'];
    expect(allowed(policies, ml, OUTSIDE.internet, 443)).toBe(false);
    expect(allowed(policies, ml, ip('2606:4700:4700::1111'), 443)).toBe(false);
    expect(allowed(policies, ml, OUTSIDE['kube-dns'], 53, 'UDP')).toBe(true);
    expect(allowed(policies, IMMICH.server, ml, 3003)).toBe(true);
  });

  test('serverEgress cidrs and ports decide where the server may connect outside the cluster', () => {
    const policies = policiesOf({ networkPolicy: { serverEgress: { cidrs: ['203.0.113.0/24'], ports: [8443] } } });
    expect(allowed(policies, IMMICH.server, ip('203.0.113.7'), 8443)).toBe(true);
    expect(allowed(policies, IMMICH.server, ip('203.0.114.7'), 8443)).toBe(false);
    expect(allowed(policies, IMMICH.server, OUTSIDE.internet, 443)).toBe(false);
    expect(allowed(policies, IMMICH.server, OUTSIDE.internet, 8443)).toBe(false);
  });

  test('the default issuer port 443 stays open to the serverEgress cidrs beside serverEgress.ports', () => {
    const policies = policiesOf({ networkPolicy: { serverEgress: { cidrs: ['203.0.113.0/24'], ports: [8443] } } });
    expect(allowed(policies, IMMICH.server, ip('203.0.113.7'), 443)).toBe(true);
  });

  test('a custom issuer port is opened for the server', () => {
    const policies = policiesOf({ oauth: { issuerUrl: 'https://auth.example.com:9443/application/o/immich/' } });
    expect(allowed(policies, IMMICH.server, OUTSIDE.internet, 9443)).toBe(true);
    expect(allowed(policies, IMMICH.server, OUTSIDE.internet, 443)).toBe(true);
    expect(allowed(objects, IMMICH.server, OUTSIDE.internet, 9443)).toBe(false);
  });

  test('without OAuth the server reaches only the serverEgress ports outside the cluster', () => {
    const policies = policiesOf({ oauth: { enabled: false }, networkPolicy: { serverEgress: { ports: [] } } });
    expect(
      PORTS.filter(([port, protocol]) => allowed(policies, IMMICH.server, OUTSIDE.internet, port, protocol)),
    ).toEqual([]);
    expect(allowed(policies, IMMICH.server, IMMICH.postgres, 5432)).toBe(true);
  });

  test('ingressController selectors decide which pods reach the server', () => {
    const policies = policiesOf({
      networkPolicy: {
        ingressController: {
          namespaceSelector: replace({ 'kubernetes.io/metadata.name': 'ingress-nginx' }),
          podSelector: replace({ 'app.kubernetes.io/name': 'ingress-nginx' }),
        },
      },
    });
    const nginx = pod('ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' });
    const nginxElsewhere = pod('traefik', { 'app.kubernetes.io/name': 'ingress-nginx' });
    expect(allowed(policies, nginx, IMMICH.server, 2283)).toBe(true);
    expect(allowed(policies, nginx, IMMICH.server, 8080)).toBe(false);
    expect(allowed(policies, nginxElsewhere, IMMICH.server, 2283)).toBe(false);
    expect(allowed(policies, OUTSIDE.traefik, IMMICH.server, 2283)).toBe(false);
  });

  test('ingressController.ports decide which entry points the server may call, and [] closes the path', () => {
    const custom = policiesOf({ networkPolicy: { ingressController: { ports: [443] } } });
    expect(allowed(custom, IMMICH.server, OUTSIDE.traefik, 443)).toBe(true);
    expect(allowed(custom, IMMICH.server, OUTSIDE.traefik, 8443)).toBe(false);
    const closed = policiesOf({ networkPolicy: { ingressController: { ports: [] } } });
    expect(PORTS.some(([port, protocol]) => allowed(closed, IMMICH.server, OUTSIDE.traefik, port, protocol))).toBe(
      false,
    );
  });

  test('the matrix notices a widened rule: postgres open to every source lets outside peers in', () => {
    const widened = structuredClone(objects).map((o: any) => {
      if (o.kind === 'NetworkPolicy' && o.metadata.name === 'immich-postgres') delete o.spec.ingress[0].from;
      return o;
    });
    expect(allowedMatrix(widened).filter(involvesImmich)).toEqual(
      expect.arrayContaining(['traefik → postgres 5432/TCP', 'internet → postgres 5432/TCP']),
    );
    // Machine learning's own egress policy still holds it back.
    expect(allowedMatrix(widened)).not.toContain('machine-learning → postgres 5432/TCP');
  });

  test('networkPolicy.enabled false emits no NetworkPolicy', () => {
    const kinds = synth({ networkPolicy: { enabled: false } }).map((m) => m.object.kind);
    expect(kinds).not.toContain('NetworkPolicy');
    expect(objects.filter((o) => o.kind === 'NetworkPolicy')).not.toHaveLength(0);
  });
});

describe('network policy evaluator', () => {
  const policy = (namespace: string, spec: Record<string, unknown>) => ({
    kind: 'NetworkPolicy',
    metadata: { name: 'test', namespace },
    spec,
  });
  const a = pod('a', { app: 'a' });
  const a2 = pod('a', { app: 'a2' });
  const b = pod('b', { app: 'b' });
  const denyAll = policy('a', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

  test('a default-deny policy isolates every pod of its namespace in both directions, and no other', () => {
    expect(allowed([], a, a2, 80)).toBe(true);
    expect(allowed([denyAll], a, a2, 80)).toBe(false);
    expect(allowed([denyAll], b, a, 80)).toBe(false);
    expect(allowed([denyAll], a, b, 80)).toBe(false);
    expect(allowed([denyAll], b, pod('c', {}), 80)).toBe(true);
  });

  test('a connection needs both the egress of its source and the ingress of its destination', () => {
    const egressToB = policy('a', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: {} }] }],
    });
    const denyB = policy('b', { podSelector: {}, policyTypes: ['Ingress'] });
    expect(allowed([egressToB], a, b, 80)).toBe(true);
    expect(allowed([egressToB, denyB], a, b, 80)).toBe(false);
  });

  test('a podSelector alone matches only pods of the policy namespace', () => {
    const fromApp = policy('a', {
      podSelector: { matchLabels: { app: 'a' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'a2' } } }] }],
    });
    expect(allowed([fromApp], a2, a, 80)).toBe(true);
    expect(allowed([fromApp], pod('b', { app: 'a2' }), a, 80)).toBe(false);
  });

  test('namespaceSelector and podSelector in one peer must both match, in two peers either may', () => {
    const and = policy('a', {
      podSelector: {},
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'b' } },
              podSelector: { matchLabels: { app: 'x' } },
            },
          ],
        },
      ],
    });
    const or = policy('a', {
      podSelector: {},
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'b' } } },
            { podSelector: { matchLabels: { app: 'x' } } },
          ],
        },
      ],
    });
    expect(allowed([and], pod('b', { app: 'x' }), a, 80)).toBe(true);
    expect(allowed([and], b, a, 80)).toBe(false);
    expect(allowed([and], pod('a', { app: 'x' }), a, 80)).toBe(false);
    expect(allowed([or], b, a, 80)).toBe(true);
    expect(allowed([or], pod('a', { app: 'x' }), a, 80)).toBe(true);
    expect(allowed([or], pod('c', { app: 'x' }), a, 80)).toBe(false);
  });

  test('ports match by number, range and protocol, TCP by default', () => {
    const web = policy('a', {
      podSelector: {},
      ingress: [{ ports: [{ port: 80 }, { protocol: 'UDP', port: 1000, endPort: 1010 }] }],
    });
    expect(allowed([web], b, a, 80)).toBe(true);
    expect(allowed([web], b, a, 80, 'UDP')).toBe(false);
    expect(allowed([web], b, a, 81)).toBe(false);
    expect(allowed([web], b, a, 1005, 'UDP')).toBe(true);
    expect(allowed([web], b, a, 1005)).toBe(false);
  });

  test('without policyTypes a policy isolates egress only when it has egress rules', () => {
    const ingressOnly = policy('a', { podSelector: {} });
    const withEgress = policy('a', { podSelector: {}, egress: [{ ports: [{ port: 443 }] }] });
    expect(allowed([ingressOnly], a, b, 80)).toBe(true);
    expect(allowed([withEgress], a, b, 80)).toBe(false);
    expect(allowed([withEgress], a, b, 443)).toBe(true);
  });

  test('an ipBlock matches addresses of its CIDR minus the exceptions, never pods', () => {
    const out = policy('a', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }] }],
    });
    expect(allowed([out], a, ip('8.8.8.8'), 53, 'UDP')).toBe(true);
    expect(allowed([out], a, ip('10.20.30.40'), 53, 'UDP')).toBe(false);
    expect(allowed([out], a, ip('2001:4860:4860::8888'), 53, 'UDP')).toBe(false);
    expect(allowed([out], a, b, 53, 'UDP')).toBe(false);
  });

  test('CIDRs match by prefix within one address family', () => {
    expect(inCidr('192.168.1.10', '192.168.0.0/16')).toBe(true);
    expect(inCidr('192.169.1.10', '192.168.0.0/16')).toBe(false);
    expect(inCidr('172.31.255.255', '172.16.0.0/12')).toBe(true);
    expect(inCidr('172.32.0.0', '172.16.0.0/12')).toBe(false);
    expect(inCidr('2606:4700::1111', '::/0')).toBe(true);
    expect(inCidr('1.2.3.4', '::/0')).toBe(false);
    expect(inCidr('::1', '0.0.0.0/0')).toBe(false);
    expect(inCidr('fd12:3456::1', 'fc00::/7')).toBe(true);
    expect(inCidr('fe80::1', 'fc00::/7')).toBe(false);
  });
});
