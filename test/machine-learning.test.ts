import { Yaml } from 'cdk8s';
import { envOf, findOne, mainContainer, synth } from './support/synth';

const ml = (overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) =>
  findOne(synth(overrides, env), 'Deployment', 'immich-machine-learning');
const cpu = () => ml({ machineLearning: { backend: 'cpu' } });

describe('machine-learning', () => {
  const manifests = synth();
  const deployment = findOne(manifests, 'Deployment', 'immich-machine-learning');
  const podSpec = deployment.spec.template.spec;
  const container = mainContainer(deployment);
  const env = envOf(container);

  test('machine-learning image is the cuda flavour of the server version', () => {
    const serverImage: string = mainContainer(findOne(manifests, 'Deployment', 'immich-server')).image;
    expect(container.image).toBe('ghcr.io/immich-app/immich-machine-learning:v3.3.1-cuda');
    expect(container.image).toBe(`ghcr.io/immich-app/immich-machine-learning:${serverImage.split(':')[1]}-cuda`);
  });

  test('machine-learning image follows immich.version like the server', () => {
    const out = synth({ immich: { version: 'v2.4.0' } });
    expect(mainContainer(findOne(out, 'Deployment', 'immich-machine-learning')).image).toBe(
      'ghcr.io/immich-app/immich-machine-learning:v2.4.0-cuda',
    );
    expect(mainContainer(findOne(out, 'Deployment', 'immich-server')).image).toBe(
      'ghcr.io/immich-app/immich-server:v2.4.0',
    );
  });

  test('machine-learning image has no suffix for the cpu backend', () => {
    expect(mainContainer(cpu()).image).toBe('ghcr.io/immich-app/immich-machine-learning:v3.3.1');
  });

  test('machine-learning requests one nvidia.com/gpu by default', () => {
    expect(container.resources.limits['nvidia.com/gpu']).toBe('1');
  });

  test('machine-learning nvidia.com/gpu limit follows gpu.count', () => {
    expect(mainContainer(ml({ machineLearning: { gpu: { count: 2 } } })).resources.limits['nvidia.com/gpu']).toBe('2');
  });

  test('machine-learning YAML renders the gpu count as the quoted quantity the server returns', () => {
    const text = Yaml.stringify(ml({ machineLearning: { gpu: { count: 2 } } }));
    expect(text).toContain('nvidia.com/gpu: "2"\n');
    expect(text).not.toMatch(/nvidia\.com\/gpu: (null|2\n)/);
  });

  test('machine-learning with the cpu backend has no gpu limit', () => {
    expect(mainContainer(cpu()).resources.limits).not.toHaveProperty(['nvidia.com/gpu']);
  });

  test('machine-learning with the cpu backend has no tolerations', () => {
    expect(cpu().spec.template.spec.tolerations).toBeUndefined();
  });

  test('machine-learning with the cpu backend has no runtimeClassName', () => {
    expect(cpu().spec.template.spec.runtimeClassName).toBeUndefined();
  });

  test('machine-learning with the cpu backend ignores the gpu nodeSelector', () => {
    const deployment = ml({ machineLearning: { backend: 'cpu', gpu: { nodeSelector: { gpu: 'true' } } } });
    expect(deployment.spec.template.spec.nodeSelector).toBeUndefined();
  });

  test('machine-learning uses runtimeClassName nvidia from the example', () => {
    expect(podSpec.runtimeClassName).toBe('nvidia');
  });

  test('machine-learning has no runtimeClassName when gpu.runtimeClassName is unset', () => {
    const deployment = ml({ machineLearning: { gpu: { runtimeClassName: undefined } } });
    expect(deployment.spec.template.spec.runtimeClassName).toBeUndefined();
  });

  test('machine-learning tolerates the nvidia.com/gpu taint by default', () => {
    expect(podSpec.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
  });

  test('machine-learning tolerations follow gpu.tolerations', () => {
    const tolerations = [{ key: 'gpu', operator: 'Equal', value: 'yes', effect: 'NoExecute' }];
    const deployment = ml({ machineLearning: { gpu: { tolerations } } });
    expect(deployment.spec.template.spec.tolerations).toEqual(tolerations);
  });

  test('machine-learning has no nodeSelector by default', () => {
    expect(podSpec.nodeSelector).toBeUndefined();
  });

  test('machine-learning nodeSelector follows gpu.nodeSelector', () => {
    const nodeSelector = { 'nvidia.com/gpu.present': 'true' };
    expect(ml({ machineLearning: { gpu: { nodeSelector } } }).spec.template.spec.nodeSelector).toEqual(nodeSelector);
  });

  test('machine-learning binds to 0.0.0.0', () => {
    expect(env.IMMICH_HOST).toBe('0.0.0.0');
  });

  test('machine-learning keeps HF_XET_CACHE and MPLCONFIGDIR under /cache', () => {
    expect(env.HF_XET_CACHE).toMatch(/^\/cache\/./);
    expect(env.MPLCONFIGDIR).toMatch(/^\/cache\/./);
  });

  test('machine-learning keeps runtime sockets in the /tmp emptyDir', () => {
    expect(env.XDG_RUNTIME_DIR).toBe('/tmp');
    expect(container.volumeMounts.map((m: any) => m.mountPath)).toContain('/tmp');
  });

  test('machine-learning mounts the immich-ml-cache PVC at /cache', () => {
    const mount = container.volumeMounts.find((m: any) => m.mountPath === '/cache');
    const volume = podSpec.volumes.find((v: any) => v.name === mount.name);
    expect(volume.persistentVolumeClaim.claimName).toBe('immich-ml-cache');
    expect(findOne(manifests, 'PersistentVolumeClaim', 'immich-ml-cache').spec.resources.requests.storage).toBe('10Gi');
  });

  test.each(['startupProbe', 'readinessProbe', 'livenessProbe'])('machine-learning %s gets /ping on 3003', (probe) => {
    expect(container[probe].httpGet).toEqual({ path: '/ping', port: 3003 });
  });

  test('machine-learning startup probe allows at least 600 s for model loading', () => {
    const { periodSeconds, failureThreshold } = container.startupProbe;
    expect(periodSeconds * failureThreshold).toBeGreaterThanOrEqual(600);
  });

  test('machine-learning Service exposes port 3003 to the container port', () => {
    const [port] = findOne(manifests, 'Service', 'immich-machine-learning').spec.ports;
    expect(port.port).toBe(3003);
    const target = container.ports.find((p: any) => p.name === port.targetPort || p.containerPort === port.targetPort);
    expect(target.containerPort).toBe(3003);
  });

  test('machine-learning disables service links', () => {
    expect(podSpec.enableServiceLinks).toBe(false);
  });

  test('machine-learning resources follow resources.machineLearning', () => {
    const resources = mainContainer(
      ml({ machineLearning: { backend: 'cpu' }, resources: { machineLearning: { limits: { memory: '12Gi' } } } }),
    ).resources;
    expect(resources.limits).toEqual({ memory: '12Gi' });
  });
});
