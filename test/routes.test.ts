/**
 * `ingress.kind`: a Traefik IngressRoute (the default, see ingress-route.test.ts), a Gateway API
 * HTTPRoute or an Ingress, each alone, each sending the host to the server, and each kind's keys
 * refused with another kind.
 */
import type { Manifest } from '../src/output';
import { NGINX_INGRESS } from './support/modes';
import { allowed, type Peer } from './support/netpol';
import { ROUTE_KINDS, routeBackends } from './support/routes';
import { configError, findOne, replace, synth } from './support/synth';

const MINIMAL = 'domain: example.com\noauth: { clientId: immich }\n';
const GATEWAY = { name: 'public', namespace: 'gateway', sectionName: 'https' };
const routed = (ingress: Record<string, unknown>, overrides: Record<string, unknown> = {}) =>
  synth({ ingress: replace(ingress), ...overrides });

/** Each route object of the manifests as `apiVersion/kind name`. */
const routesOf = (manifests: readonly Manifest[]) =>
  manifests
    .map((m) => m.object)
    .filter((o) => (Object.values(ROUTE_KINDS) as string[]).includes(`${o.apiVersion}/${o.kind}`))
    .map((o) => `${o.apiVersion}/${o.kind} ${o.metadata.name}`);

describe('ingress.kind', () => {
  test.each([
    ['ingressroute', {}],
    ['httproute', { gateway: GATEWAY }],
    ['ingress', {}],
  ] as const)('%s writes its own kind of route, named immich, and no other', (kind, keys) => {
    expect(routesOf(routed({ kind, ...keys }))).toEqual([`${ROUTE_KINDS[kind]} immich`]);
  });

  test('the example keeps its Traefik IngressRoute', () => {
    expect(routesOf(synth())).toEqual([`${ROUTE_KINDS.ingressroute} immich`]);
  });

  test('fails on an unknown kind, listing the kinds', () => {
    const message = configError(`${MINIMAL}ingress: { kind: gateway, gateway: { name: public } }\n`);
    expect(message).toContain('ingress.kind: must be one of "ingressroute", "httproute", "ingress", got "gateway"');
    expect(message).not.toContain('ingress.gateway');
  });
});

describe('httproute', () => {
  const manifests = routed({ kind: 'httproute', gateway: GATEWAY });
  const route = findOne(manifests, 'HTTPRoute', 'immich');
  const [rule] = route.spec.rules;

  test('is a Gateway API v1 HTTPRoute attached to the configured Gateway listener', () => {
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.spec.parentRefs).toEqual([{ name: 'public', namespace: 'gateway', sectionName: 'https' }]);
  });

  test("leaves the Gateway's namespace and listener to the API when not configured: the route's namespace, every listener", () => {
    const plain = findOne(routed({ kind: 'httproute', gateway: { name: 'public' } }), 'HTTPRoute', 'immich');
    expect(plain.spec.parentRefs).toEqual([{ name: 'public' }]);
  });

  test('matches the host on every path and sends it to immich-server on 2283', () => {
    expect(route.spec.hostnames).toEqual(['immich.example.com']);
    expect(rule.matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
    expect(rule.backendRefs).toEqual([{ name: 'immich-server', port: 2283 }]);
    const [backend] = routeBackends(route);
    const service = findOne(manifests, 'Service', backend!.service);
    expect(service.spec.ports.map((p: any) => p.port)).toContain(backend!.port);
  });

  test('follows host', () => {
    const other = routed({ kind: 'httproute', gateway: GATEWAY }, { host: 'photos.example.org' });
    expect(findOne(other, 'HTTPRoute', 'immich').spec.hostnames).toEqual(['photos.example.org']);
  });

  test('disables the request timeout by default (0s), so that long uploads are not cut', () => {
    expect(rule.timeouts).toEqual({ request: '0s' });
  });

  test('takes ingress.requestTimeout as the request timeout', () => {
    const long = routed({ kind: 'httproute', gateway: GATEWAY, requestTimeout: '1h30m' });
    expect(findOne(long, 'HTTPRoute', 'immich').spec.rules[0].timeouts).toEqual({ request: '1h30m' });
  });

  test('carries no TLS: the Gateway terminates it', () => {
    expect(JSON.stringify(route.spec)).not.toMatch(/tls|certificate/i);
  });

  test('fails without ingress.gateway.name, naming what it is', () => {
    expect(configError(`${MINIMAL}ingress: { kind: httproute }\n`)).toContain(
      'ingress.gateway.name: required with ingress.kind "httproute": the Gateway the route attaches to',
    );
  });

  test.each([
    ['tls', '{ certResolver: letsencrypt }', 'TLS belongs to the Gateway: put the certificate on its HTTPS listener'],
    [
      'entryPoints',
      '[websecure]',
      "the Gateway's listeners decide where traffic enters: pick one with ingress.gateway.sectionName",
    ],
    ['readTimeoutRaised', 'true', 'used with ingress.kind "ingressroute" only'],
    ['className', 'nginx', 'used with ingress.kind "ingress" only'],
    ['annotations', '{ a: b }', 'used with ingress.kind "ingress" only'],
  ])('fails on ingress.%s, saying what to do instead', (key, value, instead) => {
    const message = configError(
      `${MINIMAL}ingress: { kind: httproute, gateway: { name: public }, ${key}: ${value} }\n`,
    );
    expect(message).toContain(`ingress.${key}: not used with ingress.kind "httproute": `);
    expect(message).toContain(instead);
  });

  test.each(['forever', '1d', '90 s', '-1s', '100000s'])(
    'fails on request timeout %j, which is no Gateway API duration',
    (value) => {
      expect(
        configError(`${MINIMAL}ingress: { kind: httproute, gateway: { name: public }, requestTimeout: "${value}" }\n`),
      ).toContain(`ingress.requestTimeout: must be a Gateway API duration like "0s", "30m" or "1h30m", got "${value}"`);
    },
  );

  test('fails on a Gateway name or listener that is no DNS name', () => {
    const message = configError(
      `${MINIMAL}ingress: { kind: httproute, gateway: { name: Public_GW, namespace: gate.way, sectionName: HTTPS } }\n`,
    );
    expect(message).toContain(
      'ingress.gateway.name: must be a lower-case DNS name like "public-gateway", got "Public_GW"',
    );
    expect(message).toContain(
      'ingress.gateway.namespace: must be a lower-case DNS label like "gateway", got "gate.way"',
    );
    expect(message).toContain('ingress.gateway.sectionName: must be a listener name like "https", got "HTTPS"');
  });

  test("the Gateway's pods, selected by networkPolicy.ingressController, reach the server and Traefik's no longer do", () => {
    const envoy = { 'gateway.envoyproxy.io/owning-gateway-name': 'public' };
    const policies = routed(
      { kind: 'httproute', gateway: GATEWAY },
      {
        networkPolicy: {
          ingressController: {
            namespaceSelector: replace({ 'kubernetes.io/metadata.name': 'envoy-gateway-system' }),
            podSelector: replace(envoy),
          },
        },
      },
    ).map((m) => m.object);
    const server: Peer = {
      kind: 'pod',
      namespace: 'immich',
      namespaceLabels: { 'kubernetes.io/metadata.name': 'immich' },
      podLabels: findOne(manifests, 'Deployment', 'immich-server').spec.template.metadata.labels,
    };
    const pod = (namespace: string, podLabels: Record<string, string>): Peer => ({
      kind: 'pod',
      namespace,
      namespaceLabels: { 'kubernetes.io/metadata.name': namespace },
      podLabels,
    });
    expect(allowed(policies, pod('envoy-gateway-system', envoy), server, 2283)).toBe(true);
    expect(allowed(policies, pod('traefik', { 'app.kubernetes.io/name': 'traefik' }), server, 2283)).toBe(false);
  });
});

describe('ingress', () => {
  const manifests = synth({ ...NGINX_INGRESS, ingress: replace(NGINX_INGRESS.ingress) });
  const ingress = findOne(manifests, 'Ingress', 'immich');

  test('is a networking.k8s.io/v1 Ingress sending the host on every path to immich-server on 2283', () => {
    expect(ingress.apiVersion).toBe('networking.k8s.io/v1');
    expect(ingress.spec.rules).toEqual([
      {
        host: 'immich.example.com',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'immich-server', port: { number: 2283 } } } },
          ],
        },
      },
    ]);
  });

  test('takes its class from ingress.className, and leaves it to the cluster default without', () => {
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(findOne(routed({ kind: 'ingress' }), 'Ingress', 'immich').spec).not.toHaveProperty('ingressClassName');
  });

  test('takes the certificate of the host from ingress.tls.secretName, and has no TLS section without', () => {
    expect(ingress.spec.tls).toEqual([{ hosts: ['immich.example.com'], secretName: 'immich-tls' }]);
    expect(findOne(routed({ kind: 'ingress' }), 'Ingress', 'immich').spec).not.toHaveProperty('tls');
    expect(findOne(routed({ kind: 'ingress', tls: {} }), 'Ingress', 'immich').spec).not.toHaveProperty('tls');
  });

  test('carries ingress.annotations for the controller, beside its Argo CD sync wave', () => {
    expect(ingress.metadata.annotations).toEqual({
      ...NGINX_INGRESS.ingress.annotations,
      'argocd.argoproj.io/sync-wave': '4',
    });
  });

  test('fails on an annotation value YAML reads as a number or boolean, asking for quotes', () => {
    const message = configError(
      `${MINIMAL}ingress:\n  kind: ingress\n  annotations:\n    nginx.ingress.kubernetes.io/proxy-body-size: 0\n    a.io/b: true\n`,
    );
    expect(message).toContain(
      'ingress.annotations.nginx.ingress.kubernetes.io/proxy-body-size: must be a string; quote numbers and booleans, like "0" or "true", got 0',
    );
    expect(message).toContain('ingress.annotations.a.io/b: must be a string; quote numbers and booleans');
  });

  test('fails on an annotation key that is no qualified name, and on the Argo CD annotations the manifests set', () => {
    const message = configError(
      `${MINIMAL}ingress:\n  kind: ingress\n  annotations:\n    "bad key": x\n    argocd.argoproj.io/sync-wave: "9"\n`,
    );
    expect(message).toContain(
      'ingress.annotations.bad key: must be an annotation key like "nginx.ingress.kubernetes.io/proxy-body-size"',
    );
    expect(message).toContain(
      'ingress.annotations.argocd.argoproj.io/sync-wave: set by the manifests themselves for Argo CD; remove it, got "9"',
    );
  });

  test('fails on a Traefik cert resolver, pointing at a TLS Secret instead', () => {
    expect(configError(`${MINIMAL}ingress: { kind: ingress, tls: { certResolver: letsencrypt } }\n`)).toContain(
      'ingress.tls.certResolver: a Traefik IngressRoute setting, not used with ingress.kind "ingress": name the certificate\'s Secret in ingress.tls.secretName',
    );
  });

  test.each([
    ['entryPoints', 'ingressroute', '[websecure]'],
    ['gateway', 'httproute', '{ name: public }'],
    ['requestTimeout', 'httproute', '30m'],
  ])('fails on ingress.%s, which only kind %s uses', (key, kind, value) => {
    expect(configError(`${MINIMAL}ingress: { kind: ingress, ${key}: ${value} }\n`)).toContain(
      `ingress.${key}: not used with ingress.kind "ingress": it is used with ingress.kind "${kind}" only; remove it or change the kind`,
    );
  });
});

describe('ingressroute', () => {
  test.each([
    ['gateway', '{ name: public }'],
    ['requestTimeout', '0s'],
    ['className', 'traefik'],
    ['annotations', '{ a: b }'],
  ])('fails on ingress.%s, which the default kind does not use', (key, value) => {
    expect(configError(`${MINIMAL}ingress: { ${key}: ${value} }\n`)).toContain(
      `ingress.${key}: not used with ingress.kind "ingressroute": `,
    );
  });
});
