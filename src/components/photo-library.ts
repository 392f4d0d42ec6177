import { JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { LibraryConfig } from '../config';
import { NAMES } from '../constants';
import { SYNC_WAVES, syncPolicy } from '../lib/argocd';

export interface PhotoLibraryProps {
  /** `library` of the configuration. */
  readonly library: LibraryConfig;
  /** Namespace of the claim; part of the PersistentVolume's cluster-wide name. */
  readonly namespace: string;
}

/**
 * The external photo library, read-only. An NFS export becomes a PersistentVolume bound to one
 * claim, so that the pod mounts a claim (a `restricted` volume type) rather than an inline NFS
 * volume (which `restricted` forbids); a claim you made is mounted as it is; a host path stays
 * an inline volume (`privileged`).
 */
export class PhotoLibrary extends Construct {
  /** The pod volume named `library`; undefined without a library. */
  readonly volume?: k8s.Volume;

  constructor(scope: Construct, id: string, props: PhotoLibraryProps) {
    super(scope, id);
    const { library } = props;
    const name = 'library';
    switch (library.source) {
      case 'none':
        return;
      case 'pvc':
        this.volume = { name, persistentVolumeClaim: { claimName: library.claimName, readOnly: true } };
        return;
      case 'hostPath':
        this.volume = { name, hostPath: { path: library.path, type: 'Directory' } };
        return;
      case 'nfs':
        this.volume = {
          name,
          persistentVolumeClaim: { claimName: this.nfs(library, props.namespace), readOnly: true },
        };
    }
  }

  /** A Retain PersistentVolume for the export and the one claim it binds to; returns the claim's name. */
  private nfs(library: Extract<LibraryConfig, { source: 'nfs' }>, namespace: string): string {
    const claim = NAMES.libraryPvc;
    // Cluster-scoped: the namespace in its name keeps two installations apart.
    const volumeName = `${claim}-${namespace}`;
    // NFS ignores the size; the API requires one, and claim and volume must agree for the bind.
    const storage = k8s.Quantity.fromString(library.capacity);
    const volume = new k8s.KubePersistentVolume(this, 'volume', {
      metadata: { name: volumeName },
      spec: {
        capacity: { storage },
        accessModes: ['ReadOnlyMany'],
        persistentVolumeReclaimPolicy: 'Retain',
        mountOptions: library.mountOptions.length > 0 ? [...library.mountOptions] : undefined,
        nfs: { server: library.server, path: library.path, readOnly: true },
        claimRef: { namespace, name: claim },
      },
    });
    // A PersistentVolume has no namespace; the chart stamps one on every object.
    volume.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    syncPolicy(volume, { wave: SYNC_WAVES.prerequisites, keep: true });
    const pvc = new k8s.KubePersistentVolumeClaim(this, 'claim', {
      metadata: { name: claim },
      spec: {
        accessModes: ['ReadOnlyMany'],
        // An empty class keeps the default StorageClass from provisioning a volume for this claim
        // (a volume without a class is stored without the field, so it is left out there).
        storageClassName: '',
        volumeName,
        resources: { requests: { storage } },
      },
    });
    syncPolicy(pvc, { wave: SYNC_WAVES.prerequisites, keep: true });
    return claim;
  }
}
