import { findOne, replace, synth } from './support/synth';

const route = (overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) =>
  findOne(synth(overrides, env), 'IngressRoute', 'immich');

describe('ingress-route', () => {
  const manifests = synth();
  const ingress = findOne(manifests, 'IngressRoute', 'immich');
  const [rule] = ingress.spec.routes;

  test('ingress is a Traefik v1alpha1 IngressRoute', () => {
    expect(ingress.apiVersion).toBe('traefik.io/v1alpha1');
    expect(ingress.kind).toBe('IngressRoute');
  });

  test('ingress matches Host(`immich.example.com`) by default', () => {
    expect(ingress.spec.routes).toHaveLength(1);
    expect(rule.kind).toBe('Rule');
    expect(rule.match).toBe('Host(`immich.example.com`)');
  });

  test('ingress match follows host', () => {
    expect(route({ host: 'photos.example.org' }).spec.routes[0].match).toBe('Host(`photos.example.org`)');
  });

  test('ingress default host follows BASE_DOMAIN', () => {
    expect(route({}, { BASE_DOMAIN: 'home.lan' }).spec.routes[0].match).toBe('Host(`immich.home.lan`)');
  });

  test('ingress sends traffic to immich-server on 2283', () => {
    expect(rule.services).toEqual([{ name: 'immich-server', port: 2283 }]);
  });

  test('ingress backend is a port of the server Service', () => {
    const [backend] = rule.services;
    const service = findOne(manifests, 'Service', backend.name);
    expect(service.spec.ports.map((p: any) => p.port)).toContain(backend.port);
  });

  test('ingress entryPoints default to websecure', () => {
    expect(ingress.spec.entryPoints).toEqual(['websecure']);
  });

  test('ingress entryPoints follow ingress.entryPoints', () => {
    expect(route({ ingress: { entryPoints: ['web', 'internal'] } }).spec.entryPoints).toEqual(['web', 'internal']);
  });

  test('ingress TLS uses the letsencrypt cert resolver by default', () => {
    expect(ingress.spec.tls).toEqual({ certResolver: 'letsencrypt' });
  });

  test('ingress TLS uses secretName when configured', () => {
    expect(route({ ingress: { tls: replace({ secretName: 'immich-tls' }) } }).spec.tls).toEqual({
      secretName: 'immich-tls',
    });
  });

  test('ingress has no TLS section with tls {}', () => {
    expect(route({ ingress: { tls: replace({}) } }).spec).not.toHaveProperty('tls');
  });
});
