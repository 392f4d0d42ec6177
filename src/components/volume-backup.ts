import { ApiObject, type ApiObjectProps } from 'cdk8s';
import { Construct } from 'constructs';
import {
  ReplicationDestination,
  ReplicationDestinationSpecResticCacheCapacity,
  ReplicationDestinationSpecResticCopyMethod,
  ReplicationSource,
  ReplicationSourceSpecResticCacheCapacity,
  ReplicationSourceSpecResticCopyMethod,
} from '../../imports/volsync.backube';
import type { VolumeBackupConfig } from '../config';
import { NAMES } from '../constants';
import { syncPolicy } from '../lib/argocd';
import { componentLabels } from '../lib/labels';
import { podSecurityContext } from '../lib/pod';
import { componentIdentity, componentServiceAccount } from '../lib/workload';

export interface VolumeBackupProps {
  /** Label `app.kubernetes.io/instance`. */
  readonly instance: string;
  /** `backup.volumes` of the configuration. */
  readonly config: VolumeBackupConfig;
  /** The claim backed up and restored. */
  readonly claimName: string;
  /** uid/gid that owns the volume's files: the mover runs as it, so the namespace keeps `restricted`. */
  readonly uid: number;
  /** Sync wave of the claim: the backup objects need it to exist. */
  readonly wave: number;
  /**
   * The logical dumps volume, backed up on the same schedule and retention into a restic
   * repository of its own. @default not backed up
   */
  readonly dumps?: {
    readonly claimName: string;
    /** Secret of its restic repository. */
    readonly repository: string;
    /** uid/gid that owns the dumps. */
    readonly uid: number;
    readonly wave: number;
  };
}

/**
 * Restic backups of a volume by VolSync: a `ReplicationSource` on a schedule (and one for the
 * logical dumps volume, into its own repository) and, while a restore is asked for, a
 * `ReplicationDestination` that writes a snapshot back into the same claim. The
 * mover pods run unprivileged as the volume's owner, under a ServiceAccount without an API token.
 * @see https://volsync.readthedocs.io/en/stable/usage/restic/index.html
 */
export class VolumeBackup extends Construct {
  /** Labels of the mover pods, for NetworkPolicies. */
  readonly moverPods: Record<string, string>;

  constructor(scope: Construct, id: string, props: VolumeBackupProps) {
    super(scope, id);
    const { config } = props;
    const identity = componentIdentity(NAMES.volumeMover, 'backup', props.instance, props.wave);
    componentServiceAccount(this, identity);
    this.moverPods = componentLabels(NAMES.volumeMover, 'backup', props.instance);
    const repository = config.repositorySecret;
    if (!repository) throw new Error('volume backups need a repository Secret');
    // VolSync copies only the pod-level context; its own container context drops every capability.
    const mover = {
      repository,
      moverServiceAccount: identity.name,
      moverPodLabels: this.moverPods,
      moverSecurityContext: podSecurityContext(props.uid, props.uid),
      cacheStorageClassName: config.cacheStorageClass,
    };

    if (config.enabled) {
      const source = new ReplicationSource(this, 'source', {
        metadata: { name: NAMES.volumeBackup },
        spec: {
          sourcePvc: props.claimName,
          trigger: { schedule: config.schedule },
          restic: {
            ...mover,
            copyMethod: COPY_METHODS[config.copyMethod],
            volumeSnapshotClassName: config.volumeSnapshotClassName,
            cacheCapacity: ReplicationSourceSpecResticCacheCapacity.fromString(config.cacheCapacity),
            retain: config.retain,
            pruneIntervalDays: 7,
          },
        },
      });
      // Its status holds the repository's history; Argo CD never deletes it.
      syncPolicy(source, { wave: props.wave, keep: true, customResource: true });
    }

    const { dumps } = props;
    if (config.enabled && dumps) {
      const source = new ReplicationSource(this, 'dumps-source', {
        metadata: { name: dumps.claimName },
        spec: {
          sourcePvc: dumps.claimName,
          trigger: { schedule: config.schedule },
          restic: {
            ...mover,
            repository: dumps.repository,
            moverSecurityContext: podSecurityContext(dumps.uid, dumps.uid),
            // A dump appears under its name only once complete, so the live volume is a consistent copy.
            copyMethod: ReplicationSourceSpecResticCopyMethod.DIRECT,
            cacheCapacity: ReplicationSourceSpecResticCacheCapacity.fromString(config.cacheCapacity),
            retain: config.retain,
            pruneIntervalDays: 7,
          },
        },
      });
      syncPolicy(source, { wave: dumps.wave, keep: true, customResource: true });
    }

    if (config.restore.enabled) {
      const { trigger, restoreAsOf } = config.restore;
      const manifest = ReplicationDestination.manifest({
        metadata: { name: NAMES.volumeRestore },
        spec: {
          trigger: { manual: trigger },
          restic: {
            ...mover,
            destinationPvc: props.claimName,
            // Write into the claim itself; files newer than the snapshot are kept, never deleted.
            copyMethod: ReplicationDestinationSpecResticCopyMethod.DIRECT,
            cacheCapacity: ReplicationDestinationSpecResticCacheCapacity.fromString(config.cacheCapacity),
          },
        },
      }) as ApiObjectProps & { spec: { restic: Record<string, unknown> } };
      // The generated class types restoreAsOf as a Date, which cdk8s cannot render: the object is
      // built from its manifest with the time as written in the configuration.
      if (restoreAsOf) manifest.spec.restic.restoreAsOf = restoreAsOf;
      const destination = new ApiObject(this, 'restore', manifest);
      syncPolicy(destination, { wave: props.wave, customResource: true });
    }
  }
}

const COPY_METHODS: Record<VolumeBackupConfig['copyMethod'], ReplicationSourceSpecResticCopyMethod> = {
  Direct: ReplicationSourceSpecResticCopyMethod.DIRECT,
  Clone: ReplicationSourceSpecResticCopyMethod.CLONE,
  Snapshot: ReplicationSourceSpecResticCopyMethod.SNAPSHOT,
};
