import { createHash } from 'node:crypto';
import type { Config } from './config';

/** What the rendered system config needs besides the configuration. */
export interface ImmichConfigInputs {
  /** URL of the machine-learning Service. */
  readonly machineLearningUrl: string;
  /** OAuth client secret; a placeholder where the real value lives outside the output. */
  readonly oauthClientSecret: string;
  /** OAuth client id in place of `oauth.clientId`: a placeholder when a secret store holds it. @default oauth.clientId */
  readonly oauthClientId?: string;
}

/** Stands in for the client secret when the rendered file only feeds the rollout checksum. */
export const CLIENT_SECRET_PLACEHOLDER = '<oauth client secret>';
/** Stands in for a client id that a secret store holds. */
export const CLIENT_ID_PLACEHOLDER = '<oauth client id>';

/** Keys of the operator's decrypted data that a config file template reads. */
export interface ConfigTemplateKeys {
  /** Key of the client secret. */
  readonly clientSecret: string;
  /** Key of the client id, when the store holds it. @default the id is written into the file */
  readonly clientId?: string;
}

/**
 * The Immich system config file (`IMMICH_CONFIG_FILE`). Immich ignores `OAUTH_*` environment
 * variables; this file is the declarative way to configure OAuth. Keys left out take Immich's
 * defaults.
 * @see https://immich.app/docs/install/config-file
 */
export function renderImmichConfig(config: Config, inputs: ImmichConfigInputs): string {
  const { oauth } = config;
  const file = {
    oauth: oauth.enabled
      ? {
          enabled: true,
          issuerUrl: oauth.issuerUrl,
          clientId: inputs.oauthClientId ?? oauth.clientId,
          clientSecret: inputs.oauthClientSecret,
          scope: oauth.scope,
          buttonText: oauth.buttonText,
          autoRegister: oauth.autoRegister,
          autoLaunch: oauth.autoLaunch,
          tokenEndpointAuthMethod: oauth.tokenEndpointAuthMethod,
          // v3 refuses a plain-http issuer unless told so; the key is left out otherwise.
          ...(oauth.issuerUrl.startsWith('http:') ? { allowInsecureRequests: true } : {}),
        }
      : { enabled: false },
    passwordLogin: { enabled: oauth.passwordLogin },
    server: { externalDomain: `https://${config.host}` },
    machineLearning: { enabled: true, urls: [inputs.machineLearningUrl] },
    backup: { database: config.backup.database },
    // Hardware transcoding on the GPU the transcoding pod is given; left out without one.
    ...(config.transcoding.acceleration !== 'none'
      ? { ffmpeg: { accel: config.transcoding.acceleration, accelDecode: config.transcoding.hardwareDecoding } }
      : {}),
  };
  return `${JSON.stringify(file, null, 2)}\n`;
}

/**
 * The config file as a Go template for the secret operators (External Secrets, Sealed Secrets),
 * which insert the client secret, and the client id when the store holds it, from their decrypted
 * keys at sync time.
 */
export function renderImmichConfigTemplate(
  config: Config,
  machineLearningUrl: string,
  keys: ConfigTemplateKeys,
): string {
  // Pretty-printed JSON opens a brace only at a line end, so "{{" can only come from a string value;
  // "\u007b" is the same character to a JSON reader and no action delimiter to Go templates.
  const json = renderImmichConfig(config, {
    machineLearningUrl,
    oauthClientSecret: CLIENT_SECRET_PLACEHOLDER,
    ...(keys.clientId ? { oauthClientId: CLIENT_ID_PLACEHOLDER } : {}),
  }).replaceAll('{{', '{\\u007b');
  // toJson quotes and escapes each value, so any character in it keeps the file valid JSON.
  const action = (key: string) => () => `{{ index . ${JSON.stringify(key)} | toJson }}`;
  const withSecret = json.replace(`"${CLIENT_SECRET_PLACEHOLDER}"`, action(keys.clientSecret));
  return keys.clientId ? withSecret.replace(`"${CLIENT_ID_PLACEHOLDER}"`, action(keys.clientId)) : withSecret;
}

/** Hex SHA-256 of a text, for pod-template annotations that roll pods on change. */
export function checksum(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
