import { Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { NAMES } from '../constants';
import { SYNC_WAVES, syncPolicy } from '../lib/argocd';
import type { Endpoint } from '../lib/pod';
import { type TraefikService, traefikIngressServiceName } from '../lib/traefik';

export interface ImmichIngressProps {
  /** Public host name. */
  readonly host: string;
  /** `ingressClassName`. @default the cluster's default IngressClass */
  readonly className?: string;
  /** The Secret holding the host's certificate. @default no TLS section */
  readonly tlsSecretName?: string;
  /** Annotations for the controller, e.g. its upload limits. */
  readonly annotations: Readonly<Record<string, string>>;
  /** The server Service. */
  readonly server: Endpoint;
}

/**
 * A `networking.k8s.io/v1` Ingress sending the public host to the server, for any ingress
 * controller. Upload limits and timeouts are the controller's own annotations (see docs/routes.md#ingress).
 * @see https://kubernetes.io/docs/concepts/services-networking/ingress/
 */
export class ImmichIngress extends Construct {
  /** The service Traefik makes for the Ingress, when Traefik is the controller: the `service` label of its request metrics. */
  readonly metricsService: TraefikService;

  constructor(scope: Construct, id: string, props: ImmichIngressProps) {
    super(scope, id);
    const backend = { service: { name: props.server.host, port: { number: props.server.port } } };
    const ingress = new k8s.KubeIngress(this, 'ingress', {
      metadata: {
        name: NAMES.ingress,
        ...(Object.keys(props.annotations).length > 0 ? { annotations: { ...props.annotations } } : {}),
      },
      spec: {
        ingressClassName: props.className,
        rules: [{ host: props.host, http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }],
        tls: props.tlsSecretName ? [{ hosts: [props.host], secretName: props.tlsSecretName }] : undefined,
      },
    });
    syncPolicy(ingress, { wave: SYNC_WAVES.ingress });
    this.metricsService = {
      value: traefikIngressServiceName(Chart.of(this).namespace ?? 'default', props.server.host, props.server.port),
      regex: false,
    };
  }
}
