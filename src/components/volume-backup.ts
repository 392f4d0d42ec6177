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
import { DATA_TIERS, NAMES } from '../constants';
import { syncPolicy } from '../lib/argocd';
import { componentLabels } from '../lib/labels';
import { podSecurityContext } from '../lib/pod';
import { componentIdentity, componentServiceAccount } from '../lib/workload';

export interface VolumeBackupProps {
  /** Label `app.kubernetes.io/instance`. */
  readonly instance: string;
  /** `backup.volumes` of the configuration. */
  readonly config: VolumeBackupConfig;
  /** The upload volume's claim, `data` of `config.claims`. */
  readonly claimName: string;
  /** uid/gid that owns the volume's files: the mover runs as it, so the namespace keeps `restricted`. */
  readonly uid: number;
  /** Sync wave of the claim: the backup objects need it to exist. */
  readonly wave: number;
}

/** One volume VolSync backs up: its claim, the names of its objects and its restic repository. */
interface BackedUpVolume {
  readonly key: VolumeBackupConfig['claims'][number];
  readonly claimName: string;
  /** Name of the ReplicationSource. */
  readonly source: string;
  /** Name of the ReplicationDestination of a restore. */
  readonly restore: string;
  /** Secret of its own repository: VolSync keeps one volume per repository. */
  readonly repository: string;
}

/**
 * Restic backups of the volumes `config.claims` lists by VolSync: for each, a `ReplicationSource`
 * on a schedule and, while a restore is asked for, a `ReplicationDestination` that writes a
 * snapshot back into the same claim, each with a repository of its own. The mover pods run
 * unprivileged as the volumes' owner, under a ServiceAccount without an API token.
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
    const volumes = config.claims.map((key): BackedUpVolume => {
      const repository = key === 'data' ? config.repositorySecret : config.repositorySecrets[key];
      if (!repository) throw new Error(`volume backups of ${key} need a repository Secret`);
      if (key === 'data') {
        const names = { source: NAMES.volumeBackup, restore: NAMES.volumeRestore };
        return { key, claimName: props.claimName, repository, ...names };
      }
      const { claim } = DATA_TIERS[key];
      return { key, claimName: claim, repository, source: claim, restore: `${claim}-restore` };
    });
    for (const volume of volumes) this.volume(volume, config, identity.name, props.uid, props.wave);
  }

  /** The backup and the restore of one volume. */
  private volume(volume: BackedUpVolume, config: VolumeBackupConfig, account: string, uid: number, wave: number) {
    // VolSync copies only the pod-level context; its own container context drops every capability.
    const mover = {
      repository: volume.repository,
      moverServiceAccount: account,
      moverPodLabels: this.moverPods,
      moverSecurityContext: podSecurityContext(uid, uid),
      cacheStorageClassName: config.cacheStorageClass,
    };

    if (config.enabled) {
      const source = new ReplicationSource(this, `${volume.key}-source`, {
        metadata: { name: volume.source },
        spec: {
          sourcePvc: volume.claimName,
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
      syncPolicy(source, { wave, keep: true, customResource: true });
    }

    if (config.restore.enabled) {
      const { trigger, restoreAsOf } = config.restore;
      const manifest = ReplicationDestination.manifest({
        metadata: { name: volume.restore },
        spec: {
          trigger: { manual: trigger },
          restic: {
            ...mover,
            destinationPvc: volume.claimName,
            // Write into the claim itself; files newer than the snapshot are kept, never deleted.
            copyMethod: ReplicationDestinationSpecResticCopyMethod.DIRECT,
            cacheCapacity: ReplicationDestinationSpecResticCacheCapacity.fromString(config.cacheCapacity),
          },
        },
      }) as ApiObjectProps & { spec: { restic: Record<string, unknown> } };
      // The generated class types restoreAsOf as a Date, which cdk8s cannot render: the object is
      // built from its manifest with the time as written in the configuration.
      if (restoreAsOf) manifest.spec.restic.restoreAsOf = restoreAsOf;
      const destination = new ApiObject(this, `${volume.key}-restore`, manifest);
      syncPolicy(destination, { wave, customResource: true });
    }
  }
}

const COPY_METHODS: Record<VolumeBackupConfig['copyMethod'], ReplicationSourceSpecResticCopyMethod> = {
  Direct: ReplicationSourceSpecResticCopyMethod.DIRECT,
  Clone: ReplicationSourceSpecResticCopyMethod.CLONE,
  Snapshot: ReplicationSourceSpecResticCopyMethod.SNAPSHOT,
};
