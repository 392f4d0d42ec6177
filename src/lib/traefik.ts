/**
 * The names Traefik gives the service of a route, which its request metrics carry in their
 * `service` label (`traefik_service_requests_total{service="..."}`). Each provider of Traefik v3
 * names them its own way; these follow its source (pkg/provider/kubernetes/{crd,gateway,ingress}).
 * @see https://doc.traefik.io/traefik/observability/metrics/overview/
 */
import { createHash } from 'node:crypto';
import { TRAEFIK_PROVIDERS } from '../constants';

/** Traefik's `service` label of a route: one name, or a regular expression where the cluster decides a part. */
export interface TraefikService {
  readonly value: string;
  /** `value` is a PromQL regular expression (`=~`), not a name. */
  readonly regex: boolean;
}

/** Every run of characters other than letters and digits turned into `-`, as `provider.Normalize` does. */
function normalize(name: string): string {
  return name
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .join('-');
}

/** The first 10 bytes of the rule's SHA-256 in hex, as Traefik's `%.10x` prints them. */
function ruleHash(rule: string): string {
  return createHash('sha256').update(rule).digest('hex').slice(0, 20);
}

/**
 * The service Traefik's CRD provider makes for a route of an IngressRoute with one Kubernetes
 * Service: `<namespace>-<IngressRoute>-<hash of the match>@kubernetescrd` (`makeServiceKey`). Only
 * a route with several services names them `<namespace>-<Service>-<port>`.
 */
export function traefikServiceName(namespace: string, ingressRoute: string, match: string): string {
  return `${normalize(`${namespace}/${ingressRoute}-${ruleHash(match)}`)}@${TRAEFIK_PROVIDERS.crd}`;
}

/** Where an HTTPRoute attaches: its Gateway, and the Traefik entry point of the listener. */
export interface GatewayListener {
  readonly namespace: string;
  readonly name: string;
  /**
   * The entry point Traefik serves the listener on (the one whose port is the listener's). Unset
   * gives a regular expression for any of them: a route can attach to several listeners.
   */
  readonly entryPoint?: string;
}

/**
 * The service Traefik's Gateway API provider makes for the first backend of the first rule of an
 * HTTPRoute, with one match: `<route key>-<hash of the rule>-svc-<namespace>-<Service>-0`, where
 * the route key is `httproute-<namespace>-<route>-gw-<gateway namespace>-<gateway>-ep-<entry
 * point>-0` (`loadHTTPRoute`, `makeRouterName`, `loadService` in pkg/provider/kubernetes/gateway).
 * The rule is the one Traefik builds from the hostnames and the match, e.g.
 * `Host("photos.example.com") && PathPrefix("/")`.
 */
export function traefikGatewayService(
  namespace: string,
  httpRoute: string,
  gateway: GatewayListener,
  rule: string,
  service: string,
): TraefikService {
  const entryPoint = gateway.entryPoint === undefined ? '.+' : normalize(gateway.entryPoint);
  const key = `${normalize(`httproute-${namespace}-${httpRoute}-gw-${gateway.namespace}-${gateway.name}-ep`)}-${entryPoint}-0`;
  return {
    value: `${key}-${ruleHash(rule)}-svc-${namespace}-${service}-0@${TRAEFIK_PROVIDERS.gateway}`,
    regex: gateway.entryPoint === undefined,
  };
}

/**
 * The service Traefik's Ingress provider makes for a path of an Ingress:
 * `<namespace>-<Service>-<port number or name>@kubernetes`, whatever the Ingress is called.
 */
export function traefikIngressServiceName(namespace: string, service: string, port: number | string): string {
  return `${normalize(`${namespace}-${service}-${port}`)}@${TRAEFIK_PROVIDERS.ingress}`;
}
