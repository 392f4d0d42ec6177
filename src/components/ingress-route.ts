import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { IngressRoute, IngressRouteSpecRoutesKind, IngressRouteSpecRoutesServicesPort } from '../../imports/traefik.io';
import { NAMES } from '../constants';
import { SYNC_WAVES, syncPolicy } from '../lib/argocd';
import type { Endpoint } from '../lib/pod';
import { type TraefikService, traefikServiceName } from '../lib/traefik';

export interface ImmichIngressRouteProps {
  /** Public host name. */
  readonly host: string;
  /** Traefik entry points, e.g. `websecure`. */
  readonly entryPoints: readonly string[];
  /** TLS by cert resolver or existing secret; neither means no TLS section. */
  readonly tls: { readonly certResolver?: string; readonly secretName?: string };
  /** The server Service. */
  readonly server: Endpoint;
}

/**
 * Traefik v3 IngressRoute sending the public host to the server. Large uploads also need a longer
 * entry point read timeout, which is static Traefik configuration (see docs/routes.md#ingressroute).
 * @see https://doc.traefik.io/traefik/routing/providers/kubernetes-crd/
 */
export class ImmichIngressRoute extends Construct {
  /** The name Traefik gives the route's service: the `service` label of its request metrics. */
  readonly metricsService: TraefikService;

  constructor(scope: Construct, id: string, props: ImmichIngressRouteProps) {
    super(scope, id);
    const { certResolver, secretName } = props.tls;
    const match = `Host(\`${props.host}\`)`;
    const route = new IngressRoute(this, 'route', {
      metadata: { name: NAMES.ingressRoute },
      spec: {
        entryPoints: [...props.entryPoints],
        routes: [
          {
            kind: IngressRouteSpecRoutesKind.RULE,
            match,
            services: [
              { name: props.server.host, port: IngressRouteSpecRoutesServicesPort.fromNumber(props.server.port) },
            ],
          },
        ],
        tls: certResolver || secretName ? { certResolver, secretName } : undefined,
      },
    });
    syncPolicy(route, { wave: SYNC_WAVES.ingress, customResource: true });
    this.metricsService = {
      value: traefikServiceName(Chart.of(this).namespace ?? 'default', NAMES.ingressRoute, match),
      regex: false,
    };
  }
}
