import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import * as v from 'valibot';
import { parseDocument } from 'yaml';
import { DEFAULT_IMMICH_VERSION, MIN_IMMICH_MAJOR } from './constants';
import { QUANTITY, canonicalQuantity, quantityValue } from './lib/quantity';

/** RFC 1123 DNS name with at least two labels, e.g. `photos.example.com`. */
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
/** RFC 1123 label: namespaces, Secret, PVC and runtime class names. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain: one or more labels, as for StorageClass names. */
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
/** Lower-case SQL identifier accepted by the postgres image's init scripts. */
const SQL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Go duration as used by operators, e.g. `1h`, `15m`, `1h30m`. */
const DURATION = /^(\d+(h|m|s))+$/;
/** Standard base64, as printed by `kubeseal --raw`. */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Shortest plausible `kubeseal --raw` output (a 2048-bit sealed session key alone is 256 bytes). */
const SEALED_MIN_LENGTH = 344;
/** Label key: optional DNS prefix, then a name of at most 63 characters. */
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** Label value: empty or at most 63 alphanumerics with `-`, `_`, `.` inside. */
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** Five-field cron expression as Immich's scheduler takes it, e.g. `0 02 * * *`. */
const CRON = /^\S+( \S+){4}$/;
/** A pinned Immich release tag. */
const RELEASE_TAG = /^v(\d+)\.(\d+)\.(\d+)$/;
/** Tags that move; allowed only with `immich.allowFloatingTag`. */
const FLOATING_TAG = /^(release|latest|v\d+(\.\d+)?)$/;

/** An object that rejects unknown keys and lists the allowed ones. */
function strict<const E extends v.ObjectEntries>(entries: E) {
  const allowed = Object.keys(entries).join(', ');
  return v.strictObject(entries, (issue) => {
    if (issue.expected === 'never') return `unknown key; allowed keys here: ${allowed}`;
    if (issue.input === undefined) return 'required';
    return `must be a mapping with keys ${allowed}`;
  });
}
/** An optional section whose own keys take their defaults when it is left out. */
function section<const E extends v.ObjectEntries>(entries: E) {
  // Every key of a section is optional, so `{}` is a valid input; the cast tells the type system.
  return v.optional(strict(entries), {} as never);
}
/** Reports a problem at a key path below the section being checked. */
type Report = (keys: readonly [string, ...string[]], input: unknown, message: string) => void;
/** A section with a check across its keys, run once all of them are valid. */
function checkedSection<const E extends v.ObjectEntries>(
  entries: E,
  check: (value: v.InferOutput<ReturnType<typeof strict<E>>>, report: Report) => void,
) {
  const checked = v.pipe(
    strict(entries),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const root = dataset.value;
      check(root, ([first, ...rest], input, message) => {
        const item = (key: string): v.IssuePathItem => ({
          type: 'object',
          origin: 'value',
          input: root,
          key,
          value: input,
        });
        addIssue({ message, input, path: [item(first), ...rest.map(item)] });
      });
    }),
  );
  return v.optional(checked, {} as never);
}
const text = (pattern: RegExp, message: string) => v.pipe(v.string('must be a string'), v.regex(pattern, message));
const dnsName = (example: string) => text(DNS_NAME, `must be a lower-case DNS name like "${example}"`);
const dnsLabel = (example: string) => text(DNS_LABEL, `must be a lower-case DNS label like "${example}"`);
const dnsSubdomain = (example: string) => text(DNS_SUBDOMAIN, `must be a lower-case DNS name like "${example}"`);
const quantity = (example: string) => {
  const message = `must be a Kubernetes quantity like "${example}" (a number with an optional unit: Ki, Mi, Gi, Ti, Pi, Ei, m, k, M, G, T, P, E or an exponent like e3; no spaces)`;
  return v.pipe(
    // YAML reads `cpu: 2` as a number; Kubernetes takes both.
    v.union([v.string(), v.number()], message),
    v.transform(String),
    v.regex(QUANTITY, message),
    v.check((q) => quantityValue(q) > 0, 'must be greater than zero'),
    // The API server stores the canonical form; writing it keeps a second apply from changing anything.
    v.transform(canonicalQuantity),
  );
};
const bool = () => v.boolean('must be true or false');
const oneOf = <const T extends readonly string[]>(options: T) =>
  v.picklist(options, `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}`);
const stringMap = v.record(v.string(), v.string('must be a string'), 'must be a mapping of strings');

const timezone = v.pipe(
  v.string('must be a string'),
  v.check(isTimeZone, 'must be an IANA time zone like "Europe/Berlin" or "UTC"'),
);

const resources = (cpu: string, memory: string, memoryLimit: string) =>
  checkedSection(
    {
      /** Scheduling requests. */
      requests: section({ cpu: v.optional(quantity('250m'), cpu), memory: v.optional(quantity('512Mi'), memory) }),
      /** Hard limits; CPU is unlimited unless set, memory always has a ceiling. */
      limits: section({ cpu: v.optional(quantity('2')), memory: v.optional(quantity('4Gi'), memoryLimit) }),
    },
    // The API accepts such a Deployment, but none of its pods could ever be created.
    ({ requests, limits }, report) => {
      for (const kind of ['cpu', 'memory'] as const) {
        const limit = limits[kind];
        if (limit !== undefined && quantityValue(requests[kind]) > quantityValue(limit)) {
          report(['requests', kind], requests[kind], `must not exceed the ${kind} limit "${limit}"`);
        }
      }
    },
  );

const volume = (size: string) =>
  section({
    /** Requested capacity. */
    size: v.optional(quantity('10Gi'), size),
    /** StorageClass; the cluster default when unset. */
    storageClass: v.optional(dnsSubdomain('local-path')),
  });

const toleration = v.pipe(
  strict({
    key: v.optional(v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'))),
    operator: v.optional(oneOf(['Exists', 'Equal'] as const), 'Exists'),
    value: v.optional(v.string('must be a string')),
    effect: v.optional(oneOf(['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const)),
  }),
  v.check((t) => t.operator === 'Equal' || t.value === undefined, 'value is only allowed with operator "Equal"'),
);

const absolutePath = text(/^\/.*/, 'must be an absolute path like "/volume1/photos"');
const library = v.variant(
  'source',
  [
    /** No external library. */
    strict({ source: v.literal('none') }),
    /** A PersistentVolumeClaim the user created in the namespace. */
    strict({ source: v.literal('pvc'), claimName: dnsSubdomain('photo-library') }),
    /** An NFS export, mounted by the kubelet. */
    strict({
      source: v.literal('nfs'),
      server: text(/^[A-Za-z0-9.:-]+$/, 'must be a host name or IP address like "nas.example.com"'),
      path: absolutePath,
    }),
    /** A directory on the node. */
    strict({ source: v.literal('hostPath'), path: absolutePath }),
  ],
  'must have source "none", "pvc", "nfs" or "hostPath"',
);

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

const labelSelector = (example: string) =>
  v.pipe(
    v.record(
      text(LABEL_KEY, 'must be a label key like "app.kubernetes.io/name"'),
      text(LABEL_VALUE, 'must be a label value (letters, digits, "-", "_", "."; at most 63)'),
      `must be a mapping of labels like { ${example} }`,
    ),
    v.check((labels) => Object.keys(labels).length > 0, 'must name at least one label'),
  );

const cidr = v.pipe(
  v.string('must be a string'),
  v.check(isCidr, 'must be an IPv4 or IPv6 CIDR like "10.0.0.0/8" or "::/0"'),
);
const port = v.pipe(
  v.number('must be a port number'),
  v.integer('must be a port number'),
  v.minValue(1, 'must be between 1 and 65535'),
  v.maxValue(65535, 'must be between 1 and 65535'),
);

/** The configuration schema: every key with its default. The README's reference mirrors it. */
export const configSchema = strict({
  /** Namespace of every object. @default "immich" */
  namespace: v.optional(dnsLabel('immich'), 'immich'),
  /** Base domain (`BASE_DOMAIN`); no default. */
  domain: dnsName('example.com'),
  /** Public host name. @default "immich.<domain>" */
  host: v.optional(dnsName('photos.example.com')),
  immich: checkedSection(
    {
      /** Release of the server and machine-learning images (`IMMICH_VERSION`). */
      version: v.optional(v.string('must be a string'), DEFAULT_IMMICH_VERSION),
      /** Allow moving tags such as `release`; server and ML may then drift apart. @default false */
      allowFloatingTag: v.optional(bool(), false),
      /** `IMMICH_LOG_LEVEL`. @default "log" */
      logLevel: v.optional(oneOf(['verbose', 'debug', 'log', 'warn', 'error', 'fatal'] as const), 'log'),
    },
    ({ version, allowFloatingTag }, report) => {
      const problem = versionProblem(version, allowFloatingTag);
      if (problem) report(['version'], version, problem);
    },
  ),
  /** Time zone of the containers (`TZ`). @default "UTC" */
  timezone: v.optional(timezone, 'UTC'),
  secrets: section({
    /**
     * Where the DB password and the OAuth client secret come from (`IMMICH_SECRETS_MODE`):
     * `existing` Secrets created with kubectl; `inline` Secrets synthesized from the environment;
     * `external-secrets` ExternalSecrets read from a secret store; `sealed-secrets` SealedSecrets
     * holding kubeseal output. @default "existing"
     */
    mode: v.optional(oneOf(SECRET_MODES), 'existing'),
    /** Used with `mode: external-secrets`. */
    externalSecrets: section({
      /** The SecretStore or ClusterSecretStore to read from; `name` is required in this mode. */
      storeRef: section({
        name: v.optional(dnsSubdomain('vault')),
        /** @default "ClusterSecretStore" */
        kind: v.optional(oneOf(['ClusterSecretStore', 'SecretStore'] as const), 'ClusterSecretStore'),
      }),
      /** How often the operator re-reads the store. @default "1h" */
      refreshInterval: v.optional(text(DURATION, 'must be a duration like "1h" or "15m"'), '1h'),
      /** Remote key (and optional property) of the database password; required in this mode. */
      dbPassword: v.optional(remoteRef),
      /** Remote key (and optional property) of the OAuth client secret; required while OAuth is on. */
      oauthClientSecret: v.optional(remoteRef),
    }),
    /** Used with `mode: sealed-secrets`: `kubeseal --raw` output, strict scope (see the README). */
    sealedSecrets: section({
      /** The database password sealed for Secret `immich-db`; required in this mode. */
      dbPassword: v.optional(sealedValue),
      /** The OAuth client secret sealed for Secret `immich-config`; required while OAuth is on. */
      oauthClientSecret: v.optional(sealedValue),
    }),
  }),
  database: section({
    /** Database user of the server and postgres (`IMMICH_DB_USERNAME`). @default "postgres" */
    username: v.optional(text(SQL_NAME, 'must be a lower-case SQL identifier like "postgres"'), 'postgres'),
    /** Database name (`IMMICH_DB_DATABASE_NAME`). @default "immich" */
    name: v.optional(text(SQL_NAME, 'must be a lower-case SQL identifier like "immich"'), 'immich'),
    /** Tunes postgres for the disk kind (`DB_STORAGE_TYPE`). @default "SSD" */
    storageType: v.optional(oneOf(['SSD', 'HDD'] as const), 'SSD'),
  }),
  oauth: section({
    /** Log in through the OIDC provider. @default true */
    enabled: v.optional(bool(), true),
    /** @default "https://auth.<domain>/application/o/immich/" (Authentik) */
    issuerUrl: v.optional(
      text(
        /^https?:\/\/[^\s/]+(\/\S*)?$/,
        'must be an http(s) URL like "https://auth.example.com/application/o/immich/"',
      ),
    ),
    /** OAuth client id (`IMMICH_OAUTH_CLIENT_ID`); required when OAuth is on. */
    clientId: v.optional(v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'))),
    /** @default "openid email profile" */
    scope: v.optional(v.string('must be a string'), 'openid email profile'),
    /** @default "Login with Authentik" */
    buttonText: v.optional(v.string('must be a string'), 'Login with Authentik'),
    /** Create users on first login. @default true */
    autoRegister: v.optional(bool(), true),
    /** Skip the login page and go straight to the provider. @default false */
    autoLaunch: v.optional(bool(), false),
    /** @default "client_secret_post" */
    tokenEndpointAuthMethod: v.optional(
      oneOf(['client_secret_post', 'client_secret_basic'] as const),
      'client_secret_post',
    ),
    /** Keep e-mail/password login beside OAuth. @default true */
    passwordLogin: v.optional(bool(), true),
  }),
  ingress: section({
    /** Traefik entry points. @default ["websecure"] */
    entryPoints: v.optional(
      v.pipe(
        v.array(text(/^[A-Za-z0-9_-]+$/, 'must be an entry point name like "websecure"'), 'must be a list'),
        v.minLength(1, 'must name at least one entry point'),
      ),
      ['websecure'],
    ),
    /** TLS by cert resolver or existing Secret; `{}` means no TLS section. @default { certResolver: "letsencrypt" } */
    tls: v.optional(
      v.pipe(
        strict({
          certResolver: v.optional(v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'))),
          secretName: v.optional(dnsSubdomain('immich-tls')),
        }),
        v.check((tls) => !(tls.certResolver && tls.secretName), 'set certResolver or secretName, not both'),
      ),
      { certResolver: 'letsencrypt' },
    ),
  }),
  /** Where the read-only photo library comes from. @default { source: "none" } */
  library: v.optional(library, { source: 'none' }),
  storage: section({
    /** Uploads, thumbnails, encoded video, database dumps. */
    data: volume('100Gi'),
    /** Machine-learning model cache. */
    mlCache: volume('10Gi'),
    /** Valkey job queue. */
    valkey: volume('1Gi'),
    /** Postgres data (local SSD recommended). */
    postgres: volume('10Gi'),
  }),
  machineLearning: section({
    /** Image flavour: `cuda` needs an NVIDIA GPU, `cpu` runs anywhere. @default "cuda" */
    backend: v.optional(oneOf(['cuda', 'cpu'] as const), 'cuda'),
    /** GPU scheduling, used with the cuda backend. */
    gpu: section({
      /** `nvidia.com/gpu` limit. @default 1 */
      count: v.optional(
        v.pipe(
          v.number('must be a whole number'),
          v.integer('must be a whole number'),
          v.minValue(1, 'must be at least 1'),
        ),
        1,
      ),
      /** RuntimeClass of the NVIDIA container runtime; unset uses the node default. */
      runtimeClassName: v.optional(dnsSubdomain('nvidia')),
      /** Node selector for GPU nodes. @default {} */
      nodeSelector: v.optional(stringMap, {}),
      /** @default [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }] */
      tolerations: v.optional(v.array(toleration, 'must be a list'), [
        { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      ]),
    }),
  }),
  resources: section({
    server: resources('250m', '512Mi', '4Gi'),
    machineLearning: resources('250m', '2Gi', '8Gi'),
    valkey: resources('50m', '64Mi', '512Mi'),
    postgres: resources('250m', '512Mi', '2Gi'),
  }),
  backup: section({
    /** Immich's own nightly database dump into `/data/backups` (`backup.database` of the config file). */
    database: section({
      /** @default true */
      enabled: v.optional(bool(), true),
      /** When to dump, in the server's time zone. @default "0 02 * * *" */
      cronExpression: v.optional(text(CRON, 'must be a five-field cron expression like "0 02 * * *"'), '0 02 * * *'),
      /** Dumps to keep. @default 14 */
      keepLastAmount: v.optional(
        v.pipe(
          v.number('must be a whole number'),
          v.integer('must be a whole number'),
          v.minValue(1, 'must be at least 1'),
        ),
        14,
      ),
    }),
  }),
  podSecurity: section({
    /**
     * `pod-security.kubernetes.io/enforce` level of the namespace. `auto` picks the strongest level
     * every pod meets: `restricted`, or `baseline` with an NFS library, `privileged` with a hostPath
     * library. @default "auto"
     */
    enforce: v.optional(oneOf(['auto', ...PSS_LEVELS] as const), 'auto'),
  }),
  networkPolicy: section({
    /** Default-deny NetworkPolicies plus the paths Immich needs. @default true */
    enabled: v.optional(bool(), true),
    /** Pods of the ingress controller allowed to reach the server. */
    ingressController: section({
      /** @default { kubernetes.io/metadata.name: traefik } */
      namespaceSelector: v.optional(labelSelector('kubernetes.io/metadata.name: traefik'), {
        'kubernetes.io/metadata.name': 'traefik',
      }),
      /** @default { app.kubernetes.io/name: traefik } */
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
      /** @default { kubernetes.io/metadata.name: kube-system } */
      namespaceSelector: v.optional(labelSelector('kubernetes.io/metadata.name: kube-system'), {
        'kubernetes.io/metadata.name': 'kube-system',
      }),
      /** @default { k8s-app: kube-dns } */
      podSelector: v.optional(labelSelector('k8s-app: kube-dns'), { 'k8s-app': 'kube-dns' }),
    }),
    /** Outbound HTTPS of the server: the OIDC issuer, the version check. */
    serverEgress: section({
      /** @default ["0.0.0.0/0", "::/0"] */
      cidrs: v.optional(v.pipe(v.array(cidr, 'must be a list'), v.minLength(1, 'must name at least one CIDR')), [
        '0.0.0.0/0',
        '::/0',
      ]),
      /** Ports besides the issuer's own. @default [443] */
      ports: v.optional(v.array(port, 'must be a list'), [443]),
    }),
    /** Let machine learning download models over HTTPS from public addresses. @default true */
    modelDownloads: v.optional(bool(), true),
  }),
  argocd: section({
    /** Render an Argo CD Application into `dist/argocd/`. @default false */
    enabled: v.optional(bool(), false),
    /** Namespace Argo CD runs in. @default "argocd" */
    namespace: v.optional(dnsLabel('argocd'), 'argocd'),
    /** @default "immich" */
    name: v.optional(dnsSubdomain('immich'), 'immich'),
    /** @default "default" */
    project: v.optional(dnsSubdomain('default'), 'default'),
    /** Git repository holding the rendered `dist/`; required when enabled. */
    repoURL: v.optional(
      text(/^(https?:\/\/|ssh:\/\/|git@)\S+$/, 'must be a Git URL like "https://git.example.com/home/immich-k8s.git"'),
    ),
    /** @default "main" */
    targetRevision: v.optional(v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty')), 'main'),
    /** Folder of the app manifests in the repository. @default "dist" */
    path: v.optional(text(/^[^/\s][^\s]*$/, 'must be a relative path like "dist"'), 'dist'),
    /** API server of the target cluster. @default "https://kubernetes.default.svc" */
    server: v.optional(
      text(/^https:\/\/\S+$/, 'must be an https URL like "https://kubernetes.default.svc"'),
      'https://kubernetes.default.svc',
    ),
  }),
});

type Parsed = v.InferOutput<typeof configSchema>;

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
  readonly dbPassword: string;
  readonly oauthClientSecret?: string;
}

/** The validated configuration with derived defaults resolved. */
export type Config = Omit<Parsed, 'host' | 'oauth' | 'podSecurity'> & {
  readonly host: string;
  readonly oauth: Parsed['oauth'] & { readonly issuerUrl: string };
  /** `auto` resolved to a level. */
  readonly podSecurity: { readonly enforce: PssLevel };
  /** Present only in inline mode. */
  readonly secretValues?: SecretValues;
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** Environment variables of the reference deployment and the config key each one overrides. */
export const ENV_OVERRIDES = {
  BASE_DOMAIN: ['domain'],
  IMMICH_VERSION: ['immich', 'version'],
  TZ: ['timezone'],
  IMMICH_DB_USERNAME: ['database', 'username'],
  IMMICH_DB_DATABASE_NAME: ['database', 'name'],
  IMMICH_OAUTH_CLIENT_ID: ['oauth', 'clientId'],
  IMMICH_SECRETS_MODE: ['secrets', 'mode'],
} as const satisfies Record<string, readonly string[]>;

/** Where the shipped example configuration lives, relative to the project root. */
export const DEFAULT_CONFIG_FILE = 'config/example.yaml';

/** Thrown with every problem of a configuration, one per line. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid configuration (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses and validates a configuration given as YAML text plus environment overrides.
 * Collects every problem into one ConfigError.
 */
export function parseConfig(yamlText: string, env: NodeJS.ProcessEnv, source = 'config'): Config {
  const doc = parseDocument(yamlText, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      source,
      // Pretty errors start with "<what> at line L, column C:" followed by a source excerpt.
      doc.errors.map((e) => `${source}: malformed YAML: ${e.message.split('\n')[0]?.replace(/:$/, '')}`),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw) || raw === null) {
    throw new ConfigError(source, [`${source}: must be a YAML mapping of keys, got ${describe(raw)}`]);
  }

  const input = structuredClone(raw) as Record<string, unknown>;
  const fromEnv = new Map<string, string>();
  for (const [name, path] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(input, path, value);
    fromEnv.set(path.join('.'), name);
  }

  const result = v.safeParse(configSchema, input, { abortPipeEarly: true });
  const problems: string[] = [];
  for (const issue of result.issues ?? []) {
    const keys = (issue.path ?? []).map((item) => String(item.key));
    const key = keys.join('.') || '(root)';
    const envName = fromEnv.get(key);
    const label = envName ? `${envName} (${key})` : key;
    const got =
      issue.expected === 'never'
        ? `"${keys.at(-1)}"`
        : key.startsWith('secrets.sealedSecrets.')
          ? redacted(issue.input)
          : describe(issue.input);
    problems.push(`${label}: ${issue.message}, got ${got}`);
  }
  // Checks across keys and the environment, run on what parsed so far so one run lists everything.
  const partial = result.output as DeepPartial<Parsed>;
  const oauthOn = partial.oauth?.enabled !== false;
  if (oauthOn && !partial.oauth?.clientId) {
    problems.push(
      'oauth.clientId: required while oauth.enabled is true; set it in the file or with IMMICH_OAUTH_CLIENT_ID, got nothing',
    );
  }
  const inline = partial.secrets?.mode === 'inline';
  const dbPassword = env.IMMICH_DB_PASSWORD;
  const oauthClientSecret = env.IMMICH_OAUTH_CLIENT_SECRET;
  if (inline && !dbPassword) {
    problems.push('IMMICH_DB_PASSWORD: required when secrets.mode is "inline", got nothing');
  }
  if (inline && oauthOn && !oauthClientSecret) {
    problems.push(
      'IMMICH_OAUTH_CLIENT_SECRET: required when secrets.mode is "inline" and oauth.enabled is true, got nothing',
    );
  }
  problems.push(...secretSourceProblems(partial, oauthOn));
  if (partial.argocd?.enabled && !partial.argocd.repoURL) {
    problems.push('argocd.repoURL: required while argocd.enabled is true, got nothing');
  }
  const librarySource = partial.library?.source;
  const podLevel = librarySource ? podSecurityLevel({ source: librarySource }) : undefined;
  const enforce = partial.podSecurity?.enforce;
  if (podLevel && enforce && enforce !== 'auto' && PSS_LEVELS.indexOf(enforce) < PSS_LEVELS.indexOf(podLevel)) {
    problems.push(
      `podSecurity.enforce: "${enforce}" would reject the immich-server pod, whose library.source "${librarySource}" needs "${podLevel}"; use "${podLevel}", "auto" or another library source, got "${enforce}"`,
    );
  }
  if (!result.success || problems.length > 0) throw new ConfigError(source, problems);

  const parsed = result.output;
  const secretValues: SecretValues | undefined =
    inline && dbPassword ? { dbPassword, oauthClientSecret: oauthOn ? oauthClientSecret : undefined } : undefined;
  return {
    ...parsed,
    host: parsed.host ?? `immich.${parsed.domain}`,
    oauth: {
      ...parsed.oauth,
      issuerUrl: parsed.oauth.issuerUrl ?? `https://auth.${parsed.domain}/application/o/immich/`,
    },
    podSecurity: {
      enforce: parsed.podSecurity.enforce === 'auto' ? podSecurityLevel(parsed.library) : parsed.podSecurity.enforce,
    },
    ...(secretValues ? { secretValues } : {}),
  };
}

/**
 * The strongest Pod Security Standard all pods meet. Only the photo library varies: an inline NFS
 * volume is not in the restricted list of volume types, a hostPath volume is not even baseline.
 */
export function podSecurityLevel(library: { readonly source: LibraryConfig['source'] }): PssLevel {
  if (library.source === 'hostPath') return 'privileged';
  return library.source === 'nfs' ? 'baseline' : 'restricted';
}

/** Keys the chosen secrets mode needs but the configuration lacks. */
function secretSourceProblems(partial: DeepPartial<Parsed>, oauthOn: boolean): string[] {
  const mode = partial.secrets?.mode;
  const missing = (key: string, when: string) => `${key}: required when ${when}, got nothing`;
  const problems: string[] = [];
  if (mode === 'external-secrets') {
    const external = partial.secrets?.externalSecrets;
    const when = 'secrets.mode is "external-secrets"';
    if (!external?.storeRef?.name) problems.push(missing('secrets.externalSecrets.storeRef.name', when));
    if (!external?.dbPassword) problems.push(missing('secrets.externalSecrets.dbPassword', when));
    if (oauthOn && !external?.oauthClientSecret) {
      problems.push(missing('secrets.externalSecrets.oauthClientSecret', `${when} and oauth.enabled is true`));
    }
  }
  if (mode === 'sealed-secrets') {
    const sealed = partial.secrets?.sealedSecrets;
    const when = 'secrets.mode is "sealed-secrets"';
    if (!sealed?.dbPassword) problems.push(missing('secrets.sealedSecrets.dbPassword', when));
    if (oauthOn && !sealed?.oauthClientSecret) {
      problems.push(missing('secrets.sealedSecrets.oauthClientSecret', `${when} and oauth.enabled is true`));
    }
  }
  return problems;
}

/**
 * Loads the configuration file named by `IMMICH_K8S_CONFIG` (default: the shipped example) and
 * applies the environment overrides. The only place input is checked.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const file = env.IMMICH_K8S_CONFIG || DEFAULT_CONFIG_FILE;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [
      `IMMICH_K8S_CONFIG: cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? 'error'}); it must name a readable YAML file`,
    ]);
  }
  return parseConfig(text, env, file);
}

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

/** Describes a possibly secret value without showing it. */
function redacted(value: unknown): string {
  return typeof value === 'string' ? `a ${value.length}-character value (not shown)` : describe(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function setPath(root: Record<string, unknown>, path: readonly string[], value: string): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function isCidr(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  if (prefix === undefined || rest.length > 0 || !/^\d{1,3}$/.test(prefix)) return false;
  const family = isIP(address);
  return family !== 0 && Number(prefix) <= (family === 4 ? 32 : 128);
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}
