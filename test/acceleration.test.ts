import { INLINE, SPLIT } from './support/modes';
import { pssViolations } from '../src/lib/pss';
import { configError, EXAMPLE_YAML, envOf, findOne, mainContainer, synth } from './support/synth';

const ml = (machineLearning: Record<string, unknown>) =>
  findOne(synth({ machineLearning }), 'Deployment', 'immich-machine-learning');
const server = (overrides: Record<string, unknown>) => findOne(synth(overrides), 'Deployment', 'immich-server');
const immichConfig = (overrides: Record<string, unknown>) =>
  JSON.parse(
    findOne(
      synth({ ...overrides, ...INLINE }, { IMMICH_DB_PASSWORD: 'p', IMMICH_OAUTH_CLIENT_SECRET: 'c' }),
      'Secret',
      'immich-config',
    ).stringData['immich-config.json'],
  );

describe('machine-learning backends', () => {
  test('openvino runs the -openvino image on an Intel GPU with the render group, restricted', () => {
    const deployment = ml({ backend: 'openvino', gpu: { renderGroupId: 993, runtimeClassName: 'nvidia' } });
    const container = mainContainer(deployment);
    expect(container.image).toMatch(/:v\d+\.\d+\.\d+-openvino$/);
    expect(container.resources.limits).toEqual({ memory: '8Gi', 'gpu.intel.com/i915': '1' });
    expect(deployment.spec.template.spec.securityContext.supplementalGroups).toEqual([993]);
    expect(deployment.spec.template.spec).not.toHaveProperty('runtimeClassName');
    expect(pssViolations(deployment.spec.template.spec, 'restricted')).toEqual([]);
  });

  test('openvino takes gpu.intel.com/xe when configured', () => {
    const container = mainContainer(
      ml({ backend: 'openvino', gpu: { resource: 'gpu.intel.com/xe', renderGroupId: 993 } }),
    );
    expect(container.resources.limits['gpu.intel.com/xe']).toBe('1');
  });

  test('rocm runs the -rocm image on amd.com/gpu with HSA_OVERRIDE_GFX_VERSION, restricted', () => {
    const deployment = ml({ backend: 'rocm', gpu: { renderGroupId: 109, hsaOverrideGfxVersion: '10.3.0', count: 2 } });
    const container = mainContainer(deployment);
    expect(container.image).toMatch(/-rocm$/);
    expect(container.resources.limits['amd.com/gpu']).toBe('2');
    expect(envOf(container).HSA_OVERRIDE_GFX_VERSION).toBe('10.3.0');
    expect(pssViolations(deployment.spec.template.spec, 'restricted')).toEqual([]);
  });

  test('cuda keeps the NVIDIA runtime class and no supplemental group', () => {
    const deployment = ml({});
    expect(deployment.spec.template.spec.runtimeClassName).toBe('nvidia');
    expect(deployment.spec.template.spec.securityContext).not.toHaveProperty('supplementalGroups');
  });

  test.each(['armnn', 'rknn'])('%s is refused with the reason', (backend) => {
    expect(configError(EXAMPLE_YAML.replace('backend: cuda', `backend: ${backend}`))).toContain(
      `machineLearning.backend: "${backend}" needs the host's device nodes and driver paths mounted into the pod`,
    );
  });

  test('preloaded models become the v3 MACHINE_LEARNING_PRELOAD__* variables', () => {
    const env = envOf(
      mainContainer(
        ml({
          preload: {
            clipTextual: 'ViT-B-32__openai',
            clipVisual: 'ViT-B-32__openai',
            facialRecognitionDetection: 'buffalo_l',
            facialRecognitionRecognition: 'buffalo_l',
          },
        }),
      ),
    );
    expect(env).toMatchObject({
      MACHINE_LEARNING_PRELOAD__CLIP__TEXTUAL: 'ViT-B-32__openai',
      MACHINE_LEARNING_PRELOAD__CLIP__VISUAL: 'ViT-B-32__openai',
      MACHINE_LEARNING_PRELOAD__FACIAL_RECOGNITION__DETECTION: 'buffalo_l',
      MACHINE_LEARNING_PRELOAD__FACIAL_RECOGNITION__RECOGNITION: 'buffalo_l',
    });
    expect(Object.keys(env).filter((k) => k.includes('PRELOAD__CLIP') && !/(TEXTUAL|VISUAL)$/.test(k))).toEqual([]);
  });
});

describe('hardware transcoding', () => {
  test('none leaves the server without a GPU and the config file without ffmpeg', () => {
    expect(mainContainer(server({})).resources.limits).toEqual({ memory: '4Gi' });
    expect(immichConfig({})).not.toHaveProperty('ffmpeg');
  });

  test('nvenc gives the server an nvidia.com/gpu, the video driver capability and the runtime class', () => {
    const deployment = server({ transcoding: { acceleration: 'nvenc', gpu: { runtimeClassName: 'nvidia' } } });
    const container = mainContainer(deployment);
    expect(container.resources.limits['nvidia.com/gpu']).toBe('1');
    expect(envOf(container).NVIDIA_DRIVER_CAPABILITIES?.split(',')).toContain('video');
    expect(deployment.spec.template.spec.runtimeClassName).toBe('nvidia');
    expect(immichConfig({ transcoding: { acceleration: 'nvenc' } }).ffmpeg).toEqual({
      accel: 'nvenc',
      accelDecode: false,
    });
  });

  test('qsv asks the Intel device plugin and joins the render group; hardware decoding is written too', () => {
    const transcoding = { acceleration: 'qsv', hardwareDecoding: true, gpu: { renderGroupId: 993 } };
    const deployment = server({ transcoding });
    expect(mainContainer(deployment).resources.limits['gpu.intel.com/i915']).toBe('1');
    expect(deployment.spec.template.spec.securityContext.supplementalGroups).toEqual([993]);
    expect(envOf(mainContainer(deployment))).not.toHaveProperty('NVIDIA_DRIVER_CAPABILITIES');
    expect(immichConfig({ transcoding }).ffmpeg).toEqual({ accel: 'qsv', accelDecode: true });
    expect(pssViolations(deployment.spec.template.spec, 'restricted')).toEqual([]);
  });

  test('vaapi can run on an AMD GPU', () => {
    const deployment = server({
      transcoding: { acceleration: 'vaapi', gpu: { resource: 'amd.com/gpu', renderGroupId: 109 } },
    });
    expect(mainContainer(deployment).resources.limits['amd.com/gpu']).toBe('1');
  });

  test('with split workers the workers transcode, not the API', () => {
    const manifests = synth({ ...SPLIT, transcoding: { acceleration: 'nvenc' } });
    expect(
      mainContainer(findOne(manifests, 'Deployment', 'immich-microservices')).resources.limits['nvidia.com/gpu'],
    ).toBe('1');
    expect(mainContainer(findOne(manifests, 'Deployment', 'immich-server')).resources.limits).not.toHaveProperty(
      'nvidia.com/gpu',
    );
  });
});

describe('bad input', () => {
  const errorOf = (yaml: string) => configError(`${EXAMPLE_YAML}${yaml}`);

  test('fails on an unknown acceleration', () => {
    expect(errorOf('transcoding: { acceleration: rkmpp }\n')).toContain(
      'transcoding.acceleration: must be one of "none", "nvenc", "qsv", "vaapi", got "rkmpp"',
    );
  });

  test('fails on a GPU count of 0 and a render group id that is not a whole number', () => {
    const message = errorOf('transcoding: { acceleration: qsv, gpu: { count: 0, renderGroupId: 99.5 } }\n');
    expect(message).toContain('transcoding.gpu.count: must be at least 1, got 0');
    expect(message).toContain('transcoding.gpu.renderGroupId: must be a whole number, got 99.5');
  });

  test('fails when an Intel or AMD GPU has no render group id', () => {
    expect(errorOf('transcoding: { acceleration: vaapi }\n')).toContain(
      'transcoding.gpu.renderGroupId: required with acceleration "vaapi"',
    );
    expect(configError(EXAMPLE_YAML.replace('backend: cuda', 'backend: openvino'))).toContain(
      'machineLearning.gpu.renderGroupId: required with backend "openvino"',
    );
  });

  test('fails on NVENC with a non-NVIDIA resource and on hardware decoding without acceleration', () => {
    expect(errorOf('transcoding: { acceleration: nvenc, gpu: { resource: amd.com/gpu } }\n')).toContain(
      'transcoding.gpu.resource: NVENC needs "nvidia.com/gpu", got "amd.com/gpu"',
    );
    expect(errorOf('transcoding: { hardwareDecoding: true }\n')).toContain(
      'transcoding.hardwareDecoding: needs transcoding.acceleration',
    );
  });
});
