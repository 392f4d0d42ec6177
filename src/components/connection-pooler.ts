import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import {
  Pooler,
  PoolerSpecPgbouncerPoolMode,
  PoolerSpecTemplateSpecContainersResourcesLimits,
  PoolerSpecTemplateSpecContainersResourcesRequests,
  PoolerSpecType,
} from '../../imports/postgresql.cnpg.io';
import type { Resources } from '../config';
import { CLOUDNATIVE_PG, IMMICH_DB_POOL_SIZE, NAMES } from '../constants';
import { SYNC_WAVES, syncPolicy } from '../lib/argocd';
import type { DatabaseConnection, Endpoint, PostgresSource } from '../lib/pod';
import type { Scaling } from '../lib/workload';

/** Name of the PgBouncer container in the operator's pod, which the template's fields are merged into. */
const PGBOUNCER_CONTAINER = 'pgbouncer';

export interface ConnectionPoolerProps {
  /** Name of the CloudNativePG Cluster whose primary the pooler fronts. */
  readonly clusterName: string;
  /** How Immich logs in to the cluster: its user, database and password Secret. */
  readonly login: PostgresSource;
  /** PgBouncer pods. */
  readonly instances: number;
  readonly resources: Resources;
  /** Client connections Immich may hold at once (see `immichDatabaseClients`). */
  readonly clients: number;
  /** What a pod does when it cannot be spread over host names. */
  readonly spread: Scaling['spread'];
}

/**
 * A CloudNativePG `Pooler`: PgBouncer pods in session mode in front of the cluster's primary, run
 * by the operator, with a PodDisruptionBudget and a spread over nodes when there are several.
 * Session mode gives each client connection one server connection for as long as it stays open,
 * so everything Immich keeps on a session works as without the pooler: its advisory locks
 * (start-up migrations, nightly jobs), postgres.js's named prepared statements and `SET`s.
 * @see https://cloudnative-pg.io/documentation/1.30/connection_pooling/
 * @see https://www.pgbouncer.org/features.html
 */
export class ConnectionPooler extends Construct {
  /** The pooler's Service (named after it) and its PgBouncer pods. */
  readonly endpoint: Endpoint;
  /** How the server connects: `DB_HOSTNAME` of the pooler, the password file from `<cluster>-app`. */
  readonly connection: DatabaseConnection;

  constructor(scope: Construct, id: string, props: ConnectionPoolerProps) {
    super(scope, id);
    const name = NAMES.pooler;
    const pods = { [CLOUDNATIVE_PG.poolerLabel]: name };
    const several = props.instances > 1;
    const { requests, limits } = props.resources;

    const pooler = new Pooler(this, 'pooler', {
      metadata: { name },
      spec: {
        cluster: { name: props.clusterName },
        instances: props.instances,
        // The primary: Immich writes, and has no read-replica support.
        type: PoolerSpecType.RW,
        pgbouncer: {
          poolMode: PoolerSpecPgbouncerPoolMode.SESSION,
          // Each client holds a server connection while it is connected, and the Service may send
          // every client to one pod: each pod takes them all.
          parameters: { max_client_conn: String(props.clients), default_pool_size: String(props.clients) },
        },
        template: {
          spec: {
            containers: [
              {
                name: PGBOUNCER_CONTAINER,
                resources: {
                  requests: {
                    cpu: PoolerSpecTemplateSpecContainersResourcesRequests.fromString(requests.cpu),
                    memory: PoolerSpecTemplateSpecContainersResourcesRequests.fromString(requests.memory),
                  },
                  limits: {
                    memory: PoolerSpecTemplateSpecContainersResourcesLimits.fromString(limits.memory),
                    ...(limits.cpu
                      ? { cpu: PoolerSpecTemplateSpecContainersResourcesLimits.fromString(limits.cpu) }
                      : {}),
                  },
                },
              },
            ],
            topologySpreadConstraints: several
              ? [
                  {
                    maxSkew: 1,
                    topologyKey: 'kubernetes.io/hostname',
                    whenUnsatisfiable: props.spread,
                    labelSelector: { matchLabels: pods },
                  },
                ]
              : undefined,
          },
        },
      },
    });
    // After the Cluster: the operator builds the pods once the cluster's Secrets exist.
    syncPolicy(pooler, { wave: SYNC_WAVES.backends, customResource: true });

    if (several) {
      // The operator makes none for a Pooler: without it a node drain could stop every PgBouncer pod.
      const budget = new k8s.KubePodDisruptionBudget(this, 'disruption-budget', {
        metadata: { name },
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: pods } },
      });
      syncPolicy(budget, { wave: SYNC_WAVES.backends });
    }

    this.endpoint = { host: name, port: CLOUDNATIVE_PG.poolerPorts.pgbouncer, pods };
    // DB_URL would need the password inside the URL: the parts instead, the password as a file.
    const { login } = props;
    this.connection = {
      endpoint: this.endpoint,
      // PgBouncer accepts connections before the cluster does: Immich waits for the primary too.
      waitFor: [login.endpoint, this.endpoint],
      env: [
        { name: 'DB_HOSTNAME', value: this.endpoint.host },
        { name: 'DB_PORT', value: String(this.endpoint.port) },
        { name: 'DB_USERNAME', value: login.username },
        { name: 'DB_DATABASE_NAME', value: login.database },
      ],
      files: [{ variable: 'DB_PASSWORD', secretName: login.password.secretName, key: login.password.key }],
    };
  }
}

/** What runs Immich: pods of the API (or combined) Deployment and of the workers' one, when split. */
export interface ImmichPods {
  /** Pods running the API, and the background workers too unless `workers` is set. */
  readonly server: number;
  /** Pods running only the background workers (`server.workers: split`). @default none */
  readonly workers?: number;
}

/**
 * Database connections Immich may hold at once: one pool per process (the API and the background
 * workers, two processes in a combined pod) plus the parent's start-up connection per pod, and one
 * pod more per Deployment while a rollout surges.
 */
export function immichDatabaseClients(pods: ImmichPods): number {
  const perPod = (processes: number) => processes * IMMICH_DB_POOL_SIZE + 1;
  const { server, workers } = pods;
  return workers === undefined ? (server + 1) * perPod(2) : (server + 1) * perPod(1) + (workers + 1) * perPod(1);
}
