import { k8s } from 'cdk8s-plus-28';

/** A GPU from a device plugin, as the configuration describes it. */
export interface DeviceGpu {
  /** Devices per pod. */
  readonly count: number;
  /** Device-plugin resource, e.g. `nvidia.com/gpu`, `gpu.intel.com/i915`, `amd.com/gpu`. */
  readonly resource: string;
  /** RuntimeClass of the NVIDIA runtime (NVIDIA only). @default the node's default runtime */
  readonly runtimeClassName?: string;
  /** The host's render group id (Intel and AMD): the device nodes belong to it. @default none */
  readonly renderGroupId?: number;
  /** Labels of GPU nodes. */
  readonly nodeSelector: Record<string, string>;
  /** Tolerations for GPU node taints. */
  readonly tolerations: readonly k8s.Toleration[];
}

/** What a GPU adds to a pod: scheduling, the resource limit and the group that may open the device. */
export interface GpuPodParts {
  readonly podSpec: Pick<k8s.PodSpec, 'runtimeClassName' | 'nodeSelector' | 'tolerations'>;
  readonly limits: Record<string, k8s.Quantity>;
  readonly supplementalGroups?: number[];
}

/**
 * A device-plugin GPU for a pod. The plugin adds the device nodes; nothing from the host is
 * mounted and nothing runs privileged, so the pod stays `restricted`. Intel and AMD device nodes
 * belong to the host's render group, which the non-root pod joins.
 */
export function deviceGpu(gpu: DeviceGpu): GpuPodParts {
  const nvidia = gpu.resource === 'nvidia.com/gpu';
  return {
    podSpec: {
      runtimeClassName: nvidia ? gpu.runtimeClassName : undefined,
      nodeSelector: Object.keys(gpu.nodeSelector).length > 0 ? gpu.nodeSelector : undefined,
      tolerations: gpu.tolerations.length > 0 ? [...gpu.tolerations] : undefined,
    },
    // A string quantity: a number would render as null, and the server stores "1".
    limits: { [gpu.resource]: k8s.Quantity.fromString(String(gpu.count)) },
    supplementalGroups: !nvidia && gpu.renderGroupId ? [gpu.renderGroupId] : undefined,
  };
}
