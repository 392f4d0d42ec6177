/** Hardware acceleration: machine-learning backends and video transcoding on device-plugin GPUs. */
import * as v from 'valibot';
import { type DeepPartial, bool, count, dnsSubdomain, oneOf, section, stringMap, text, toleration } from './primitives';

/** Machine-learning image flavours; the last two need host devices and are refused. */
export const ML_BACKENDS = ['cuda', 'openvino', 'rocm', 'cpu', 'armnn', 'rknn'] as const;
/** Device-plugin resources a GPU can be requested by. */
export const GPU_RESOURCES = ['nvidia.com/gpu', 'gpu.intel.com/i915', 'gpu.intel.com/xe', 'amd.com/gpu'] as const;
/** `ffmpeg.accel` values this project can schedule onto a device plugin. */
export const TRANSCODING_ACCELERATIONS = ['none', 'nvenc', 'qsv', 'vaapi'] as const;

export type GpuResource = (typeof GPU_RESOURCES)[number];

/** The device-plugin resource each backend or acceleration needs unless configured otherwise. */
const DEFAULT_GPU_RESOURCE: Record<string, GpuResource> = {
  cuda: 'nvidia.com/gpu',
  nvenc: 'nvidia.com/gpu',
  openvino: 'gpu.intel.com/i915',
  qsv: 'gpu.intel.com/i915',
  vaapi: 'gpu.intel.com/i915',
  rocm: 'amd.com/gpu',
};

/** The resource a backend or acceleration asks for: the configured one, or its default. */
export function gpuResource(kind: string, configured?: string): string {
  return configured ?? DEFAULT_GPU_RESOURCE[kind] ?? 'nvidia.com/gpu';
}

/** A model name as Immich's model repository spells it, e.g. `ViT-B-32__openai`. */
const modelName = text(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a model name like "ViT-B-32__openai"');
/** The host's render group: a gid. */
const groupId = v.pipe(count(1), v.maxValue(2147483647, 'must be a group id'));

/** Where a GPU comes from: the device plugin's resource, how many, and what the node needs. */
export const gpuEntries = {
  /** Devices of the resource per pod. @default 1 */
  count: v.optional(count(1), 1),
  /** Device-plugin resource. @default by backend: `nvidia.com/gpu`, `gpu.intel.com/i915` or `amd.com/gpu` */
  resource: v.optional(oneOf(GPU_RESOURCES)),
  /** RuntimeClass of the NVIDIA container runtime (NVIDIA only); unset uses the node default. */
  runtimeClassName: v.optional(dnsSubdomain('nvidia')),
  /** The host's `render` group id (Intel and AMD), given to the pod as a supplemental group. */
  renderGroupId: v.optional(groupId),
  /** Node selector for GPU nodes. @default {} */
  nodeSelector: v.optional(stringMap, {}),
};

export const preloadSection = section({
  /** `MACHINE_LEARNING_PRELOAD__CLIP__TEXTUAL`: the smart-search text model. */
  clipTextual: v.optional(modelName),
  /** `MACHINE_LEARNING_PRELOAD__CLIP__VISUAL`. */
  clipVisual: v.optional(modelName),
  /** `MACHINE_LEARNING_PRELOAD__FACIAL_RECOGNITION__DETECTION`. */
  facialRecognitionDetection: v.optional(modelName),
  /** `MACHINE_LEARNING_PRELOAD__FACIAL_RECOGNITION__RECOGNITION`. */
  facialRecognitionRecognition: v.optional(modelName),
});

export const transcodingSection = section({
  /** `ffmpeg.accel` of the Immich config file, on the pod that transcodes. @default "none" */
  acceleration: v.optional(oneOf(TRANSCODING_ACCELERATIONS), 'none'),
  /** `ffmpeg.accelDecode`: decode on the GPU too. @default false */
  hardwareDecoding: v.optional(bool(), false),
  /** The GPU of the transcoding pod. */
  gpu: section({
    ...gpuEntries,
    /** Tolerations for the taints of the transcoding GPU's nodes. @default none */
    tolerations: v.optional(v.array(toleration, 'must be a list'), []),
  }),
});

export type PreloadConfig = v.InferOutput<typeof preloadSection>;
export type TranscodingConfig = v.InferOutput<typeof transcodingSection>;

interface AccelerationInput {
  readonly machineLearning?: {
    readonly backend?: string;
    readonly gpu?: { readonly resource?: string; readonly renderGroupId?: number };
  };
  readonly transcoding?: DeepPartial<TranscodingConfig>;
}

/** Problems of backends and accelerations the cluster cannot give a restricted pod. */
export function accelerationProblems(input: AccelerationInput): string[] {
  const problems: string[] = [];
  const backend = input.machineLearning?.backend;
  if (backend === 'armnn' || backend === 'rknn') {
    problems.push(
      `machineLearning.backend: "${backend}" needs the host's device nodes and driver paths mounted into the pod, which no device plugin provides and which would make the namespace privileged; use "cpu", "cuda", "openvino" or "rocm", got "${backend}"`,
    );
  }
  if (backend && backend !== 'cpu') {
    problems.push(
      ...renderGroupProblems('machineLearning.gpu', `backend "${backend}"`, input.machineLearning?.gpu, backend),
    );
  }
  const acceleration = input.transcoding?.acceleration;
  const resource = input.transcoding?.gpu?.resource ?? (acceleration ? DEFAULT_GPU_RESOURCE[acceleration] : undefined);
  if (acceleration && acceleration !== 'none') {
    problems.push(
      ...renderGroupProblems('transcoding.gpu', `acceleration "${acceleration}"`, input.transcoding?.gpu, acceleration),
    );
  }
  if (acceleration === 'nvenc' && resource && resource !== 'nvidia.com/gpu') {
    problems.push(`transcoding.gpu.resource: NVENC needs "nvidia.com/gpu", got "${resource}"`);
  }
  if ((acceleration === 'qsv' || acceleration === 'vaapi') && resource === 'nvidia.com/gpu') {
    problems.push(`transcoding.gpu.resource: ${acceleration} needs an Intel or AMD GPU resource, got "nvidia.com/gpu"`);
  }
  if (input.transcoding?.hardwareDecoding && (acceleration ?? 'none') === 'none') {
    problems.push('transcoding.hardwareDecoding: needs transcoding.acceleration other than "none", got true');
  }
  return problems;
}

/** An Intel or AMD GPU's device nodes belong to the host's render group, which the pod must join. */
function renderGroupProblems(
  key: string,
  use: string,
  gpu: { readonly resource?: string; readonly renderGroupId?: number } | undefined,
  kind: string,
): string[] {
  const resource = gpu?.resource ?? DEFAULT_GPU_RESOURCE[kind];
  if (!resource || resource === 'nvidia.com/gpu' || gpu?.renderGroupId) return [];
  return [
    `${key}.renderGroupId: required with ${use}: the id of the host's render group (getent group render), which lets the non-root pod open the GPU, got nothing`,
  ];
}
