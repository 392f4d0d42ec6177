import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { componentLabels, selectorLabels } from './labels';
import { podSecurityContext } from './pod';

/** Identity of a component: its fixed name and labels. */
export interface ComponentIdentity {
  /** Kubernetes name of the workload and its Service. */
  readonly name: string;
  /** Labels of the objects and pod template. */
  readonly labels: Record<string, string>;
  /** The immutable subset of `labels` that selectors use. */
  readonly selector: Record<string, string>;
}

/** Name and labels of a component of the given role. */
export function componentIdentity(name: string, component: string, instance: string): ComponentIdentity {
  return { name, labels: componentLabels(name, component, instance), selector: selectorLabels(name, instance) };
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
}

/** A pod template with the settings every component shares. */
export function podTemplate(identity: ComponentIdentity, props: PodProps): k8s.PodTemplateSpec {
  return {
    metadata: { labels: identity.labels, annotations: props.annotations },
    spec: {
      // No component talks to the Kubernetes API.
      automountServiceAccountToken: false,
      // Service links would inject variables such as IMMICH_PORT=tcp://... that Immich misreads.
      enableServiceLinks: false,
      securityContext: podSecurityContext(props.uid, props.uid),
      ...props.spec,
      containers: props.containers,
      volumes: props.volumes,
    },
  };
}

/** A one-replica Deployment; `Recreate` because its ReadWriteOnce volume cannot attach to two pods. */
export function singletonDeployment(scope: Construct, identity: ComponentIdentity, pod: PodProps): k8s.KubeDeployment {
  return new k8s.KubeDeployment(scope, 'deployment', {
    metadata: { name: identity.name, labels: identity.labels },
    spec: {
      replicas: 1,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: identity.selector },
      template: podTemplate(identity, pod),
    },
  });
}

/** A ClusterIP Service (or a headless one) exposing one named container port. */
export function componentService(
  scope: Construct,
  id: string,
  identity: ComponentIdentity,
  port: { readonly name: string; readonly port: number; readonly headless?: boolean },
): k8s.KubeService {
  return new k8s.KubeService(scope, id, {
    metadata: { name: identity.name, labels: identity.labels },
    spec: {
      clusterIp: port.headless ? 'None' : undefined,
      selector: identity.selector,
      ports: [{ name: port.name, port: port.port, targetPort: k8s.IntOrString.fromString(port.name) }],
    },
  });
}
