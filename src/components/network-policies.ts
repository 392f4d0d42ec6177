import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { Config } from '../config';
import { SYNC_WAVES, syncPolicy } from '../lib/argocd';
import type { Endpoint } from '../lib/pod';
import { CLOUDNATIVE_PG, NAMES } from '../constants';

/** Private and link-local ranges kept out of the model downloads: machine learning needs none of them. */
const PRIVATE_CIDRS = {
  v4: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10'],
  v6: ['fc00::/7', 'fe80::/10'],
};
const DNS_PORT = 53;
const HTTPS_PORT = 443;

/** The CloudNativePG cluster's peers. */
export interface CloudNativePgPeers {
  /** The `-rw` Service and the instance pods. */
  readonly cluster: Endpoint;
  /** Port of the object store, when the cluster backs up to one. @default no backups */
  readonly objectStorePort?: number;
  /** The bundled postgres the cluster imports from. @default no import */
  readonly importFrom?: Endpoint;
  /** The PgBouncer pooler that Immich connects through instead of the instances. @default none */
  readonly pooler?: Endpoint;
  /** Labels of the `pg_dump` pods of the logical backups. @default no logical backups */
  readonly dumpPods?: Record<string, string>;
}

export interface NetworkPoliciesProps {
  /** `networkPolicy` of the configuration: peers outside the namespace. */
  readonly policy: Config['networkPolicy'];
  /** Port of the OIDC issuer, opened beside `serverEgress.ports`; undefined without OAuth. */
  readonly issuerPort?: number;
  readonly server: Endpoint;
  readonly machineLearning: Endpoint;
  /** The background workers' pods, with `server.workers: split`. @default none */
  readonly microservices?: Record<string, string>;
  /** The database the server uses: the bundled postgres, the CloudNativePG `-rw` Service or its pooler. */
  readonly database: Endpoint;
  /** The bundled valkey; undefined with an external Redis. */
  readonly valkey?: Endpoint;
  /** Addresses and ports of an external Redis. @default none */
  readonly externalRedis?: { readonly cidrs: readonly string[]; readonly ports: readonly number[] };
  /** The bundled postgres, while it is part of the output. @default none */
  readonly postgres?: Endpoint;
  /** A CloudNativePG cluster. @default none */
  readonly cloudnativePg?: CloudNativePgPeers;
  /** Labels of the VolSync mover pods. @default no volume backups */
  readonly volumeMover?: Record<string, string>;
  /** The Prometheus pods that scrape the metrics ports, and those ports. @default no scraping */
  readonly prometheus?: {
    readonly peer: { readonly namespaceSelector: Record<string, string>; readonly podSelector: Record<string, string> };
    readonly serverPorts: readonly number[];
    readonly microservicesPort: number;
  };
}

/**
 * Default deny for every pod of the namespace, then one policy per component that opens only
 * what Immich uses: ingress controller → server; server and workers → database, valkey, machine
 * learning; server and workers → `serverEgress` (mail, webhooks, the version check) and the ingress
 * controller's entry points (hosts published behind it); server alone → the OIDC issuer's port;
 * machine learning → public HTTPS (models); DNS for all. With CloudNativePG:
 * operator → instances; instances ↔ each other; instances → Kubernetes API, object store and,
 * during an import, the bundled postgres; with a pooler, the server and workers query through the
 * pooler, which reaches the instances and the Kubernetes API, and reach the primary only for their
 * start-up wait; logical backups' dump pods → instances. With volume backups: mover → restic
 * repository. An object store or repository published behind the in-cluster ingress controller is
 * reached through its entry points, like the issuer.
 * Kubelet probes are not pod traffic and stay allowed.
 * @see https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    const { policy, server, machineLearning, database, valkey } = props;
    // The server and, when split off, the background workers use the database, queue and machine learning.
    const immichPods = [
      pods(server),
      ...(props.microservices ? [{ podSelector: { matchLabels: props.microservices } }] : []),
    ];
    const fromServer = (endpoint: Endpoint): k8s.NetworkPolicyIngressRule => ({
      from: immichPods,
      ports: [tcp(endpoint.port)],
    });
    const toRedis = valkey
      ? toEndpoint(valkey)
      : toAddresses(props.externalRedis?.cidrs ?? [], props.externalRedis?.ports ?? []);
    // Behind a pooler, Immich's start-up wait also checks the primary itself (PgBouncer accepts
    // connections before the cluster does); its queries all go through the pooler.
    const primary = props.cloudnativePg?.pooler ? [toEndpoint(props.cloudnativePg.cluster)] : [];
    const backends = [toEndpoint(database), ...primary, toRedis, toEndpoint(machineLearning)];
    const prometheus = props.prometheus;
    const scrapedOn = (ports: readonly number[]): k8s.NetworkPolicyIngressRule[] =>
      prometheus && ports.length > 0
        ? [
            {
              from: [
                {
                  namespaceSelector: { matchLabels: prometheus.peer.namespaceSelector },
                  podSelector: { matchLabels: prometheus.peer.podSelector },
                },
              ],
              ports: ports.map(tcp),
            },
          ]
        : [];

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

    const serverPorts = [...new Set([...policy.serverEgress.ports, ...(props.issuerPort ? [props.issuerPort] : [])])];
    // Immich's outbound calls (mail, webhooks, the version check) run in the queue's jobs, so the
    // pods that run jobs get them too; only the issuer's own port is the API's alone.
    const outboundCalls = (ports: readonly number[]): k8s.NetworkPolicyEgressRule[] => [
      ...throughIngressController(policy.ingressController),
      ...(ports.length > 0 ? [toAddresses(policy.serverEgress.cidrs, ports)] : []),
    ];
    this.policy('server', server.host, {
      podSelector: { matchLabels: server.pods },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        { from: [ingressControllerPods(policy.ingressController)], ports: [tcp(server.port)] },
        ...scrapedOn(prometheus?.serverPorts ?? []),
      ],
      egress: [...backends, ...outboundCalls(serverPorts)],
    });
    if (props.microservices) {
      // The workers accept no connections but scrapes. They run the jobs, and so make the outbound
      // calls, but never OAuth logins: those are API requests.
      const scrape = scrapedOn(prometheus ? [prometheus.microservicesPort] : []);
      this.policy('microservices', NAMES.microservices, {
        podSelector: { matchLabels: props.microservices },
        policyTypes: ['Ingress', 'Egress'],
        ...(scrape.length > 0 ? { ingress: scrape } : {}),
        egress: [...backends, ...outboundCalls(policy.serverEgress.ports)],
      });
    }

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

    // Only the server talks to the queue, and to the bundled postgres while it is the database; a
    // CloudNativePG cluster importing from the bundled postgres reads it too. Neither opens a
    // connection itself.
    if (props.postgres) {
      const clients = [
        ...(props.postgres.host === database.host ? [fromServer(props.postgres)] : []),
        ...(props.cloudnativePg?.importFrom
          ? [{ from: [pods(props.cloudnativePg.cluster)], ports: [tcp(props.postgres.port)] }]
          : []),
      ];
      this.policy('postgres', props.postgres.host, onlyFrom(props.postgres, clients));
    }
    if (valkey) this.policy('valkey', valkey.host, onlyFrom(valkey, [fromServer(valkey)]));
    if (props.cloudnativePg) {
      const { pooler } = props.cloudnativePg;
      this.cloudnativePg(
        props.cloudnativePg,
        pooler ? [pods(pooler), ...immichPods] : immichPods,
        policy,
        scrapedOn(prometheus ? [CLOUDNATIVE_PG.ports.metrics] : []),
      );
      if (pooler) {
        const instances = { ...props.cloudnativePg.cluster.pods, [CLOUDNATIVE_PG.podRoleLabel]: 'instance' };
        this.policy('pooler', pooler.host, {
          podSelector: { matchLabels: pooler.pods },
          policyTypes: ['Ingress', 'Egress'],
          ingress: [
            { from: immichPods, ports: [tcp(pooler.port)] },
            ...scrapedOn(prometheus ? [CLOUDNATIVE_PG.poolerPorts.metrics] : []),
          ],
          egress: [
            { to: [{ podSelector: { matchLabels: instances } }], ports: [tcp(props.cloudnativePg.cluster.port)] },
            // Its manager watches the Pooler and reads the cluster's Secrets through the API.
            toAddresses(policy.cloudnativePg.kubernetesApi.cidrs, policy.cloudnativePg.kubernetesApi.ports),
          ],
        });
      }
    }
    if (props.volumeMover) {
      // The mover only writes to the restic repository; nothing connects to it.
      this.policy('volume-mover', NAMES.volumeMover, {
        podSelector: { matchLabels: props.volumeMover },
        policyTypes: ['Ingress', 'Egress'],
        egress: toPublished(policy.volumeBackups, policy.volumeBackups.ports, policy.ingressController),
      });
    }
  }

  /**
   * The instances: reached by the operator, each other and the server; reaching each other, the
   * Kubernetes API, the object store and, during an import, the bundled postgres.
   */
  private cloudnativePg(
    peers: CloudNativePgPeers,
    clients: k8s.NetworkPolicyPeer[],
    { cloudnativePg: policy, ingressController }: Config['networkPolicy'],
    scrape: k8s.NetworkPolicyIngressRule[],
  ): void {
    const { cluster, objectStorePort, importFrom, dumpPods } = peers;
    const { postgres, status } = CLOUDNATIVE_PG.ports;
    const operator: k8s.NetworkPolicyPeer = {
      namespaceSelector: { matchLabels: policy.operator.namespaceSelector },
      podSelector: { matchLabels: policy.operator.podSelector },
    };
    const storePorts = [...new Set([...policy.objectStore.ports, ...(objectStorePort ? [objectStorePort] : [])])];
    this.policy('cloudnative-pg', NAMES.cloudnativePg, {
      // Instance and job pods; the operator labels a pooler's pods with the cluster too, but they
      // have a policy of their own.
      podSelector: {
        matchLabels: cluster.pods,
        matchExpressions: [{ key: CLOUDNATIVE_PG.podRoleLabel, operator: 'NotIn', values: ['pooler'] }],
      },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        { from: [operator], ports: [tcp(status), tcp(postgres)] },
        // Streaming replication, and the instance managers asking each other for status.
        { from: [pods(cluster)], ports: [tcp(postgres), tcp(status)] },
        { from: clients, ports: [tcp(postgres)] },
        ...(dumpPods ? [{ from: [{ podSelector: { matchLabels: dumpPods } }], ports: [tcp(postgres)] }] : []),
        ...scrape,
      ],
      egress: [
        { to: [pods(cluster)], ports: [tcp(postgres), tcp(status)] },
        // The instance manager watches its Cluster and reads Secrets through the API.
        toAddresses(policy.kubernetesApi.cidrs, policy.kubernetesApi.ports),
        ...(objectStorePort ? toPublished(policy.objectStore, storePorts, ingressController) : []),
        ...(importFrom ? [toEndpoint(importFrom)] : []),
      ],
    });
    if (dumpPods) {
      // The dump pods only read the database, from the instances, never through a pooler; nothing
      // connects to them.
      const instances = { ...cluster.pods, [CLOUDNATIVE_PG.podRoleLabel]: 'instance' };
      this.policy('logical-backup', NAMES.logicalBackup, {
        podSelector: { matchLabels: dumpPods },
        policyTypes: ['Ingress', 'Egress'],
        egress: [{ to: [{ podSelector: { matchLabels: instances } }], ports: [tcp(postgres)] }],
      });
    }
  }

  private policy(id: string, name: string, spec: k8s.NetworkPolicySpec): void {
    const policy = new k8s.KubeNetworkPolicy(this, id, { metadata: { name }, spec });
    syncPolicy(policy, { wave: SYNC_WAVES.prerequisites });
  }
}

/** The ingress controller's pods, which accept the public traffic. */
function ingressControllerPods(controller: Config['networkPolicy']['ingressController']): k8s.NetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: controller.namespaceSelector },
    podSelector: { matchLabels: controller.podSelector },
  };
}

/**
 * Egress to a host published behind the in-cluster ingress controller: its name resolves to the
 * controller's load balancer address, which kube-proxy or the CNI rewrites to a controller pod on
 * an entry point's container port, where an ipBlock no longer matches. None when no port is given.
 */
function throughIngressController(
  controller: Config['networkPolicy']['ingressController'],
): k8s.NetworkPolicyEgressRule[] {
  return controller.ports.length > 0
    ? [{ to: [ingressControllerPods(controller)], ports: controller.ports.map(tcp) }]
    : [];
}

/** A destination by address and, when it is published behind the ingress controller, through it too. */
function toPublished(
  target: { readonly cidrs: readonly string[]; readonly viaIngressController: boolean },
  ports: readonly number[],
  controller: Config['networkPolicy']['ingressController'],
): k8s.NetworkPolicyEgressRule[] {
  return [
    toAddresses(target.cidrs, ports),
    ...(target.viaIngressController ? throughIngressController(controller) : []),
  ];
}

function tcp(port: number): k8s.NetworkPolicyPort {
  return { protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) };
}

function pods(endpoint: Endpoint): k8s.NetworkPolicyPeer {
  return { podSelector: { matchLabels: endpoint.pods } };
}

function toEndpoint(endpoint: Endpoint): k8s.NetworkPolicyEgressRule {
  return { to: [pods(endpoint)], ports: [tcp(endpoint.port)] };
}

function toAddresses(cidrs: readonly string[], ports: readonly number[]): k8s.NetworkPolicyEgressRule {
  return { to: cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: ports.map(tcp) };
}

/**
 * A policy for pods that accept only the given rules and open no connection. With no rule the
 * `ingress` list is left out: the server drops an empty one, and a second apply would change it.
 */
function onlyFrom(endpoint: Endpoint, rules: k8s.NetworkPolicyIngressRule[]): k8s.NetworkPolicySpec {
  return {
    podSelector: { matchLabels: endpoint.pods },
    policyTypes: ['Ingress', 'Egress'],
    ...(rules.length > 0 ? { ingress: rules } : {}),
  };
}
