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
import { DB_SECRET_KEYS, IMMICH_CONFIG_KEY, NAMES } from '../constants';
import { SYNC_WAVES, syncPolicy } from '../lib/argocd';

/** Key of the client secret inside the operator-managed config Secret, read by the template. */
const CLIENT_SECRET_KEY = 'oauth-client-secret';
/** Secrets and their sources exist before any workload starts. */
const PREREQUISITE = { wave: SYNC_WAVES.prerequisites };
/** Losing the DB Secret would lock the server out of a database initialized with that password. */
const DB_POLICY = { ...PREREQUISITE, keep: true };

/** Where the server reads its config file from. */
export interface ConfigFileSource {
  /** A Secret when the file holds the OAuth client secret, a ConfigMap otherwise. */
  readonly kind: 'Secret' | 'ConfigMap';
  readonly name: string;
}

export interface ImmichSecretsProps {
  /** `secrets` of the configuration: the mode and its settings. */
  readonly secrets: Config['secrets'];
  /** Whether the config file carries an OAuth client secret. */
  readonly oauth: boolean;
  /** Secret values; required in inline mode. */
  readonly values?: SecretValues;
  /** The rendered config file, with the real client secret in inline mode. */
  readonly immichConfig: string;
  /** The config file as a template that reads the client secret from the given key. */
  readonly immichConfigTemplate: (secretKey: string) => string;
}

/**
 * The DB Secret (its `password` key, read by the server and postgres) and the Immich config file.
 * Per `secrets.mode`: `existing` synthesizes nothing secret, `inline` writes Secrets from the
 * environment, `external-secrets` and `sealed-secrets` write the objects their operators turn into
 * Secrets of the same names and keys. A config file without OAuth holds nothing secret and becomes
 * a ConfigMap in every mode.
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
    // `existing`: the user creates the Secrets, nothing is synthesized.
    if (props.secrets.mode === 'inline') this.inline(props);
    if (props.secrets.mode === 'external-secrets') this.external(props);
    if (props.secrets.mode === 'sealed-secrets') this.sealed(props);
  }

  /** Plain Secrets holding the values from the environment. */
  private inline(props: ImmichSecretsProps): void {
    if (!props.values) throw new Error('inline secrets need values');
    const secret = (id: string, name: string, stringData: Record<string, string>) =>
      new k8s.KubeSecret(this, id, { metadata: { name }, type: 'Opaque', stringData });
    syncPolicy(secret('db', this.dbSecretName, { [DB_SECRET_KEYS.password]: props.values.dbPassword }), DB_POLICY);
    if (props.oauth) {
      syncPolicy(secret('config', this.configFile.name, { [IMMICH_CONFIG_KEY]: props.immichConfig }), PREREQUISITE);
    }
  }

  /** ExternalSecrets that copy the values from a secret store into the Secrets. */
  private external(props: ImmichSecretsProps): void {
    const { storeRef, refreshInterval, dbPassword, oauthClientSecret } = props.secrets.externalSecrets;
    if (!storeRef.name || !dbPassword) throw new Error('external-secrets mode needs a store and a DB password key');
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
    const db = new ExternalSecret(this, 'db', {
      metadata: { name: this.dbSecretName },
      spec: {
        refreshInterval,
        secretStoreRef,
        target: target(this.dbSecretName),
        data: [{ secretKey: DB_SECRET_KEYS.password, remoteRef: dbPassword }],
      },
    });
    syncPolicy(db, { ...DB_POLICY, customResource: true });
    if (!props.oauth) return;
    if (!oauthClientSecret) throw new Error('external-secrets mode needs an OAuth client secret key');
    const config = new ExternalSecret(this, 'config', {
      metadata: { name: this.configFile.name },
      spec: {
        refreshInterval,
        secretStoreRef,
        target: {
          ...target(this.configFile.name),
          template: {
            engineVersion: ExternalSecretSpecTargetTemplateEngineVersion.V2,
            type: 'Opaque',
            data: { [IMMICH_CONFIG_KEY]: props.immichConfigTemplate(CLIENT_SECRET_KEY) },
          },
        },
        data: [{ secretKey: CLIENT_SECRET_KEY, remoteRef: oauthClientSecret }],
      },
    });
    syncPolicy(config, { ...PREREQUISITE, customResource: true });
  }

  /** SealedSecrets the controller decrypts into the Secrets. */
  private sealed(props: ImmichSecretsProps): void {
    const { dbPassword, oauthClientSecret } = props.secrets.sealedSecrets;
    if (!dbPassword) throw new Error('sealed-secrets mode needs a sealed DB password');
    // Strict scope: kubeseal bound each value to this name and namespace, so neither may change.
    const db = new SealedSecret(this, 'db', {
      metadata: { name: this.dbSecretName },
      spec: { encryptedData: { [DB_SECRET_KEYS.password]: dbPassword }, template: { type: 'Opaque' } },
    });
    syncPolicy(db, { ...DB_POLICY, customResource: true });
    if (!props.oauth) return;
    if (!oauthClientSecret) throw new Error('sealed-secrets mode needs a sealed OAuth client secret');
    const config = new SealedSecret(this, 'config', {
      metadata: { name: this.configFile.name },
      spec: {
        encryptedData: { [CLIENT_SECRET_KEY]: oauthClientSecret },
        template: { type: 'Opaque', data: { [IMMICH_CONFIG_KEY]: props.immichConfigTemplate(CLIENT_SECRET_KEY) } },
      },
    });
    syncPolicy(config, { ...PREREQUISITE, customResource: true });
  }
}
