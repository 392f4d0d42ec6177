import { findOne, mainContainer, synth } from './support/synth';

describe('valkey', () => {
  const manifests = synth();
  const deployment = findOne(manifests, 'Deployment', 'valkey');
  const podSpec = deployment.spec.template.spec;
  const container = mainContainer(deployment);

  test('valkey Service exposes port 6379 to the container port', () => {
    const service = findOne(manifests, 'Service', 'valkey');
    const [port] = service.spec.ports;
    expect(port.port).toBe(6379);
    const target = container.ports.find((p: any) => p.name === port.targetPort || p.containerPort === port.targetPort);
    expect(target.containerPort).toBe(6379);
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
  });

  test('valkey mounts the valkey-data PVC at /data', () => {
    const mount = container.volumeMounts.find((m: any) => m.mountPath === '/data');
    const volume = podSpec.volumes.find((v: any) => v.name === mount.name);
    expect(volume.persistentVolumeClaim.claimName).toBe('valkey-data');
    expect(findOne(manifests, 'PersistentVolumeClaim', 'valkey-data').spec.accessModes).toEqual(['ReadWriteOnce']);
  });

  test('valkey-data PVC size and class follow storage.valkey', () => {
    const pvc = findOne(
      synth({ storage: { valkey: { size: '2Gi', storageClass: 'fast' } } }),
      'PersistentVolumeClaim',
      'valkey-data',
    );
    expect(pvc.spec.resources.requests.storage).toBe('2Gi');
    expect(pvc.spec.storageClassName).toBe('fast');
  });

  test('valkey image is pinned by digest', () => {
    expect(container.image).toBe(
      'docker.io/valkey/valkey:9@sha256:3b55fbaa0cd93cf0d9d961f405e4dfcc70efe325e2d84da207a0a8e6d8fde4f9',
    );
  });

  test('valkey keeps accepting writes when a snapshot fails', () => {
    expect(container.command).toEqual(['valkey-server', '--stop-writes-on-bgsave-error', 'no']);
  });

  test.each(['startupProbe', 'readinessProbe', 'livenessProbe'])('valkey %s runs valkey-cli ping', (probe) => {
    expect(container[probe].exec.command.join(' ')).toMatch(/\bvalkey-cli\b.*\bping\b/);
  });

  test('valkey uses the Recreate strategy', () => {
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
  });

  test('valkey runs as uid 999', () => {
    expect(podSpec.securityContext).toMatchObject({ runAsUser: 999, runAsNonRoot: true, fsGroup: 999 });
  });

  test('valkey resources follow resources.valkey', () => {
    const resources = mainContainer(
      findOne(synth({ resources: { valkey: { requests: { memory: '128Mi' } } } }), 'Deployment', 'valkey'),
    ).resources;
    expect(resources.requests).toEqual({ cpu: '50m', memory: '128Mi' });
  });
});
