/**
 * The objects that route the public host to a Service, of every kind the app can write, read the
 * way each API defines them (not with the app's own code).
 */

/** Route kinds by `apiVersion/kind`, as `ingress.kind` names them. */
export const ROUTE_KINDS = {
  ingressroute: 'traefik.io/v1alpha1/IngressRoute',
  httproute: 'gateway.networking.k8s.io/v1/HTTPRoute',
  ingress: 'networking.k8s.io/v1/Ingress',
} as const;

/** A Service port a route sends traffic to. */
export interface RouteBackend {
  /** `Kind/name` of the route. */
  readonly route: string;
  readonly service: string;
  /** A Service port number, or its name. */
  readonly port: number | string | undefined;
}

/** Whether an object is a route of one of the kinds. */
export function isRoute(object: any): boolean {
  return (Object.values(ROUTE_KINDS) as string[]).includes(`${object.apiVersion}/${object.kind}`);
}

/** Each Service port a route sends traffic to; a backend of another kind than Service counts as none. */
export function routeBackends(object: any): RouteBackend[] {
  const route = `${object.kind}/${object.metadata.name}`;
  const service = (kind: string | undefined) => (kind ?? 'Service') === 'Service';
  switch (`${object.apiVersion}/${object.kind}`) {
    case ROUTE_KINDS.ingressroute:
      return (object.spec.routes ?? []).flatMap((r: any) =>
        (r.services ?? [])
          .filter((s: any) => service(s.kind))
          .map((s: any) => ({ route, service: s.name, port: s.port })),
      );
    case ROUTE_KINDS.httproute:
      return (object.spec.rules ?? []).flatMap((r: any) =>
        (r.backendRefs ?? [])
          .filter((b: any) => (b.group ?? '') === '' && service(b.kind))
          .map((b: any) => ({ route, service: b.name, port: b.port })),
      );
    case ROUTE_KINDS.ingress: {
      const backends = [
        object.spec.defaultBackend,
        ...(object.spec.rules ?? []).flatMap((r: any) => (r.http?.paths ?? []).map((p: any) => p.backend)),
      ].filter((b: any) => b?.service);
      return backends.map((b: any) => ({
        route,
        service: b.service.name,
        port: b.service.port?.number ?? b.service.port?.name,
      }));
    }
    default:
      return [];
  }
}

/** The Secrets a route takes its certificate from. */
export function routeTlsSecrets(object: any): string[] {
  switch (`${object.apiVersion}/${object.kind}`) {
    case ROUTE_KINDS.ingressroute:
      return object.spec.tls?.secretName ? [object.spec.tls.secretName] : [];
    case ROUTE_KINDS.ingress:
      return (object.spec.tls ?? []).map((t: any) => t.secretName).filter(Boolean);
    default:
      return [];
  }
}
