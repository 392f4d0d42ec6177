/**
 * Plain-JSON shapes of synthesized Kubernetes objects, for code that reads manifests back (the Pod
 * Security check, the architecture document). Only the fields read are modelled, each optional
 * where the API allows it to be left out.
 * @see https://kubernetes.io/docs/reference/kubernetes-api/
 */

export type Labels = Readonly<Record<string, string>>;

/** `metadata` of every object. */
export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Labels;
  readonly annotations?: Labels;
}

/** Any object: what a chart renders. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
}

/** A label selector; `{}` selects everything. */
export interface LabelSelector {
  readonly matchLabels?: Labels;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    readonly values?: readonly string[];
  }[];
}

/** Linux capabilities a container adds and drops. */
export interface Capabilities {
  readonly add?: readonly string[];
  readonly drop?: readonly string[];
}

/** The fields a pod's and a container's securityContext share, plus each one's own. */
export interface SecurityContext {
  readonly privileged?: boolean;
  readonly allowPrivilegeEscalation?: boolean;
  readonly readOnlyRootFilesystem?: boolean;
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly fsGroup?: number;
  readonly supplementalGroups?: readonly number[];
  readonly capabilities?: Capabilities;
  readonly procMount?: string;
  readonly seccompProfile?: { readonly type?: string };
  readonly appArmorProfile?: { readonly type?: string };
  readonly seLinuxOptions?: { readonly type?: string; readonly user?: string; readonly role?: string };
  readonly windowsOptions?: { readonly hostProcess?: boolean };
  readonly sysctls?: readonly { readonly name: string; readonly value?: string }[];
}

/** A probe or lifecycle handler. */
export interface Handler {
  readonly httpGet?: { readonly path?: string; readonly port: number | string; readonly host?: string };
  readonly tcpSocket?: { readonly port: number | string; readonly host?: string };
  readonly exec?: { readonly command?: readonly string[] };
  readonly grpc?: { readonly port: number };
}

/** A startup, readiness or liveness probe. */
export interface Probe extends Handler {
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
  readonly failureThreshold?: number;
}

/** One key of a Secret or ConfigMap. */
export interface KeyRef {
  readonly name: string;
  readonly key: string;
}

/** An environment variable: a plain value or a reference. */
export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly secretKeyRef?: KeyRef;
    readonly configMapKeyRef?: KeyRef;
    readonly fieldRef?: { readonly fieldPath: string };
    readonly resourceFieldRef?: { readonly resource: string };
  };
}

/** Every key of a Secret or ConfigMap as environment variables. */
export interface EnvFromSource {
  readonly prefix?: string;
  readonly secretRef?: { readonly name: string };
  readonly configMapRef?: { readonly name: string };
}

/** A port a container listens on. */
export interface ContainerPort {
  readonly containerPort: number;
  readonly name?: string;
  readonly protocol?: string;
  readonly hostPort?: number;
}

/** Where a container mounts a volume. */
export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly?: boolean;
  readonly subPath?: string;
}

/** Resource requests and limits, as quantities by resource name. */
export interface Resources {
  readonly requests?: Readonly<Record<string, string>>;
  readonly limits?: Readonly<Record<string, string>>;
}

/** A container, init container or ephemeral container. */
export interface Container {
  readonly name: string;
  readonly image?: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly ports?: readonly ContainerPort[];
  readonly env?: readonly EnvVar[];
  readonly envFrom?: readonly EnvFromSource[];
  readonly volumeMounts?: readonly VolumeMount[];
  readonly resources?: Resources;
  readonly securityContext?: SecurityContext;
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly startupProbe?: Probe;
  readonly lifecycle?: { readonly postStart?: Handler; readonly preStop?: Handler };
  /** `Always` on an init container makes it a sidecar. */
  readonly restartPolicy?: string;
}

/** A key of a Secret or ConfigMap projected to a file. */
export interface KeyToPath {
  readonly key: string;
  readonly path: string;
}

/** A pod volume; its source is the one field besides `name`. */
export interface Volume {
  readonly name: string;
  readonly persistentVolumeClaim?: { readonly claimName: string; readonly readOnly?: boolean };
  readonly emptyDir?: { readonly medium?: string; readonly sizeLimit?: string };
  readonly secret?: { readonly secretName: string; readonly items?: readonly KeyToPath[] };
  readonly configMap?: { readonly name: string; readonly items?: readonly KeyToPath[] };
  readonly projected?: {
    readonly sources?: readonly {
      readonly secret?: { readonly name: string; readonly items?: readonly KeyToPath[] };
      readonly configMap?: { readonly name: string; readonly items?: readonly KeyToPath[] };
    }[];
  };
  readonly hostPath?: { readonly path: string };
  readonly nfs?: { readonly server: string; readonly path: string; readonly readOnly?: boolean };
  /** Every other volume source, by its field name. */
  readonly [source: string]: unknown;
}

/** The spec of a pod. */
export interface PodSpec {
  readonly containers?: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly ephemeralContainers?: readonly Container[];
  readonly volumes?: readonly Volume[];
  readonly securityContext?: SecurityContext;
  readonly hostNetwork?: boolean;
  readonly hostPID?: boolean;
  readonly hostIPC?: boolean;
  readonly serviceAccountName?: string;
  readonly automountServiceAccountToken?: boolean;
  readonly runtimeClassName?: string;
}

/** A pod template of a workload. */
export interface PodTemplate {
  readonly metadata?: { readonly labels?: Labels; readonly annotations?: Labels };
  readonly spec?: PodSpec;
}

/** The spec of a PersistentVolumeClaim, or of a StatefulSet's claim template. */
export interface ClaimSpec {
  readonly accessModes?: readonly string[];
  readonly resources?: Resources;
  readonly storageClassName?: string;
  readonly volumeName?: string;
}

/** A PersistentVolumeClaim. */
export interface PersistentVolumeClaim extends KubeObject {
  readonly spec: ClaimSpec;
}

/** A PersistentVolume. */
export interface PersistentVolume extends KubeObject {
  readonly spec: {
    readonly capacity?: Readonly<Record<string, string>>;
    readonly accessModes?: readonly string[];
    readonly storageClassName?: string;
    readonly persistentVolumeReclaimPolicy?: string;
    readonly claimRef?: { readonly name: string; readonly namespace?: string };
    readonly nfs?: { readonly server: string; readonly path: string; readonly readOnly?: boolean };
    readonly mountOptions?: readonly string[];
  };
}

/** A Deployment (apps/v1). */
export interface Deployment extends KubeObject {
  readonly spec: {
    readonly replicas?: number;
    readonly strategy?: { readonly type?: string };
    readonly template: PodTemplate;
  };
}

/** A CronJob (batch/v1): a pod template run on a schedule. */
export interface CronJob extends KubeObject {
  readonly spec: {
    readonly schedule: string;
    readonly timeZone?: string;
    readonly jobTemplate: { readonly spec: { readonly template: PodTemplate } };
  };
}

/** A StatefulSet (apps/v1); each claim template gives each pod a claim. */
export interface StatefulSet extends KubeObject {
  readonly spec: {
    readonly replicas?: number;
    readonly serviceName?: string;
    readonly template: PodTemplate;
    readonly volumeClaimTemplates?: readonly {
      readonly metadata: { readonly name: string };
      readonly spec: ClaimSpec;
    }[];
  };
}

/** A port of a Service and the container port it targets. */
export interface ServicePort {
  readonly name?: string;
  readonly port: number;
  readonly targetPort?: number | string;
  readonly protocol?: string;
}

/** A Service. */
export interface Service extends KubeObject {
  readonly spec: {
    readonly ports?: readonly ServicePort[];
    readonly selector?: Labels;
    readonly clusterIP?: string;
    readonly type?: string;
  };
}

/** A peer of a NetworkPolicy rule: pods by selectors, or an address block. */
export interface PolicyPeer {
  readonly podSelector?: LabelSelector;
  readonly namespaceSelector?: LabelSelector;
  readonly ipBlock?: { readonly cidr: string; readonly except?: readonly string[] };
}

/** A port (or range) of a NetworkPolicy rule. */
export interface PolicyPort {
  readonly protocol?: string;
  readonly port?: number | string;
  readonly endPort?: number;
}

/** An ingress (`from`) or egress (`to`) rule of a NetworkPolicy. */
export interface PolicyRule {
  readonly from?: readonly PolicyPeer[];
  readonly to?: readonly PolicyPeer[];
  readonly ports?: readonly PolicyPort[];
}

/** A NetworkPolicy (networking.k8s.io/v1). */
export interface NetworkPolicy extends KubeObject {
  readonly spec: {
    readonly podSelector: LabelSelector;
    readonly policyTypes?: readonly ('Ingress' | 'Egress')[];
    readonly ingress?: readonly PolicyRule[];
    readonly egress?: readonly PolicyRule[];
  };
}

/** Traefik's IngressRoute (traefik.io/v1alpha1). */
export interface IngressRoute extends KubeObject {
  readonly spec: {
    readonly entryPoints?: readonly string[];
    readonly routes: readonly {
      readonly match: string;
      readonly services?: readonly { readonly name: string; readonly port?: number | string; readonly kind?: string }[];
    }[];
    readonly tls?: { readonly certResolver?: string; readonly secretName?: string };
  };
}

/** The Gateway API's HTTPRoute (gateway.networking.k8s.io/v1). */
export interface HttpRoute extends KubeObject {
  readonly spec: {
    readonly parentRefs?: readonly {
      readonly name: string;
      readonly namespace?: string;
      readonly sectionName?: string;
    }[];
    readonly hostnames?: readonly string[];
    readonly rules?: readonly {
      readonly matches?: readonly { readonly path?: { readonly type?: string; readonly value?: string } }[];
      readonly backendRefs?: readonly { readonly name: string; readonly port?: number; readonly kind?: string }[];
      readonly timeouts?: { readonly request?: string };
    }[];
  };
}

/** An Ingress (networking.k8s.io/v1). */
export interface Ingress extends KubeObject {
  readonly spec: {
    readonly ingressClassName?: string;
    readonly rules?: readonly {
      readonly host?: string;
      readonly http?: {
        readonly paths: readonly {
          readonly path?: string;
          readonly pathType: string;
          readonly backend: {
            readonly service?: {
              readonly name: string;
              readonly port?: { readonly number?: number; readonly name?: string };
            };
          };
        }[];
      };
    }[];
    readonly tls?: readonly { readonly hosts?: readonly string[]; readonly secretName?: string }[];
  };
}

/** CloudNativePG's Cluster (postgresql.cnpg.io/v1). */
export interface CnpgCluster extends KubeObject {
  readonly spec: {
    readonly instances?: number;
    readonly imageName?: string;
    readonly storage?: CnpgStorage;
    readonly walStorage?: CnpgStorage;
    readonly resources?: Resources;
    readonly bootstrap?: {
      readonly initdb?: {
        readonly database?: string;
        readonly owner?: string;
        readonly import?: { readonly type?: string; readonly source: { readonly externalCluster: string } };
      };
      readonly recovery?: {
        readonly source?: string;
        readonly recoveryTarget?: Readonly<Record<string, string>>;
      };
    };
    readonly externalClusters?: readonly {
      readonly name: string;
      readonly connectionParameters?: Readonly<Record<string, string>>;
      readonly password?: KeyRef;
      readonly plugin?: { readonly name: string; readonly parameters?: Readonly<Record<string, string>> };
    }[];
    readonly plugins?: readonly {
      readonly name: string;
      readonly isWALArchiver?: boolean;
      readonly parameters?: Readonly<Record<string, string>>;
    }[];
  };
}

/** CloudNativePG's Pooler (postgresql.cnpg.io/v1): PgBouncer pods the operator builds from it. */
export interface CnpgPooler extends KubeObject {
  readonly spec: {
    readonly cluster: { readonly name: string };
    readonly instances?: number;
    readonly type?: string;
    readonly pgbouncer: { readonly poolMode?: string; readonly parameters?: Readonly<Record<string, string>> };
    /** Fields the operator lays its own over; not the whole pod. */
    readonly template?: PodTemplate;
  };
}

/** The storage (or WAL storage) of a CloudNativePG Cluster's instances. */
export interface CnpgStorage {
  readonly size?: string;
  readonly storageClass?: string;
  readonly pvcTemplate?: ClaimSpec;
}

/** The Barman Cloud plugin's ObjectStore (barmancloud.cnpg.io/v1). */
export interface ObjectStore extends KubeObject {
  readonly spec: {
    readonly configuration: {
      readonly destinationPath: string;
      readonly endpointURL?: string;
      readonly s3Credentials?: Readonly<Record<string, KeyRef>>;
    };
    readonly retentionPolicy?: string;
  };
}

/** CloudNativePG's ScheduledBackup (postgresql.cnpg.io/v1). */
export interface ScheduledBackup extends KubeObject {
  readonly spec: {
    readonly cluster: { readonly name: string };
    readonly schedule: string;
    readonly method?: string;
    readonly pluginConfiguration?: { readonly name: string };
  };
}

/** The restic mover settings VolSync's ReplicationSource and ReplicationDestination share. */
export interface ResticSpec {
  readonly repository: string;
  readonly copyMethod?: string;
  readonly cacheCapacity?: string;
  readonly cacheStorageClassName?: string;
  readonly cacheAccessModes?: readonly string[];
  readonly moverPodLabels?: Labels;
  readonly moverSecurityContext?: SecurityContext;
  readonly moverServiceAccount?: string;
  readonly retain?: Readonly<Record<string, number>>;
  readonly pruneIntervalDays?: number;
  readonly volumeSnapshotClassName?: string;
  readonly destinationPVC?: string;
  readonly restoreAsOf?: string;
}

/** VolSync's ReplicationSource or ReplicationDestination (volsync.backube/v1alpha1). */
export interface Replication extends KubeObject {
  readonly spec: {
    readonly sourcePVC?: string;
    readonly trigger?: { readonly schedule?: string; readonly manual?: string };
    readonly restic?: ResticSpec;
  };
}

/** A Secret; its values are only ever read to find settings, never shown. */
export interface Secret extends KubeObject {
  readonly data?: Readonly<Record<string, string>>;
  readonly stringData?: Readonly<Record<string, string>>;
}

/** A ConfigMap. */
export interface ConfigMap extends KubeObject {
  readonly data?: Readonly<Record<string, string>>;
}

/** Bitnami's SealedSecret: encrypted values plus a template of the Secret's plain keys. */
export interface SealedSecret extends KubeObject {
  readonly spec: {
    readonly encryptedData?: Readonly<Record<string, string>>;
    readonly template?: {
      readonly metadata?: { readonly name?: string };
      readonly data?: Readonly<Record<string, string>>;
    };
  };
}

/** External Secrets' ExternalSecret: the Secret it writes and a template of its keys. */
export interface ExternalSecret extends KubeObject {
  readonly spec: {
    readonly target?: {
      readonly name?: string;
      readonly template?: { readonly data?: Readonly<Record<string, string>> };
    };
  };
}

/** The kinds the readers know, by `kind`. */
export interface KnownKinds {
  Namespace: KubeObject;
  Deployment: Deployment;
  CronJob: CronJob;
  StatefulSet: StatefulSet;
  Service: Service;
  PersistentVolumeClaim: PersistentVolumeClaim;
  PersistentVolume: PersistentVolume;
  NetworkPolicy: NetworkPolicy;
  IngressRoute: IngressRoute;
  HTTPRoute: HttpRoute;
  Ingress: Ingress;
  Cluster: CnpgCluster;
  Pooler: CnpgPooler;
  ObjectStore: ObjectStore;
  ScheduledBackup: ScheduledBackup;
  ReplicationSource: Replication;
  ReplicationDestination: Replication;
  Secret: Secret;
  ConfigMap: ConfigMap;
  SealedSecret: SealedSecret;
  ExternalSecret: ExternalSecret;
}

/**
 * The objects of one kind, typed by their JSON shape. The objects come from this project's own
 * charts, so the kind alone decides the shape; nothing is validated here.
 */
export function ofKind<K extends keyof KnownKinds>(objects: readonly KubeObject[], kind: K): KnownKinds[K][] {
  return objects.filter((o) => o.kind === kind) as unknown as KnownKinds[K][];
}

/** Whether a label selector selects these labels; `{}` selects everything. */
export function selectorMatches(selector: LabelSelector, labels: Labels): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const value = labels[key];
    switch (operator) {
      case 'In':
        return value !== undefined && values.includes(value);
      case 'NotIn':
        return value === undefined || !values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
    }
  });
  return byLabels && byExpressions;
}
