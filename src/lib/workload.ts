import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { VolumeConfig } from '../config';
import { SYNC_WAVES, syncPolicy } from './argocd';
import { componentLabels, selectorLabels } from './labels';
import { claimSpec, podSecurityContext } from './pod';

/** Identity of a component: its fixed name and labels. */
export interface ComponentIdentity {
  /** Kubernetes name of the workload and its Service. */
  readonly name: string;
  /** Labels of the objects and pod template. */
  readonly labels: Record<string, string>;
  /** The immutable subset of `labels` that selectors use. */
  readonly selector: Record<string, string>;
  /** Argo CD sync wave of the workload, its Service and its PVCs (one of SYNC_WAVES). */
  readonly wave: number;
}

/** Name, labels and sync wave of a component of the given role. */
export function componentIdentity(name: string, component: string, instance: string, wave: number): ComponentIdentity {
  return { name, labels: componentLabels(name, component, instance), selector: selectorLabels(name, instance), wave };
}

/**
 * The component's own ServiceAccount, without an API token: no component calls the Kubernetes
 * API, and a dedicated account keeps RoleBindings to `default` from reaching Immich pods.
 */
export function componentServiceAccount(scope: Construct, identity: ComponentIdentity): k8s.KubeServiceAccount {
  const account = new k8s.KubeServiceAccount(scope, 'service-account', {
    metadata: { name: identity.name, labels: identity.labels },
    automountServiceAccountToken: false,
  });
  syncPolicy(account, { wave: SYNC_WAVES.prerequisites });
  return account;
}

/** A PersistentVolumeClaim with a fixed name that Argo CD never prunes or deletes. */
export function persistentClaim(
  scope: Construct,
  id: string,
  identity: ComponentIdentity,
  name: string,
  volume: Pick<VolumeConfig, 'size' | 'storageClass' | 'accessModes'>,
): k8s.KubePersistentVolumeClaim {
  const claim = new k8s.KubePersistentVolumeClaim(scope, id, {
    metadata: { name, labels: identity.labels },
    spec: claimSpec(volume),
  });
  syncPolicy(claim, { wave: identity.wave, keep: true });
  return claim;
}

/** What differs between the pods of the components. */
export interface PodProps {
  /** uid and gid the pod runs as; it also owns the pod's volumes (fsGroup). */
  readonly uid: number;
  readonly containers: k8s.Container[];
  /** Containers that run to completion before the pod's containers start. @default none */
  readonly initContainers?: k8s.Container[];
  readonly volumes: k8s.Volume[];
  /** Pod template annotations. @default none */
  readonly annotations?: Record<string, string>;
  /** Further pod spec fields, e.g. scheduling. @default none */
  readonly spec?: Omit<k8s.PodSpec, 'containers' | 'volumes'>;
  /** Run no pod (a Deployment scaled to zero). @default false */
  readonly stopped?: boolean;
  /** Groups the pod joins besides its own, e.g. the host's render group for a GPU. @default none */
  readonly supplementalGroups?: readonly number[];
  /**
   * Seconds the main process gets to shut down cleanly after SIGTERM, on top of the wait for
   * endpoint removal; the pod's `terminationGracePeriodSeconds` is their sum.
   * @default 25 (the kubelet's default grace of 30 s, less the wait)
   */
  readonly shutdownSeconds?: number;
}

/**
 * Seconds every container waits in `preStop` before it gets SIGTERM, so that every node has
 * removed the pod from its Services' endpoints before it stops listening. Measured on a real
 * cluster: without a wait, most API pod stops during a rolling update refused a few requests sent
 * through the Service; with 5 s, none did.
 */
export const PRE_STOP_WAIT_SECONDS = 5;

/**
 * The wait runs the image's own `sleep` (coreutils in every image here): the kubelet's native
 * `preStop.sleep` action is not in the Kubernetes 1.28 API these manifests target (beta in 1.30).
 */
const PRE_STOP: k8s.Lifecycle = { preStop: { exec: { command: ['sleep', String(PRE_STOP_WAIT_SECONDS)] } } };

/** A pod template with the settings every component shares. */
export function podTemplate(identity: ComponentIdentity, props: PodProps): k8s.PodTemplateSpec {
  return {
    metadata: { labels: identity.labels, annotations: props.annotations },
    spec: {
      serviceAccountName: identity.name,
      // No component talks to the Kubernetes API.
      automountServiceAccountToken: false,
      // Service links would inject variables such as IMMICH_PORT=tcp://... that Immich misreads.
      enableServiceLinks: false,
      securityContext: {
        ...podSecurityContext(props.uid, props.uid),
        ...(props.supplementalGroups ? { supplementalGroups: [...props.supplementalGroups] } : {}),
      },
      terminationGracePeriodSeconds: PRE_STOP_WAIT_SECONDS + (props.shutdownSeconds ?? 25),
      ...props.spec,
      initContainers: props.initContainers,
      containers: props.containers.map((container) => ({ ...container, lifecycle: PRE_STOP })),
      volumes: props.volumes,
    },
  };
}

/** How many pods a workload runs and how they are placed and replaced. */
export interface Scaling {
  /** Pods; 0 stops the workload. */
  readonly replicas: number;
  /**
   * How a rollout replaces pods. `recreate`: every pod stops before new ones start (a
   * ReadWriteOnce volume, a single GPU). `surge`: a new pod is ready before an old one stops, so
   * the service never goes away (`maxUnavailable: 0`). `oneByOne`: one old pod stops, then its
   * replacement starts, which needs no spare node resources such as a GPU.
   */
  readonly update: 'recreate' | 'surge' | 'oneByOne';
  /** Spread over host names, by `whenUnsatisfiable`, when there is more than one pod. */
  readonly spread: 'ScheduleAnyway' | 'DoNotSchedule';
  /** @default none */
  readonly priorityClassName?: string;
}

/**
 * How a workload's pods are replaced. Pods that cannot run beside each other (a ReadWriteOnce
 * volume) are recreated. A pod that holds a device such as a GPU never surges: the node may have no
 * spare device (one GPU, or the Intel plugin's one pod per device), so a surge pod would stay
 * Pending and the rollout would hang on every config change and upgrade.
 */
export function rolloutFor(
  replicas: number,
  pods: { readonly canCoexist: boolean; readonly holdDevice: boolean },
): Scaling['update'] {
  if (!pods.canCoexist) return 'recreate';
  if (pods.holdDevice) return replicas > 1 ? 'oneByOne' : 'recreate';
  return 'surge';
}

/** One pod, replaced by stopping it first: the default of every component. */
export const SINGLE_POD: Scaling = { replicas: 1, update: 'recreate', spread: 'ScheduleAnyway' };

/**
 * A Deployment and its ServiceAccount. With more than one pod it spreads them over nodes and
 * gets a PodDisruptionBudget, so that a node drain never takes the last one.
 */
export function componentDeployment(
  scope: Construct,
  identity: ComponentIdentity,
  pod: PodProps,
  scaling: Scaling = SINGLE_POD,
): k8s.KubeDeployment {
  componentServiceAccount(scope, identity);
  const several = scaling.replicas > 1;
  const deployment = new k8s.KubeDeployment(scope, 'deployment', {
    metadata: { name: identity.name, labels: identity.labels },
    spec: {
      replicas: pod.stopped ? 0 : scaling.replicas,
      strategy: strategy(scaling.update),
      selector: { matchLabels: identity.selector },
      template: podTemplate(identity, {
        ...pod,
        spec: {
          ...pod.spec,
          priorityClassName: scaling.priorityClassName,
          topologySpreadConstraints: several
            ? [
                {
                  maxSkew: 1,
                  topologyKey: 'kubernetes.io/hostname',
                  whenUnsatisfiable: scaling.spread,
                  labelSelector: { matchLabels: identity.selector },
                },
              ]
            : undefined,
        },
      }),
    },
  });
  syncPolicy(deployment, { wave: identity.wave });
  if (several) {
    const budget = new k8s.KubePodDisruptionBudget(scope, 'disruption-budget', {
      metadata: { name: identity.name, labels: identity.labels },
      spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: identity.selector } },
    });
    syncPolicy(budget, { wave: identity.wave });
  }
  return deployment;
}

/** A ClusterIP Service (or a headless one) exposing one named container port. */
export function componentService(
  scope: Construct,
  id: string,
  identity: ComponentIdentity,
  port: { readonly name: string; readonly port: number; readonly headless?: boolean },
  /** Further named ports, e.g. metrics. @default none */
  more: readonly { readonly name: string; readonly port: number }[] = [],
): k8s.KubeService {
  const service = new k8s.KubeService(scope, id, {
    metadata: { name: identity.name, labels: identity.labels },
    spec: {
      clusterIp: port.headless ? 'None' : undefined,
      selector: identity.selector,
      ports: [port, ...more].map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: k8s.IntOrString.fromString(p.name),
      })),
    },
  });
  syncPolicy(service, { wave: identity.wave });
  return service;
}

function strategy(update: Scaling['update']): k8s.DeploymentStrategy {
  if (update === 'recreate') return { type: 'Recreate' };
  const [maxUnavailable, maxSurge] = update === 'surge' ? [0, 1] : [1, 0];
  return {
    type: 'RollingUpdate',
    rollingUpdate: {
      maxUnavailable: k8s.IntOrString.fromNumber(maxUnavailable),
      maxSurge: k8s.IntOrString.fromNumber(maxSurge),
    },
  };
}
