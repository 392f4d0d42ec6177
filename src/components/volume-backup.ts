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
  /**
   * The volume of the logical database dumps, `dumps` of `config.claims`: its own owner and sync
   * wave. @default no dumps volume
   */
  readonly dumps?: {
    readonly claimName: string;
    /** uid/gid that writes the dumps, private files the upload volume's owner could not read. */
    readonly uid: number;
    /** Sync wave of its claim. */
    readonly wave: number;
  };
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
  /** uid/gid that owns the volume's files; the mover runs as it. */
  readonly uid: number;
  /** Sync wave of the claim and so of the volume's VolSync objects. */
  readonly wave: number;
  /** How the source reads the volume. @default `config.copyMethod` */
  readonly copyMethod?: ReplicationSourceSpecResticCopyMethod;
}

/**
 * Restic backups of the volumes `config.claims` lists by VolSync: for each, a `ReplicationSource`
 * on a schedule and, while a restore is asked for, a `ReplicationDestination` that writes a
 * snapshot back into the same claim, each with a repository of its own. The mover pods run
 * unprivileged as each volume's owner, under a ServiceAccount without an API token.
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
      const owner = { repository, uid: props.uid, wave: props.wave };
      if (key === 'data') {
        const names = { source: NAMES.volumeBackup, restore: NAMES.volumeRestore };
        return { key, claimName: props.claimName, ...owner, ...names };
      }
      if (key === 'dumps') {
        const { dumps } = props;
        if (!dumps) throw new Error("volume backups of dumps need the logical backups' volume");
        const { claimName, uid, wave } = dumps;
        // A dump appears under its name only once complete, so the live volume is a consistent
        // copy, and the dumps claim may have no snapshot class.
        const copyMethod = ReplicationSourceSpecResticCopyMethod.DIRECT;
        const names = { source: claimName, restore: `${claimName}-restore` };
        return { key, claimName, repository, uid, wave, copyMethod, ...names };
      }
      const { claim } = DATA_TIERS[key];
      return { key, claimName: claim, ...owner, source: claim, restore: `${claim}-restore` };
    });
    for (const volume of volumes) this.volume(volume, config, identity.name);
  }

  /** The backup and the restore of one volume. */
  private volume(volume: BackedUpVolume, config: VolumeBackupConfig, account: string) {
    const { uid, wave } = volume;
    // VolSync copies only the pod-level context; its own container context drops every capability.
    const mover = {
      repository: volume.repository,
      moverServiceAccount: account,
      moverPodLabels: this.moverPods,
      moverSecurityContext: podSecurityContext(uid, uid),
      cacheStorageClassName: config.cacheStorageClass,
    };

    if (config.enabled) {
      const copyMethod = volume.copyMethod ?? COPY_METHODS[config.copyMethod];
      const source = new ReplicationSource(this, `${volume.key}-source`, {
        metadata: { name: volume.source },
        spec: {
          sourcePvc: volume.claimName,
          trigger: { schedule: config.schedule },
          restic: {
            ...mover,
            copyMethod,
            volumeSnapshotClassName:
              copyMethod === ReplicationSourceSpecResticCopyMethod.SNAPSHOT
                ? config.volumeSnapshotClassName
                : undefined,
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
