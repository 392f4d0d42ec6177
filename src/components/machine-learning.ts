import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { Resources, VolumeConfig } from '../config';
import { HEALTH_PATHS, IMAGES, NAMES, PATHS, PORTS } from '../constants';
import { CONTAINER_SECURITY_CONTEXT, type Endpoint, httpProbe, resourceRequirements, scratchVolume } from '../lib/pod';
import { SYNC_WAVES } from '../lib/argocd';
import {
  type Scaling,
  componentDeployment,
  componentIdentity,
  componentService,
  persistentClaim,
} from '../lib/workload';

/** Non-root identity for the image (it defines no user of its own). */
const ML_UID = 1000;

/** GPU scheduling for the cuda backend. */
export interface GpuProps {
  /** Number of `nvidia.com/gpu` to request. */
  readonly count: number;
  /** RuntimeClass of the NVIDIA runtime. @default - the node's default runtime */
  readonly runtimeClassName?: string;
  /** Labels of GPU nodes. */
  readonly nodeSelector: Record<string, string>;
  /** Tolerations for GPU node taints. */
  readonly tolerations: readonly k8s.Toleration[];
}

export interface MachineLearningProps {
  /** Label `app.kubernetes.io/instance`. */
  readonly instance: string;
  /** Immich release; must equal the server's. */
  readonly version: string;
  /** `cuda` (NVIDIA GPU) or `cpu`; selects the image tag suffix. */
  readonly backend: 'cuda' | 'cpu';
  /** Used only with the cuda backend. */
  readonly gpu: GpuProps;
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
    const cuda = props.backend === 'cuda';
    const image = `${IMAGES.machineLearning}:${props.version}${cuda ? '-cuda' : ''}`;

    const sharedCache = (props.cache ?? 'pvc') === 'pvc';
    if (sharedCache) persistentClaim(this, 'cache', identity, NAMES.mlCachePvc, props.storage);
    componentService(this, 'service', identity, { name: 'http', port: PORTS.machineLearning });

    const cache = (sub: string) => `${PATHS.mlCache}/${sub}`;
    componentDeployment(
      this,
      identity,
      {
        uid: ML_UID,
        spec: {
          runtimeClassName: cuda ? props.gpu.runtimeClassName : undefined,
          nodeSelector: cuda && Object.keys(props.gpu.nodeSelector).length > 0 ? props.gpu.nodeSelector : undefined,
          tolerations: cuda && props.gpu.tolerations.length > 0 ? [...props.gpu.tolerations] : undefined,
        },
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
            ],
            resources: resourceRequirements(
              props.resources,
              cuda ? { 'nvidia.com/gpu': k8s.Quantity.fromString(String(props.gpu.count)) } : {},
            ),
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
