import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { HttpRoute, HttpRouteSpecRulesMatchesPathType } from '../../imports/gateway.networking.k8s.io';
import { NAMES } from '../constants';
import { SYNC_WAVES, syncPolicy } from '../lib/argocd';
import type { Endpoint } from '../lib/pod';
import { type TraefikService, traefikGatewayService } from '../lib/traefik';

export interface ImmichHttpRouteProps {
  /** Public host name. */
  readonly host: string;
  /** The Gateway the route attaches to; it terminates TLS. */
  readonly gateway: {
    readonly name: string;
    /** @default the route's namespace */
    readonly namespace?: string;
    /** One listener of the Gateway. @default every listener that admits the route */
    readonly sectionName?: string;
  };
  /** `timeouts.request`, a Gateway API duration; `0s` disables the timeout. */
  readonly requestTimeout: string;
  /** The server Service. */
  readonly server: Endpoint;
}

/**
 * Gateway API HTTPRoute (`gateway.networking.k8s.io/v1`) sending the public host to the server
 * through a Gateway, which owns the listeners and TLS. `timeouts.request` is an Extended feature:
 * gateways without it (Traefik among them) keep their own timeouts (see docs/routes.md#httproute).
 * @see https://gateway-api.sigs.k8s.io/api-types/httproute/
 */
export class ImmichHttpRoute extends Construct {
  /** The service Traefik makes for the route, when Traefik is the gateway: the `service` label of its request metrics. */
  readonly metricsService: TraefikService;

  constructor(scope: Construct, id: string, props: ImmichHttpRouteProps) {
    super(scope, id);
    const { name, namespace, sectionName } = props.gateway;
    const path = { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: '/' };
    const route = new HttpRoute(this, 'route', {
      metadata: { name: NAMES.httpRoute },
      spec: {
        parentRefs: [{ name, namespace, sectionName }],
        hostnames: [props.host],
        rules: [
          {
            // Written out, though it is the API's default, so that Traefik's rule (and the metrics' service name) is known.
            matches: [{ path }],
            backendRefs: [{ name: props.server.host, port: props.server.port }],
            timeouts: { request: props.requestTimeout },
          },
        ],
      },
    });
    syncPolicy(route, { wave: SYNC_WAVES.ingress, customResource: true });
    const routeNamespace = Chart.of(this).namespace ?? 'default';
    this.metricsService = traefikGatewayService(
      routeNamespace,
      NAMES.httpRoute,
      { namespace: namespace ?? routeNamespace, name },
      `Host("${props.host}") && PathPrefix("${path.value}")`,
      props.server.host,
    );
  }
}
