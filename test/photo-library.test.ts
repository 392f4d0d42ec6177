import { findOne, replace, synth } from './support/synth';

const manifests = synth();
const volume = findOne(manifests, 'PersistentVolume', 'immich-library-immich');
const claim = findOne(manifests, 'PersistentVolumeClaim', 'immich-library');

describe('an NFS photo library', () => {
  test('is a read-only, Retain PersistentVolume named after the namespace, without one of its own', () => {
    expect(volume.metadata).not.toHaveProperty('namespace');
    expect(volume.spec).toEqual({
      capacity: { storage: '1Ti' },
      accessModes: ['ReadOnlyMany'],
      persistentVolumeReclaimPolicy: 'Retain',
      nfs: { server: 'nas.example.com', path: '/volume1/photos', readOnly: true },
      claimRef: { namespace: 'immich', name: 'immich-library' },
    });
  });

  test('is bound to one claim, which names the volume and no StorageClass', () => {
    expect(claim.spec).toEqual({
      accessModes: ['ReadOnlyMany'],
      storageClassName: '',
      volumeName: 'immich-library-immich',
      resources: { requests: { storage: '1Ti' } },
    });
  });

  test('takes mount options and a capacity, and follows the namespace', () => {
    const custom = synth({
      namespace: 'photos',
      library: { mountOptions: ['nfsvers=4.1', 'hard'], capacity: '20Ti' },
    });
    const pv = findOne(custom, 'PersistentVolume', 'immich-library-photos');
    expect(pv.spec.mountOptions).toEqual(['nfsvers=4.1', 'hard']);
    expect(pv.spec.capacity).toEqual({ storage: '20Ti' });
    expect(pv.spec.claimRef).toEqual({ namespace: 'photos', name: 'immich-library' });
  });

  test('Argo CD never prunes or deletes the volume or its claim', () => {
    for (const object of [volume, claim]) {
      expect(object.metadata.annotations?.['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    }
  });

  test('leaves no inline nfs volume in any pod', () => {
    expect(JSON.stringify(manifests.filter((m) => m.object.kind === 'Deployment'))).not.toContain('"nfs"');
  });
});

test('other library sources synthesize no PersistentVolume', () => {
  for (const library of [
    { source: 'none' },
    { source: 'pvc', claimName: 'photos' },
    { source: 'hostPath', path: '/srv' },
  ]) {
    expect(synth({ library: replace(library) }).filter((m) => m.object.kind === 'PersistentVolume')).toEqual([]);
  }
});
