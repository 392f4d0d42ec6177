import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { Config } from '../config';
import { SYNC_WAVES, syncPolicy } from '../lib/argocd';
import type { Endpoint } from '../lib/pod';

/** Private and link-local ranges kept out of the model downloads: machine learning needs none of them. */
const PRIVATE_CIDRS = {
  v4: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10'],
  v6: ['fc00::/7', 'fe80::/10'],
};
const DNS_PORT = 53;
const HTTPS_PORT = 443;

export interface NetworkPoliciesProps {
  /** `networkPolicy` of the configuration: peers outside the namespace. */
  readonly policy: Config['networkPolicy'];
  /** Port of the OIDC issuer, opened beside `serverEgress.ports`; undefined without OAuth. */
  readonly issuerPort?: number;
  readonly server: Endpoint;
  readonly machineLearning: Endpoint;
  readonly postgres: Endpoint;
  readonly valkey: Endpoint;
}

/**
 * Default deny for every pod of the namespace, then one policy per component that opens only
 * what Immich uses: ingress controller → server; server → postgres, valkey, machine learning;
 * server → HTTPS (OIDC issuer, version check) and the ingress controller's entry points (an issuer
 * published behind it); machine learning → public HTTPS (models); DNS for all.
 * Kubelet probes are not pod traffic and stay allowed.
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    const { policy, server, machineLearning, postgres, valkey } = props;
    const tcp = (port: number): k8s.NetworkPolicyPort => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) });
    const pods = (endpoint: Endpoint): k8s.NetworkPolicyPeer => ({ podSelector: { matchLabels: endpoint.pods } });
    const toEndpoint = (endpoint: Endpoint): k8s.NetworkPolicyEgressRule => ({
      to: [pods(endpoint)],
      ports: [tcp(endpoint.port)],
    });
    const fromServer = (endpoint: Endpoint): k8s.NetworkPolicyIngressRule => ({
      from: [pods(server)],
      ports: [tcp(endpoint.port)],
    });

    this.policy('default-deny', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    this.policy('dns', 'allow-dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: policy.dns.namespaceSelector },
              podSelector: { matchLabels: policy.dns.podSelector },
            },
          ],
          ports: [{ protocol: 'UDP', port: k8s.IntOrString.fromNumber(DNS_PORT) }, tcp(DNS_PORT)],
        },
      ],
    });

    const ingressController: k8s.NetworkPolicyPeer = {
      namespaceSelector: { matchLabels: policy.ingressController.namespaceSelector },
      podSelector: { matchLabels: policy.ingressController.podSelector },
    };
    const serverPorts = [...new Set([...policy.serverEgress.ports, ...(props.issuerPort ? [props.issuerPort] : [])])];
    this.policy('server', server.host, {
      podSelector: { matchLabels: server.pods },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [ingressController], ports: [tcp(server.port)] }],
      egress: [
        toEndpoint(postgres),
        toEndpoint(valkey),
        toEndpoint(machineLearning),
        // An issuer behind the same ingress controller resolves to it, and once kube-proxy or the
        // CNI rewrites the load balancer address to a pod, an ipBlock no longer matches it.
        ...(policy.ingressController.ports.length > 0
          ? [{ to: [ingressController], ports: policy.ingressController.ports.map(tcp) }]
          : []),
        ...(serverPorts.length > 0
          ? [{ to: policy.serverEgress.cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: serverPorts.map(tcp) }]
          : []),
      ],
    });

    this.policy('machine-learning', machineLearning.host, {
      podSelector: { matchLabels: machineLearning.pods },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [fromServer(machineLearning)],
      // Without model downloads no egress rule is written: `Egress` in policyTypes alone denies it all.
      egress: policy.modelDownloads
        ? [
            {
              to: [
                { ipBlock: { cidr: '0.0.0.0/0', except: PRIVATE_CIDRS.v4 } },
                { ipBlock: { cidr: '::/0', except: PRIVATE_CIDRS.v6 } },
              ],
              ports: [tcp(HTTPS_PORT)],
            },
          ]
        : undefined,
    });
    for (const [id, endpoint] of [
      ['postgres', postgres],
      ['valkey', valkey],
    ] as const) {
      // Only the server talks to the database and the queue; they open no connection themselves.
      // No `egress` list: the server drops an empty one, and a second apply would then change the object.
      this.policy(id, endpoint.host, {
        podSelector: { matchLabels: endpoint.pods },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [fromServer(endpoint)],
      });
    }
  }

  private policy(id: string, name: string, spec: k8s.NetworkPolicySpec): void {
    const policy = new k8s.KubeNetworkPolicy(this, id, { metadata: { name }, spec });
    syncPolicy(policy, { wave: SYNC_WAVES.prerequisites });
  }
}
