/**
 * The pods that operators create for our custom resources, as their pinned sources build them, so
 * that the gate can hold them to the namespace's Pod Security level like our own pods. Only the
 * fields Pod Security looks at are modelled.
 */
import { CLOUDNATIVE_PG } from '../../src/constants';

/** Container context every CloudNativePG container gets, the Barman Cloud sidecar included. */
const CNPG_CONTAINER = {
  allowPrivilegeEscalation: false,
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
  capabilities: { drop: ['ALL'] },
};

/**
 * An instance pod of a Cluster (CloudNativePG v1.30 `pkg/specs/pods.go`: uid/gid 26, seccomp
 * RuntimeDefault; plugin-barman-cloud v0.14 `lifecycle.go`: the sidecar as a restartable init
 * container with the same context). Volumes: data and WAL claims, scratch and shared memory.
 */
export function cloudnativePgInstancePod(cluster: any): any {
  const sidecar = (cluster.spec.plugins ?? []).some((p: any) => p.name === CLOUDNATIVE_PG.barmanPlugin);
  return {
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 26,
      runAsGroup: 26,
      fsGroup: 26,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    initContainers: [
      { name: 'bootstrap-controller', securityContext: CNPG_CONTAINER },
      ...(sidecar ? [{ name: 'plugin-barman-cloud', restartPolicy: 'Always', securityContext: CNPG_CONTAINER }] : []),
    ],
    containers: [{ name: 'postgres', securityContext: CNPG_CONTAINER }],
    volumes: [
      { name: 'pgdata', persistentVolumeClaim: { claimName: `${cluster.metadata.name}-1` } },
      ...(cluster.spec.walStorage
        ? [{ name: 'pg-wal', persistentVolumeClaim: { claimName: `${cluster.metadata.name}-1-wal` } }]
        : []),
      { name: 'scratch-data', emptyDir: {} },
      { name: 'shm', emptyDir: { medium: 'Memory' } },
    ],
  };
}

/**
 * A PgBouncer pod of a Pooler (CloudNativePG v1.30 `pkg/specs/pgbouncer/deployments.go`): the
 * Pooler's template with the operator's fields laid over it. The pod context (uid 998, gid 996,
 * seccomp RuntimeDefault) and the pgbouncer container's context replace the template's; the
 * bootstrap controller is an init container like the instances'. Volumes: the cluster's CA and
 * server certificate Secrets, scratch space.
 */
export function cloudnativePgPoolerPod(pooler: any): any {
  const template = pooler.spec.template?.spec ?? {};
  const cluster = pooler.spec.cluster.name;
  const fromTemplate = (template.containers ?? []).find((c: any) => c.name === 'pgbouncer') ?? {};
  return {
    ...template,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: 998,
      runAsGroup: 996,
      fsGroup: 996,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    initContainers: [
      ...(template.initContainers ?? []),
      { name: 'bootstrap-controller', securityContext: CNPG_CONTAINER },
    ],
    containers: [
      ...(template.containers ?? []).filter((c: any) => c.name !== 'pgbouncer'),
      { ...fromTemplate, name: 'pgbouncer', securityContext: CNPG_CONTAINER },
    ],
    volumes: [
      ...(template.volumes ?? []),
      { name: 'ca', secret: { secretName: `${cluster}-ca` } },
      { name: 'server-tls', secret: { secretName: `${cluster}-server` } },
      { name: 'scratch-data', emptyDir: {} },
    ],
  };
}

/**
 * The restic mover pod of a ReplicationSource or ReplicationDestination (VolSync v0.16
 * `internal/controller/mover/restic/mover.go`): the pod context is exactly `moverSecurityContext`;
 * the container drops every capability, may not escalate and has a read-only root; `/tmp` is a
 * memory emptyDir. Without the privileged-movers annotation VolSync adds nothing else.
 */
export function volsyncMoverPod(object: any): any {
  const restic = object.spec.restic;
  return {
    securityContext: restic.moverSecurityContext,
    serviceAccountName: restic.moverServiceAccount,
    containers: [
      {
        name: 'restic',
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          privileged: false,
          readOnlyRootFilesystem: true,
        },
      },
    ],
    volumes: [
      { name: 'data', persistentVolumeClaim: { claimName: object.spec.sourcePVC ?? restic.destinationPVC } },
      { name: 'cache', persistentVolumeClaim: { claimName: `volsync-${object.metadata.name}-cache` } },
      { name: 'repository', secret: { secretName: restic.repository } },
      { name: 'tempdir', emptyDir: { medium: 'Memory' } },
    ],
  };
}

/** The operator pods of every custom resource that has some, by `Kind/name`. */
export function operatorPodsOf(objects: readonly any[]): { ref: string; spec: any }[] {
  return objects.flatMap((o) => {
    const ref = `${o.kind}/${o.metadata.name}`;
    if (o.kind === 'Cluster') return [{ ref, spec: cloudnativePgInstancePod(o) }];
    if (o.kind === 'Pooler') return [{ ref, spec: cloudnativePgPoolerPod(o) }];
    if (o.kind === 'ReplicationSource' || o.kind === 'ReplicationDestination')
      return [{ ref, spec: volsyncMoverPod(o) }];
    return [];
  });
}
