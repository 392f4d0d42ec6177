import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { SecretValues } from '../config';
import { DB_SECRET_KEYS, IMMICH_CONFIG_KEY, NAMES } from '../constants';

export interface ImmichSecretsProps {
  /** `existing`: the user creates the Secrets; `inline`: they are synthesized from `values`. */
  readonly mode: 'existing' | 'inline';
  /** Database user and database name written to the DB Secret in inline mode. */
  readonly database: { readonly username: string; readonly name: string };
  /** Secret values; required in inline mode. */
  readonly values?: SecretValues;
  /** Rendered Immich system config, holding the OAuth client secret (inline mode). */
  readonly immichConfig: string;
}

/**
 * The DB Secret (read by the server and postgres) and the Secret holding the Immich config
 * file. In `existing` mode nothing is synthesized and the workloads reference Secrets of the same
 * names created outside git, so no secret value reaches the output.
 */
export class ImmichSecrets extends Construct {
  /** Name of the Secret with the `username`, `password` and `database` keys. */
  readonly dbSecretName = NAMES.dbSecret;
  /** Name of the Secret with the `immich-config.json` key. */
  readonly configSecretName = NAMES.configSecret;

  constructor(scope: Construct, id: string, props: ImmichSecretsProps) {
    super(scope, id);
    if (props.mode !== 'inline') return;
    if (!props.values) throw new Error('inline secrets need values');

    new k8s.KubeSecret(this, 'db', {
      metadata: { name: this.dbSecretName },
      type: 'Opaque',
      stringData: {
        [DB_SECRET_KEYS.username]: props.database.username,
        [DB_SECRET_KEYS.password]: props.values.dbPassword,
        [DB_SECRET_KEYS.database]: props.database.name,
      },
    });
    new k8s.KubeSecret(this, 'config', {
      metadata: { name: this.configSecretName },
      type: 'Opaque',
      stringData: { [IMMICH_CONFIG_KEY]: props.immichConfig },
    });
  }
}
