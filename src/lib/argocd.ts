import type { ApiObject } from 'cdk8s';

/**
 * Argo CD sync waves: a wave starts once every object of the earlier waves is synced and healthy.
 * A PVC shares its workload's wave, because with a `WaitForFirstConsumer` StorageClass it stays
 * Pending (unhealthy to Argo CD) until a pod mounts it, and an earlier wave would never finish.
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/
 */
export const SYNC_WAVES = {
  /** Namespace, ServiceAccounts, NetworkPolicies, Secrets and the objects that produce them. */
  prerequisites: 0,
  /** Postgres and valkey, which the server needs at start. */
  backends: 1,
  machineLearning: 2,
  server: 3,
  /** Traffic is routed only once the server is ready. */
  ingress: 4,
  /**
   * Scheduled jobs and their claims, in the last wave: a `WaitForFirstConsumer` claim stays
   * Pending until the first run, and Argo CD waits for the health of every wave but the last.
   */
  scheduled: 4,
} as const;

/** Annotation holding an object's sync wave; objects without it are in wave 0. */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

/** How Argo CD treats one object. */
export interface SyncPolicy {
  /** One of SYNC_WAVES. */
  readonly wave: number;
  /** Holds user data: Argo CD never prunes it, nor deletes it with the Application. @default false */
  readonly keep?: boolean;
  /** Kind defined by a CRD: skip the dry run while the CRD itself is not yet installed. @default false */
  readonly customResource?: boolean;
}

/**
 * Annotates an object for Argo CD. Without Argo CD the annotations do nothing, so they are always
 * rendered and an Application written by hand gets the same protection.
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/sync-options/
 */
export function syncPolicy(object: ApiObject, policy: SyncPolicy): void {
  object.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, String(policy.wave));
  const options = [
    ...(policy.keep ? ['Prune=false', 'Delete=false'] : []),
    ...(policy.customResource ? ['SkipDryRunOnMissingResource=true'] : []),
  ];
  if (options.length > 0) object.metadata.addAnnotation('argocd.argoproj.io/sync-options', options.join(','));
}
