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
  readonly volumes: k8s.Volume[];
  /** Pod template annotations. @default none */
  readonly annotations?: Record<string, string>;
  /** Further pod spec fields, e.g. scheduling. @default none */
  readonly spec?: Omit<k8s.PodSpec, 'containers' | 'volumes'>;
  /** Run no pod (a Deployment scaled to zero). @default false */
  readonly stopped?: boolean;
  /** Groups the pod joins besides its own, e.g. the host's render group for a GPU. @default none */
  readonly supplementalGroups?: readonly number[];
}

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
      ...props.spec,
      containers: props.containers,
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
