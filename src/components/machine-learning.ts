import { Construct } from 'constructs';
import type { Resources, VolumeConfig } from '../config';
import { HEALTH_PATHS, IMAGES, ML_MODEL_REVISION_ENV, NAMES, PATHS, PORTS } from '../constants';
import { CONTAINER_SECURITY_CONTEXT, type Endpoint, httpProbe, resourceRequirements, scratchVolume } from '../lib/pod';
import { SYNC_WAVES } from '../lib/argocd';
import { type DeviceGpu, deviceGpu } from '../lib/gpu';
import {
  type Scaling,
  componentDeployment,
  componentIdentity,
  componentService,
  persistentClaim,
} from '../lib/workload';

/** Non-root identity for the image (it defines no user of its own). */
const ML_UID = 1000;

/** Image tag suffix of each backend. */
const IMAGE_SUFFIX: Record<MlBackend, string> = { cuda: '-cuda', openvino: '-openvino', rocm: '-rocm', cpu: '' };

/** Backends this component runs; `armnn` and `rknn` are refused by the configuration check. */
export type MlBackend = 'cuda' | 'openvino' | 'rocm' | 'cpu';

/** The v3 preload variables and the models they name. */
export interface PreloadProps {
  readonly clipTextual?: string;
  readonly clipVisual?: string;
  readonly facialRecognitionDetection?: string;
  readonly facialRecognitionRecognition?: string;
}

const PRELOAD_ENV: Record<keyof PreloadProps, string> = {
  clipTextual: 'MACHINE_LEARNING_PRELOAD__CLIP__TEXTUAL',
  clipVisual: 'MACHINE_LEARNING_PRELOAD__CLIP__VISUAL',
  facialRecognitionDetection: 'MACHINE_LEARNING_PRELOAD__FACIAL_RECOGNITION__DETECTION',
  facialRecognitionRecognition: 'MACHINE_LEARNING_PRELOAD__FACIAL_RECOGNITION__RECOGNITION',
};

/** GPU scheduling for every backend but cpu. */
export interface GpuProps extends DeviceGpu {
  /** `HSA_OVERRIDE_GFX_VERSION` (rocm). @default none */
  readonly hsaOverrideGfxVersion?: string;
}

export interface MachineLearningProps {
  /** Label `app.kubernetes.io/instance`. */
  readonly instance: string;
  /** Immich release; must equal the server's. */
  readonly version: string;
  /** Digest of this backend's image of the release. @default pinned by tag only */
  readonly digest?: string;
  /** Selects the image tag suffix and the GPU resource. */
  readonly backend: MlBackend;
  /** Used with every backend but cpu. */
  readonly gpu: GpuProps;
  /** Models to load at start. @default none */
  readonly preload?: PreloadProps;
  /**
   * `MACHINE_LEARNING_MODEL_REVISION` of the models to download, e.g. `v2`; each revision gets a
   * folder of its own in the cache. @default unset: Immich's `main`
   */
  readonly modelRevision?: string;
  /** Model cache volume. */
  readonly storage: VolumeConfig;
  /** `pvc`: `immich-ml-cache`, shared by every pod; `emptyDir`: one per pod, filled at each start. @default "pvc" */
  readonly cache?: 'pvc' | 'emptyDir';
  /** @default one pod, stopped before a new one starts */
  readonly scaling?: Scaling;
  readonly resources: Resources;
  /** `TZ` of the container. */
  readonly timezone: string;
}

/**
 * Immich machine learning (smart search, faces, OCR) with its model cache on a PVC.
 * @see https://immich.app/docs/install/environment-variables#machine-learning
 */
export class MachineLearning extends Construct {
  /** Where the server reaches machine learning. */
  readonly endpoint: Endpoint;

  constructor(scope: Construct, id: string, props: MachineLearningProps) {
    super(scope, id);
    const identity = componentIdentity(
      NAMES.machineLearning,
      'machine-learning',
      props.instance,
      SYNC_WAVES.machineLearning,
    );
    const gpu = props.backend === 'cpu' ? undefined : deviceGpu(props.gpu);
    const tag = `${props.version}${IMAGE_SUFFIX[props.backend]}`;
    const image = `${IMAGES.machineLearning}:${tag}${props.digest ? `@${props.digest}` : ''}`;
    const preload = (Object.keys(PRELOAD_ENV) as (keyof PreloadProps)[]).flatMap((key) => {
      const model = props.preload?.[key];
      return model ? [{ name: PRELOAD_ENV[key], value: model }] : [];
    });

    const sharedCache = (props.cache ?? 'pvc') === 'pvc';
    if (sharedCache) persistentClaim(this, 'cache', identity, NAMES.mlCachePvc, props.storage);
    componentService(this, 'service', identity, { name: 'http', port: PORTS.machineLearning });

    const cache = (sub: string) => `${PATHS.mlCache}/${sub}`;
    componentDeployment(
      this,
      identity,
      {
        uid: ML_UID,
        supplementalGroups: gpu?.supplementalGroups,
        spec: { ...gpu?.podSpec },
        containers: [
          {
            name: 'machine-learning',
            image,
            imagePullPolicy: 'IfNotPresent',
            ports: [{ name: 'http', containerPort: PORTS.machineLearning }],
            env: [
              // The default bind address [::] crash-loops on clusters without IPv6.
              { name: 'IMMICH_HOST', value: '0.0.0.0' },
              { name: 'IMMICH_PORT', value: String(PORTS.machineLearning) },
              { name: 'MACHINE_LEARNING_CACHE_FOLDER', value: PATHS.mlCache },
              // Everything the libraries cache goes to the PVC; the root file system is read-only.
              { name: 'HOME', value: PATHS.mlCache },
              { name: 'TRANSFORMERS_CACHE', value: PATHS.mlCache },
              { name: 'HF_XET_CACHE', value: cache('huggingface-xet') },
              { name: 'MPLCONFIGDIR', value: cache('matplotlib-config') },
              // gunicorn puts its control socket here (else under HOME, on the PVC); /tmp is an emptyDir.
              { name: 'XDG_RUNTIME_DIR', value: '/tmp' },
              { name: 'TZ', value: props.timezone },
              ...(props.backend === 'rocm' && props.gpu.hsaOverrideGfxVersion
                ? [{ name: 'HSA_OVERRIDE_GFX_VERSION', value: props.gpu.hsaOverrideGfxVersion }]
                : []),
              ...preload,
              ...(props.modelRevision ? [{ name: ML_MODEL_REVISION_ENV, value: props.modelRevision }] : []),
            ],
            resources: resourceRequirements(props.resources, gpu?.limits),
            securityContext: CONTAINER_SECURITY_CONTEXT,
            // Loading models onto the GPU can take minutes on the first start.
            startupProbe: httpProbe(HEALTH_PATHS.machineLearning, PORTS.machineLearning, {
              periodSeconds: 10,
              failureThreshold: 60,
            }),
            readinessProbe: httpProbe(HEALTH_PATHS.machineLearning, PORTS.machineLearning, {
              periodSeconds: 10,
              failureThreshold: 3,
            }),
            livenessProbe: httpProbe(HEALTH_PATHS.machineLearning, PORTS.machineLearning, {
              periodSeconds: 30,
              failureThreshold: 5,
            }),
            volumeMounts: [
              { name: 'cache', mountPath: PATHS.mlCache },
              { name: 'tmp', mountPath: '/tmp' },
            ],
          },
        ],
        volumes: [
          sharedCache
            ? { name: 'cache', persistentVolumeClaim: { claimName: NAMES.mlCachePvc } }
            : scratchVolume('cache', props.storage.size),
          scratchVolume('tmp', '1Gi'),
        ],
      },
      props.scaling,
    );

    this.endpoint = { host: identity.name, port: PORTS.machineLearning, pods: identity.selector };
  }
}
