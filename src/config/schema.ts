/** The configuration schema: every key with its default, and the types derived from it. */
import * as v from 'valibot';
import { DEFAULT_IMMICH_VERSION, MIN_IMMICH_MAJOR } from '../constants';
import {
  BASE64,
  FLOATING_TAG,
  RELEASE_TAG,
  SEALED_MIN_LENGTH,
  absolutePath,
  bool,
  checkedSection,
  cidr,
  dnsLabel,
  dnsName,
  dnsSubdomain,
  labelSelector,
  oneOf,
  port,
  resources,
  section,
  strict,
  text,
  timezone,
  toleration,
  volume,
  DURATION,
  egressTarget,
  publishedEgressTarget,
  volumeEntries,
  count,
  quantity,
  ipFamily,
  isCidr,
} from './primitives';
import { backupSection } from './backup';
import { monitoringSection } from './monitoring';
import { externalRedisPolicy, schedulingSection, serverSection, valkeySection } from './scaling';
import { databaseSection } from './database';
import { type RouteConfig, ingressSection } from './ingress';
import { ML_BACKENDS, gpuEntries, preloadSection, transcodingSection } from './acceleration';

const library = v.variant(
  'source',
  [
    /** No external library. */
    strict({ source: v.literal('none') }),
    /** A PersistentVolumeClaim the user created in the namespace. */
    strict({
      source: v.literal('pvc'),
      /** The claim holding the library, in the namespace of the stack. */
      claimName: dnsSubdomain('photo-library'),
    }),
    /** An NFS export, mounted by the kubelet. */
    strict({
      source: v.literal('nfs'),
      /** The NFS server's host name or address. */
      server: text(/^[A-Za-z0-9.:-]+$/, 'must be a host name or IP address like "nas.example.com"'),
      /** The exported folder (nfs) or the folder on the node (hostPath). */
      path: absolutePath,
      /** NFS mount options of the PersistentVolume, e.g. `nfsvers=4.1`. @default none */
      mountOptions: v.optional(
        v.array(text(/^[^\s,]+$/, 'must be one mount option like "nfsvers=4.1"'), 'must be a list'),
        [],
      ),
      /** Nominal size of the PersistentVolume and claim; NFS does not enforce it. @default "1Ti" */
      capacity: v.optional(quantity('1Ti'), '1Ti'),
    }),
    /** A directory on the node. */
    strict({ source: v.literal('hostPath'), path: absolutePath }),
  ],
  'must have source "none", "pvc", "nfs" or "hostPath"',
);

/** An OCI image digest. */
const digest = text(
  /^sha256:[a-f0-9]{64}$/,
  'must be "sha256:" and 64 lower-case hex characters, as `crane digest` prints',
);

/** An address or range as Immich's `IMMICH_TRUSTED_PROXIES` takes it (`IsIPRange`, CIDR optional). */
const proxyAddress = v.pipe(
  v.string('must be a string'),
  v.check((s) => isCidr(s) || ipFamily(s) !== 0, 'must be an IP address or CIDR like "10.42.0.0/16" or "fd00::/8"'),
);

/** Formats of Immich's log output (`IMMICH_LOG_FORMAT`). */
export const LOG_FORMATS = ['console', 'json'] as const;

/** Pod Security Standards levels, weakest last. */
export const PSS_LEVELS = ['restricted', 'baseline', 'privileged'] as const;

/** Ways of providing the Secrets; see `secrets.mode`. */
export const SECRET_MODES = ['existing', 'inline', 'external-secrets', 'sealed-secrets'] as const;

const remoteRef = strict({
  /** Key of the entry in the secret store. */
  key: v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty')),
  /** Property inside a structured entry (e.g. a JSON field). @default the whole entry */
  property: v.optional(v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'))),
});

const sealedValue = v.pipe(
  v.string('must be a string'),
  v.regex(BASE64, 'must be the base64 output of "kubeseal --raw"'),
  // A sealed value is far longer than any password; a short one is most likely the plaintext.
  v.minLength(SEALED_MIN_LENGTH, `must be the output of "kubeseal --raw" (at least ${SEALED_MIN_LENGTH} characters)`),
);

/**
 * Where each secret value comes from in the secret store, or its sealed form: a remote key or a
 * `kubeseal --raw` output per value. Each is needed only while the stack uses its Secret.
 */
function storeEntries<T extends v.GenericSchema>(value: T) {
  return {
    /** The database password, for Secret `immich-db`; needed with the bundled postgres. */
    dbPassword: v.optional(value),
    /** The OAuth client secret, for Secret `immich-config`; needed while OAuth is on. */
    oauthClientSecret: v.optional(value),
    /** The OAuth client id, for Secret `immich-config`, in place of `oauth.clientId`. @default oauth.clientId */
    oauthClientId: v.optional(value),
    /** The object store's access key id, for `database.cloudnativePg.backup.credentialsSecret`. */
    backupAccessKeyId: v.optional(value),
    /** The object store's secret access key, for the same Secret. */
    backupSecretAccessKey: v.optional(value),
    /** The external Redis password, for Secret `immich-redis`; needed with `valkey.external.password`. */
    redisPassword: v.optional(value),
    /** `RESTIC_REPOSITORY` of `backup.volumes.repositorySecret`. */
    resticRepository: v.optional(value),
    /** `RESTIC_PASSWORD` of the same Secret. */
    resticPassword: v.optional(value),
    /** `AWS_ACCESS_KEY_ID` of an S3 restic repository. @default none */
    resticAccessKeyId: v.optional(value),
    /** `AWS_SECRET_ACCESS_KEY` of an S3 restic repository. @default none */
    resticSecretAccessKey: v.optional(value),
  };
}

/** The configuration schema: every key with its default. docs/configuration.md and the JSON Schema are generated from it. */
export const configSchema = strict({
  /** Namespace of every object. @default "immich" */
  namespace: v.optional(dnsLabel('immich'), 'immich'),
  /** Base domain (`BASE_DOMAIN`); no default. */
  domain: dnsName('example.com'),
  /** Public host name. @default "immich.<domain>" */
  host: v.optional(dnsName('photos.example.com')),
  /** Immich's images and the settings Immich reads from its environment. */
  immich: checkedSection(
    {
      /** Release of the server and machine-learning images (`IMMICH_VERSION`). */
      version: v.optional(v.string('must be a string'), DEFAULT_IMMICH_VERSION),
      /** Allow moving tags such as `release`; server and ML may then drift apart. @default false */
      allowFloatingTag: v.optional(bool(), false),
      /** `IMMICH_LOG_LEVEL`. @default "log" */
      logLevel: v.optional(oneOf(['verbose', 'debug', 'log', 'warn', 'error', 'fatal'] as const), 'log'),
      /** `IMMICH_LOG_FORMAT`: `console` or `json` lines for a log collector. @default unset: Immich's `console` */
      logFormat: v.optional(oneOf(LOG_FORMATS)),
      /**
       * `IMMICH_TRUSTED_PROXIES`: addresses or CIDRs of the proxies in front of Immich (the ingress
       * controller's pods), whose `X-Forwarded-For` Immich believes for the client address.
       * @default unset: Immich trusts link-local and private ranges, which covers most pod networks
       */
      trustedProxies: v.optional(
        v.pipe(
          v.array(proxyAddress, 'must be a list'),
          v.minLength(1, "must name at least one address; leave the key out for Immich's default"),
        ),
      ),
      /**
       * `IMMICH_ALLOW_EXTERNAL_PLUGINS`: import the plugins in PVC `immich-plugins`, mounted at
       * `/plugins` (`IMMICH_PLUGINS_INSTALL_FOLDER`) in every Immich pod. @default false
       */
      externalPlugins: v.optional(bool(), false),
      /**
       * Image digests of `version`, pinned beside the tag (`tag@sha256:…`): a re-pushed tag then
       * cannot change what runs. `machineLearning` is the digest of the configured backend's image.
       * @default none: pinned by tag only
       */
      digests: section({
        /** Digest of the server image `immich-server:<version>`. @default none */
        server: v.optional(digest),
        /** Digest of the machine-learning image of the configured backend, e.g. `<version>-cuda`. @default none */
        machineLearning: v.optional(digest),
      }),
    },
    ({ version, allowFloatingTag }, report) => {
      const problem = versionProblem(version, allowFloatingTag);
      if (problem) report(['version'], version, problem);
    },
  ),
  /** Time zone of the containers (`TZ`). @default "UTC" */
  timezone: v.optional(timezone, 'UTC'),
  /** Where the Secrets of the stack come from; their values never come from this file. */
  secrets: section({
    /**
     * Where the Secrets come from (`IMMICH_SECRETS_MODE`): `existing` Secrets created with
     * kubectl; `inline` Secrets synthesized from the environment; `external-secrets`
     * ExternalSecrets read from a secret store; `sealed-secrets` SealedSecrets holding kubeseal
     * output. @default "existing"
     */
    mode: v.optional(oneOf(SECRET_MODES), 'existing'),
    /**
     * Secrets of the stack you create yourself although `mode` would synthesize them, by name, e.g.
     * an object store Secret made by a bucket provisioner. @default none
     */
    existing: v.optional(v.array(dnsSubdomain('immich-pg-backup-credentials'), 'must be a list'), []),
    /** Used with `mode: external-secrets`. */
    externalSecrets: section({
      /** The SecretStore or ClusterSecretStore to read from; `name` is required in this mode. */
      storeRef: section({
        /** Name of the SecretStore or ClusterSecretStore; required in this mode. */
        name: v.optional(dnsSubdomain('vault')),
        /** Kind of the store: a cluster-wide one or one in the namespace. @default "ClusterSecretStore" */
        kind: v.optional(oneOf(['ClusterSecretStore', 'SecretStore'] as const), 'ClusterSecretStore'),
      }),
      /** How often the operator re-reads the store. @default "1h" */
      refreshInterval: v.optional(text(DURATION, 'must be a duration like "1h" or "15m"'), '1h'),
      ...storeEntries(remoteRef),
    }),
    /** Used with `mode: sealed-secrets`: `kubeseal --raw` output, strict scope (see docs/secrets.md). */
    sealedSecrets: section(storeEntries(sealedValue)),
  }),
  /** The database: the bundled postgres StatefulSet or a CloudNativePG cluster. */
  database: databaseSection,
  /** Login through an OIDC provider, written into Immich's system config file. */
  oauth: section({
    /** Log in through the OIDC provider. @default true */
    enabled: v.optional(bool(), true),
    /** The provider's issuer URL. @default "https://auth.<domain>/application/o/immich/" (Authentik) */
    issuerUrl: v.optional(
      text(
        /^https?:\/\/[^\s/]+(\/\S*)?$/,
        'must be an http(s) URL like "https://auth.example.com/application/o/immich/"',
      ),
    ),
    /** OAuth client id (`IMMICH_OAUTH_CLIENT_ID`); required when OAuth is on. */
    clientId: v.optional(v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'))),
    /** Scopes Immich asks for. @default "openid email profile" */
    scope: v.optional(v.string('must be a string'), 'openid email profile'),
    /** Label of the login button. @default "Login with Authentik" */
    buttonText: v.optional(v.string('must be a string'), 'Login with Authentik'),
    /** Create users on first login. @default true */
    autoRegister: v.optional(bool(), true),
    /** Skip the login page and go straight to the provider. @default false */
    autoLaunch: v.optional(bool(), false),
    /** How Immich sends the client secret to the token endpoint. @default "client_secret_post" */
    tokenEndpointAuthMethod: v.optional(
      oneOf(['client_secret_post', 'client_secret_basic'] as const),
      'client_secret_post',
    ),
    /** Keep e-mail/password login beside OAuth. @default true */
    passwordLogin: v.optional(bool(), true),
  }),
  /** The route from the public host to the server. */
  ingress: ingressSection,
  /** Where the read-only photo library comes from. @default { source: "none" } */
  library: v.optional(library, { source: 'none' }),
  /** The Immich server: its pods and how its workers are split. */
  server: serverSection,
  /** Size, StorageClass and access modes of each volume. */
  storage: section({
    /** Uploads, thumbnails, encoded video, database dumps. */
    data: section({
      ...volumeEntries('100Gi'),
      /** A claim you created instead of `immich-data`; declare its access modes in `accessModes`. */
      existingClaim: v.optional(dnsSubdomain('photos-data')),
    }),
    /**
     * Thumbnails (`/data/thumbs`) on a volume of their own, `immich-thumbs`, e.g. on a faster
     * class. Immich can make them again. @default none: they stay on `data`
     */
    thumbs: v.optional(strict(volumeEntries('10Gi'))),
    /**
     * Transcoded videos (`/data/encoded-video`) on a volume of their own, `immich-encoded-video`,
     * e.g. on a cheaper class. Immich can make them again. @default none: they stay on `data`
     */
    encodedVideo: v.optional(strict(volumeEntries('50Gi'))),
    /** Machine-learning model cache. */
    mlCache: volume('10Gi'),
    /** The bundled job queue: `valkey-data`, or `dragonfly-data` with `valkey.engine: dragonfly`. */
    valkey: volume('1Gi'),
    /** External plugins (`immich-plugins`), with `immich.externalPlugins`; ReadWriteMany for more than one Immich pod. */
    plugins: volume('1Gi'),
    /** Postgres data (local SSD recommended). */
    postgres: volume('10Gi'),
  }),
  /** The machine-learning service: image flavour, GPU, model cache. */
  machineLearning: section({
    /**
     * Image flavour and the device it runs on: `cuda` (NVIDIA), `openvino` (Intel GPU), `rocm`
     * (AMD GPU), `cpu`. `armnn` and `rknn` need host devices and are refused. @default "cuda"
     */
    backend: v.optional(oneOf(ML_BACKENDS), 'cuda'),
    /** Pods, each with its own GPU limit. @default 1 */
    replicas: v.optional(count(1), 1),
    /**
     * Model cache: `pvc` is `immich-ml-cache` (ReadWriteMany for more than one pod); `emptyDir`
     * gives each pod its own, downloaded again at every start. @default "pvc"
     */
    cache: v.optional(oneOf(['pvc', 'emptyDir'] as const), 'pvc'),
    /** Models loaded at start, so the first search after a restart is not slow. @default none */
    preload: preloadSection,
    /**
     * `MACHINE_LEARNING_MODEL_REVISION`: `v2` downloads v3.3's optimized models (faster, less
     * memory, same results) into the cache beside the ones already there, so the cache grows.
     * @default unset: Immich's `main`
     */
    modelRevision: v.optional(text(/^(main|v\d+)$/, 'must be "main" or a model revision like "v2"')),
    /** GPU scheduling, used with every backend but `cpu`. */
    gpu: section({
      ...gpuEntries,
      /** `HSA_OVERRIDE_GFX_VERSION` for AMD GPUs ROCm does not list (rocm only), e.g. `10.3.0`. */
      hsaOverrideGfxVersion: v.optional(text(/^\d+\.\d+\.\d+$/, 'must be a version like "10.3.0"')),
      /** Tolerations for the taints of GPU nodes. @default [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] */
      tolerations: v.optional(v.array(toleration, 'must be a list'), [
        { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      ]),
    }),
  }),
  /** Hardware-accelerated video transcoding in the pods that run jobs. */
  transcoding: transcodingSection,
  /**
   * Memory requests cover what each container was measured to use (cgroup working set, as the
   * kubelet counts it, Immich v3.1.0 with no photos on a real cluster), so that a node under memory
   * pressure does not evict Immich first. A growing library needs more: raise them from your own
   * `kubectl top pod`.
   */
  resources: section({
    /** Combined: 549 MiB idle, 900 MiB at start-up (two Node processes and the migrations); split API pod: 606 MiB. */
    server: resources('250m', '1Gi', '4Gi'),
    /** The background workers with `server.workers: split`: 353 MiB idle, 606 MiB at peak. */
    microservices: resources('250m', '768Mi', '4Gi'),
    /** Not measured: a stand-in ran in its place; the models it loads decide its memory. */
    machineLearning: resources('250m', '2Gi', '8Gi'),
    /**
     * 10 MiB with an empty queue; the request leaves room for a backlog of jobs. With
     * `valkey.engine: dragonfly`, 80% of the memory limit is its `--maxmemory`, and the CPU (the
     * limit, else the request) its thread count, one per 256Mi of it.
     */
    valkey: resources('50m', '64Mi', '512Mi'),
    /** 83-110 MiB with an empty library; the request leaves room for the shared buffers to fill. */
    postgres: resources('250m', '512Mi', '2Gi'),
  }),
  /** Immich's own database dump, and restic backups of the volumes with VolSync. */
  backup: backupSection,
  /** The job queue: the bundled Valkey or Dragonfly, or an external Redis. */
  valkey: valkeySection,
  /** Prometheus Operator objects: ServiceMonitor, PodMonitor, alerting rules, dashboard. */
  monitoring: monitoringSection,
  /** Spreading pods over nodes, and their priority classes. */
  scheduling: schedulingSection,
  /** Pod Security Standards of the namespace. */
  podSecurity: section({
    /**
     * `pod-security.kubernetes.io/enforce` level of the namespace. `auto` picks the strongest level
     * every pod meets: `restricted`, or `baseline` with an NFS library, `privileged` with a hostPath
     * library. @default "auto"
     */
    enforce: v.optional(oneOf(['auto', ...PSS_LEVELS] as const), 'auto'),
  }),
  /** NetworkPolicies: default deny, and the peers each component may reach. */
  networkPolicy: section({
    /** Default-deny NetworkPolicies plus the paths Immich needs. @default true */
    enabled: v.optional(bool(), true),
    /**
     * Pods that take the public traffic and may reach the server: the ingress controller, or the
     * Gateway's proxies with `ingress.kind: httproute` (Traefik's own pods when it serves the Gateway).
     */
    ingressController: section({
      /** Labels of the namespace it runs in. @default { kubernetes.io/metadata.name: traefik } */
      namespaceSelector: v.optional(labelSelector('kubernetes.io/metadata.name: traefik'), {
        'kubernetes.io/metadata.name': 'traefik',
      }),
      /** Labels of its pods. @default { app.kubernetes.io/name: traefik } */
      podSelector: v.optional(labelSelector('app.kubernetes.io/name: traefik'), {
        'app.kubernetes.io/name': 'traefik',
      }),
      /**
       * Container ports of its entry points, which the server may call: an OIDC issuer published
       * behind the same ingress controller is reached through it. @default [8000, 8443] (Traefik chart)
       */
      ports: v.optional(v.array(port, 'must be a list'), [8000, 8443]),
    }),
    /** The cluster DNS pods every pod may query. */
    dns: section({
      /** Labels of the namespace it runs in. @default { kubernetes.io/metadata.name: kube-system } */
      namespaceSelector: v.optional(labelSelector('kubernetes.io/metadata.name: kube-system'), {
        'kubernetes.io/metadata.name': 'kube-system',
      }),
      /** Labels of its pods. @default { k8s-app: kube-dns } */
      podSelector: v.optional(labelSelector('k8s-app: kube-dns'), { 'k8s-app': 'kube-dns' }),
    }),
    /**
     * Immich's outbound calls: mail, webhooks, the version check (from the pods that run jobs) and
     * the OIDC issuer (from the server alone, which also gets the issuer URL's port).
     */
    serverEgress: section({
      /** Address blocks of the destinations. @default ["0.0.0.0/0", "::/0"] */
      cidrs: v.optional(v.pipe(v.array(cidr, 'must be a list'), v.minLength(1, 'must name at least one CIDR')), [
        '0.0.0.0/0',
        '::/0',
      ]),
      /** Ports besides the issuer's own; add the SMTP port for mail. @default [443] */
      ports: v.optional(v.array(port, 'must be a list'), [443]),
    }),
    /** Let machine learning download models over HTTPS from public addresses. @default true */
    modelDownloads: v.optional(bool(), true),
    /** Peers of a CloudNativePG cluster (`database.engine: cloudnative-pg`). */
    cloudnativePg: section({
      /** Pods of the operator, which reach the instances' status and Postgres ports. */
      operator: section({
        /** Labels of the namespace it runs in. @default { kubernetes.io/metadata.name: cnpg-system } */
        namespaceSelector: v.optional(labelSelector('kubernetes.io/metadata.name: cnpg-system'), {
          'kubernetes.io/metadata.name': 'cnpg-system',
        }),
        /** Labels of its pods. @default { app.kubernetes.io/name: cloudnative-pg } */
        podSelector: v.optional(labelSelector('app.kubernetes.io/name: cloudnative-pg'), {
          'app.kubernetes.io/name': 'cloudnative-pg',
        }),
      }),
      /** The Kubernetes API, which the instances call: after DNAT its endpoints, often on 6443. @default any address, ports [443, 6443] */
      kubernetesApi: egressTarget('the API server', [443, 6443]),
      /** The object store of `database.cloudnativePg.backup`; the endpointURL's port is added. @default any address, port [443] */
      objectStore: publishedEgressTarget('the object store', [443]),
    }),
    /** An external Redis or Sentinel set (`valkey.mode: external`). */
    externalRedis: externalRedisPolicy,
    /** The restic repository of `backup.volumes`, which the VolSync mover writes to. @default any address, port [443] */
    volumeBackups: publishedEgressTarget('the restic repository', [443]),
  }),
  /** The Argo CD Application that syncs the output from git. */
  argocd: section({
    /** Render an Argo CD Application into `argocd/` of the output folder. @default false */
    enabled: v.optional(bool(), false),
    /**
     * Allow `secrets.mode: inline` beside the Application, whose `dist/` lives in git: only for a
     * repository nobody else can read. @default false
     */
    allowInlineSecrets: v.optional(bool(), false),
    /** Namespace Argo CD runs in. @default "argocd" */
    namespace: v.optional(dnsLabel('argocd'), 'argocd'),
    /** Name of the Application: one per environment. @default "immich" */
    name: v.optional(dnsSubdomain('immich'), 'immich'),
    /** Argo CD project of the Application. @default "default" */
    project: v.optional(dnsSubdomain('default'), 'default'),
    /** Git repository holding the rendered `dist/`; required when enabled. */
    repoURL: v.optional(
      text(/^(https?:\/\/|ssh:\/\/|git@)\S+$/, 'must be a Git URL like "https://git.example.com/home/immich-k8s.git"'),
    ),
    /** Branch, tag or commit Argo CD syncs. @default "main" */
    targetRevision: v.optional(v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty')), 'main'),
    /**
     * Folder of the app manifests in the repository; the immich-k8s command sets it from `--out`.
     * @default "dist"
     */
    path: v.optional(text(/^[^/\s][^\s]*$/, 'must be a relative path like "dist"'), 'dist'),
    /** API server of the target cluster. @default "https://kubernetes.default.svc" */
    server: v.optional(
      text(/^https:\/\/\S+$/, 'must be an https URL like "https://kubernetes.default.svc"'),
      'https://kubernetes.default.svc',
    ),
  }),
});

export type Parsed = v.InferOutput<typeof configSchema>;

/** Requests and limits of one component. */
export type Resources = Parsed['resources']['server'];
/** Size and class of one volume. */
export type VolumeConfig = Parsed['storage']['data'];
/** Source of the read-only photo library. */
export type LibraryConfig = Parsed['library'];
/** Database user and database name. */
export type DatabaseIdentity = Pick<Parsed['database'], 'username' | 'name'>;
/** A Pod Security Standards level. */
export type PssLevel = (typeof PSS_LEVELS)[number];
/** One of `secrets.mode`. */
export type SecretMode = (typeof SECRET_MODES)[number];

/** Secret values, read from the environment only in inline mode; never from a file. */
export interface SecretValues {
  /** For the bundled postgres. */
  readonly dbPassword?: string;
  /** While OAuth is on. */
  readonly oauthClientSecret?: string;
  /** For CloudNativePG's object store. */
  readonly backupAccessKeyId?: string;
  readonly backupSecretAccessKey?: string;
  /** For an external Redis that needs one. */
  readonly redisPassword?: string;
  /** For VolSync's restic repository; the access keys only for an S3 repository. */
  readonly resticRepository?: string;
  readonly resticPassword?: string;
  readonly resticAccessKeyId?: string;
  readonly resticSecretAccessKey?: string;
}

/** The validated configuration with derived defaults resolved. */
export type Config = Omit<Parsed, 'host' | 'oauth' | 'podSecurity' | 'backup' | 'ingress'> & {
  /** `backup.database.enabled` resolved for the database engine. */
  readonly backup: Parsed['backup'] & { readonly database: { readonly enabled: boolean } };
  readonly host: string;
  /** The route with the defaults of its kind. */
  readonly ingress: RouteConfig;
  readonly oauth: Parsed['oauth'] & { readonly issuerUrl: string };
  /** `auto` resolved to a level. */
  readonly podSecurity: { readonly enforce: PssLevel };
  /** Present only in inline mode. */
  readonly secretValues?: SecretValues;
  /**
   * One line per environment variable that changed a key: the variable, its value, the key and
   * the file's value. Printed by synth, so that the output never depends on the shell unseen.
   */
  readonly notes: readonly string[];
  /** Things that work but deserve the user's attention, printed by synth. */
  readonly warnings: readonly string[];
};

/** Why a version cannot be deployed, or undefined when it can. */
function versionProblem(version: string, allowFloatingTag: boolean): string | undefined {
  const release = RELEASE_TAG.exec(version);
  if (release) {
    return Number(release[1]) >= MIN_IMMICH_MAJOR
      ? undefined
      : `must be v${MIN_IMMICH_MAJOR}.0.0 or newer (the /data layout and the config file need it)`;
  }
  if (FLOATING_TAG.test(version)) {
    return allowFloatingTag
      ? undefined
      : `is a floating tag that lets server and machine learning drift apart; pin a release like "${DEFAULT_IMMICH_VERSION}" or set immich.allowFloatingTag: true`;
  }
  return `must be a release tag like "${DEFAULT_IMMICH_VERSION}"`;
}
