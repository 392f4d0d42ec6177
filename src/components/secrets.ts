import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import {
  ExternalSecret,
  ExternalSecretSpecSecretStoreRefKind,
  ExternalSecretSpecTargetCreationPolicy,
  ExternalSecretSpecTargetDeletionPolicy,
  ExternalSecretSpecTargetTemplateEngineVersion,
} from '../../imports/external-secrets.io';
import { SealedSecret } from '../../imports/bitnami.com';
import type { Config, SecretValues } from '../config';
import { DB_SECRET_KEYS, IMMICH_CONFIG_KEY, NAMES, RESTIC_SECRET_KEYS } from '../constants';
import type { ConfigTemplateKeys } from '../immich-config';
import { SYNC_WAVES, type SyncPolicy, syncPolicy } from '../lib/argocd';
import { REDIS_SECRET, redisUrl, redisUrlTemplate } from '../lib/redis';

/** Keys of the client secret and id inside the operator-managed config Secret, read by the template. */
const CLIENT_SECRET_KEY = 'oauth-client-secret';
const CLIENT_ID_KEY = 'oauth-client-id';
/** Secrets and their sources exist before any workload starts. */
const PREREQUISITE = { wave: SYNC_WAVES.prerequisites };
/**
 * Losing the DB Secret would lock the server out of a database initialized with that password, and
 * losing the restic repository's password would lock away every backup in it.
 */
const KEPT = { ...PREREQUISITE, keep: true };

/** Where the server reads its config file from. */
export interface ConfigFileSource {
  /** A Secret when the file holds the OAuth client secret, a ConfigMap otherwise. */
  readonly kind: 'Secret' | 'ConfigMap';
  readonly name: string;
}

/** A plain Secret this component provides in every mode but `existing`: its keys and the value behind each. */
interface SecretSpec {
  readonly id: string;
  readonly name: string;
  readonly keys: Readonly<Record<string, keyof SecretValues>>;
  /** A further key computed from one of `keys`: its value in inline mode, and as a Go template reading that key. */
  readonly derived?: {
    readonly key: string;
    readonly from: string;
    readonly value: (input: string) => string;
    readonly template: (fromKey: string) => string;
  };
  readonly policy: SyncPolicy;
}

export interface ImmichSecretsProps {
  /** `secrets` of the configuration: the mode and its settings. */
  readonly secrets: Config['secrets'];
  /** Whether the config file carries an OAuth client secret. */
  readonly oauth: boolean;
  /** Whether the bundled postgres runs and so needs the DB Secret. */
  readonly dbPassword: boolean;
  /** The object store credentials Secret and its keys, when CloudNativePG backs up. @default none */
  readonly backupCredentials?: {
    readonly name: string;
    readonly keys: { readonly accessKeyId: string; readonly secretAccessKey: string };
  };
  /** Name of the restic repository Secret, when VolSync backs up or restores. @default none */
  readonly resticRepository?: string;
  /**
   * An external Redis password, for Secret `immich-redis`; with `sentinelOptions` the Secret also
   * holds the whole `REDIS_URL`. @default none
   */
  readonly redisPassword?: { readonly sentinelOptions?: Record<string, unknown> };
  /** Secret values; required in inline mode. */
  readonly values?: SecretValues;
  /** The rendered config file, with the real client secret in inline mode. */
  readonly immichConfig: string;
  /** The config file as a template that reads the client secret (and a stored client id) from the given keys. */
  readonly immichConfigTemplate: (keys: ConfigTemplateKeys) => string;
}

/** Whether the secrets mode takes the OAuth client id from its store (or sealed values) rather than `oauth.clientId`. */
export function clientIdFromStore(secrets: Config['secrets']): boolean {
  if (secrets.existing.includes(NAMES.configSecret)) return false;
  if (secrets.mode === 'external-secrets') return secrets.externalSecrets.oauthClientId !== undefined;
  if (secrets.mode === 'sealed-secrets') return secrets.sealedSecrets.oauthClientId !== undefined;
  return false;
}

/**
 * The DB Secret (its `password` key, read by the server and postgres), the object store
 * credentials of CloudNativePG backups, an external Redis password, the restic repository of
 * VolSync, and the Immich config file. Per `secrets.mode`: `existing` synthesizes nothing secret,
 * `inline` writes Secrets from the environment, `external-secrets` and `sealed-secrets` write the
 * objects their operators turn into Secrets of the same names and keys; a Secret named in
 * `secrets.existing` is left to the user in every mode. A config file without OAuth holds nothing
 * secret and becomes a ConfigMap in every mode.
 */
export class ImmichSecrets extends Construct {
  /** Name of the Secret with the `password` key. */
  readonly dbSecretName = NAMES.dbSecret;
  /** Where the server mounts its config file from. */
  readonly configFile: ConfigFileSource;

  constructor(scope: Construct, id: string, props: ImmichSecretsProps) {
    super(scope, id);
    this.configFile = { kind: props.oauth ? 'Secret' : 'ConfigMap', name: NAMES.configSecret };
    if (!props.oauth) {
      const configMap = new k8s.KubeConfigMap(this, 'config-map', {
        metadata: { name: this.configFile.name },
        data: { [IMMICH_CONFIG_KEY]: props.immichConfig },
      });
      syncPolicy(configMap, PREREQUISITE);
    }
    const { mode } = props.secrets;
    // Optional keys (an S3 repository's access keys) are written only when the mode's source has them.
    const given = (name: keyof SecretValues): boolean =>
      mode === 'inline'
        ? props.values?.[name] !== undefined
        : mode === 'external-secrets'
          ? props.secrets.externalSecrets[name] !== undefined
          : mode === 'sealed-secrets' && props.secrets.sealedSecrets[name] !== undefined;
    const existing = new Set(props.secrets.existing);
    const all: SecretSpec[] = [
      ...(props.dbPassword
        ? [
            {
              id: 'db',
              name: this.dbSecretName,
              keys: { [DB_SECRET_KEYS.password]: 'dbPassword' as const },
              policy: KEPT,
            },
          ]
        : []),
      ...(props.backupCredentials
        ? [
            {
              id: 'backup-credentials',
              name: props.backupCredentials.name,
              keys: {
                [props.backupCredentials.keys.accessKeyId]: 'backupAccessKeyId' as const,
                [props.backupCredentials.keys.secretAccessKey]: 'backupSecretAccessKey' as const,
              },
              policy: PREREQUISITE,
            },
          ]
        : []),
      ...(props.redisPassword ? [redisSpec(props.redisPassword.sentinelOptions)] : []),
      ...(props.resticRepository ? [resticSpec(props.resticRepository, given('resticAccessKeyId'))] : []),
    ];
    const specs = all.filter((spec) => !existing.has(spec.name));
    const config = props.oauth && !existing.has(this.configFile.name);
    // `existing`: the user creates the Secrets, nothing is synthesized.
    if (mode === 'inline') this.inline(props, specs, config);
    if (mode === 'external-secrets') this.external(props, specs, config);
    if (mode === 'sealed-secrets') this.sealed(props, specs, config);
  }

  /** Plain Secrets holding the values from the environment. */
  private inline(props: ImmichSecretsProps, specs: readonly SecretSpec[], config: boolean): void {
    const values = props.values;
    if (!values) throw new Error('inline secrets need values');
    const secret = (id: string, name: string, stringData: Record<string, string>) =>
      new k8s.KubeSecret(this, id, { metadata: { name }, type: 'Opaque', stringData });
    for (const spec of specs) {
      const stringData = mapValues(spec.keys, (value) => required(values[value], value));
      if (spec.derived) {
        stringData[spec.derived.key] = spec.derived.value(required(stringData[spec.derived.from], spec.derived.from));
      }
      syncPolicy(secret(spec.id, spec.name, stringData), spec.policy);
    }
    if (config) {
      syncPolicy(secret('config', this.configFile.name, { [IMMICH_CONFIG_KEY]: props.immichConfig }), PREREQUISITE);
    }
  }

  /** ExternalSecrets that copy the values from a secret store into the Secrets. */
  private external(props: ImmichSecretsProps, specs: readonly SecretSpec[], config: boolean): void {
    const external = props.secrets.externalSecrets;
    const { storeRef, refreshInterval, oauthClientSecret, oauthClientId } = external;
    if (!storeRef.name) throw new Error('external-secrets mode needs a store');
    const secretStoreRef = {
      name: storeRef.name,
      kind:
        storeRef.kind === 'SecretStore'
          ? ExternalSecretSpecSecretStoreRefKind.SECRET_STORE
          : ExternalSecretSpecSecretStoreRefKind.CLUSTER_SECRET_STORE,
    };
    const target = (name: string) => ({
      name,
      creationPolicy: ExternalSecretSpecTargetCreationPolicy.OWNER,
      // Keep the Secret if the entry disappears from the store.
      deletionPolicy: ExternalSecretSpecTargetDeletionPolicy.RETAIN,
    });
    for (const spec of specs) {
      const secret = new ExternalSecret(this, spec.id, {
        metadata: { name: spec.name },
        spec: {
          refreshInterval,
          secretStoreRef,
          target: spec.derived
            ? {
                ...target(spec.name),
                // A template makes only its own keys: the fetched ones are listed again beside the derived one.
                template: {
                  engineVersion: ExternalSecretSpecTargetTemplateEngineVersion.V2,
                  type: 'Opaque',
                  data: {
                    ...mapValues(spec.keys, (_value, key) => `{{ index . ${JSON.stringify(key)} }}`),
                    [spec.derived.key]: spec.derived.template(spec.derived.from),
                  },
                },
              }
            : target(spec.name),
          data: Object.entries(spec.keys).map(([secretKey, value]) => ({
            secretKey,
            remoteRef: required(external[value], value),
          })),
        },
      });
      syncPolicy(secret, { ...spec.policy, customResource: true });
    }
    if (!config) return;
    const file = new ExternalSecret(this, 'config', {
      metadata: { name: this.configFile.name },
      spec: {
        refreshInterval,
        secretStoreRef,
        target: {
          ...target(this.configFile.name),
          template: {
            engineVersion: ExternalSecretSpecTargetTemplateEngineVersion.V2,
            type: 'Opaque',
            data: {
              [IMMICH_CONFIG_KEY]: props.immichConfigTemplate({
                clientSecret: CLIENT_SECRET_KEY,
                ...(oauthClientId ? { clientId: CLIENT_ID_KEY } : {}),
              }),
            },
          },
        },
        data: [
          { secretKey: CLIENT_SECRET_KEY, remoteRef: required(oauthClientSecret, 'oauthClientSecret') },
          ...(oauthClientId ? [{ secretKey: CLIENT_ID_KEY, remoteRef: oauthClientId }] : []),
        ],
      },
    });
    syncPolicy(file, { ...PREREQUISITE, customResource: true });
  }

  /** SealedSecrets the controller decrypts into the Secrets. */
  private sealed(props: ImmichSecretsProps, specs: readonly SecretSpec[], config: boolean): void {
    const sealed = props.secrets.sealedSecrets;
    // Strict scope: kubeseal bound each value to this name and namespace, so neither may change.
    for (const spec of specs) {
      const secret = new SealedSecret(this, spec.id, {
        metadata: { name: spec.name },
        spec: {
          encryptedData: mapValues(spec.keys, (value) => required(sealed[value], value)),
          template: {
            type: 'Opaque',
            ...(spec.derived ? { data: { [spec.derived.key]: spec.derived.template(spec.derived.from) } } : {}),
          },
        },
      });
      syncPolicy(secret, { ...spec.policy, customResource: true });
    }
    if (!config) return;
    const { oauthClientId } = sealed;
    const file = new SealedSecret(this, 'config', {
      metadata: { name: this.configFile.name },
      spec: {
        encryptedData: {
          [CLIENT_SECRET_KEY]: required(sealed.oauthClientSecret, 'oauthClientSecret'),
          ...(oauthClientId ? { [CLIENT_ID_KEY]: oauthClientId } : {}),
        },
        template: {
          type: 'Opaque',
          data: {
            [IMMICH_CONFIG_KEY]: props.immichConfigTemplate({
              clientSecret: CLIENT_SECRET_KEY,
              ...(oauthClientId ? { clientId: CLIENT_ID_KEY } : {}),
            }),
          },
        },
      },
    });
    syncPolicy(file, { ...PREREQUISITE, customResource: true });
  }
}

/** A value the configuration check guarantees; its absence is a bug, not bad input. */
function required<T>(value: T | undefined, name: string): T {
  if (value === undefined)
    throw new Error(`the secrets mode needs ${name}, which the configuration check should have required`);
  return value;
}

function mapValues<T>(
  record: Readonly<Record<string, keyof SecretValues>>,
  f: (value: keyof SecretValues, key: string) => T,
): Record<string, T> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, f(value, key)]));
}

/** Secret `immich-redis`: the password, and with sentinels the `REDIS_URL` that carries it. */
function redisSpec(sentinelOptions: Record<string, unknown> | undefined): SecretSpec {
  return {
    id: 'redis',
    name: REDIS_SECRET.name,
    keys: { [REDIS_SECRET.passwordKey]: 'redisPassword' },
    derived: sentinelOptions && {
      key: REDIS_SECRET.urlKey,
      from: REDIS_SECRET.passwordKey,
      value: (password) => redisUrl(sentinelOptions, password),
      template: (fromKey) => redisUrlTemplate(sentinelOptions, fromKey),
    },
    policy: PREREQUISITE,
  };
}

/** The restic repository Secret VolSync's mover reads; an S3 repository's access keys when given. */
function resticSpec(name: string, accessKeys: boolean): SecretSpec {
  const keys: Record<string, keyof SecretValues> = {
    [RESTIC_SECRET_KEYS.repository]: 'resticRepository',
    [RESTIC_SECRET_KEYS.password]: 'resticPassword',
  };
  if (accessKeys) {
    keys[RESTIC_SECRET_KEYS.accessKeyId] = 'resticAccessKeyId';
    keys[RESTIC_SECRET_KEYS.secretAccessKey] = 'resticSecretAccessKey';
  }
  return { id: 'restic-repository', name, keys, policy: KEPT };
}
