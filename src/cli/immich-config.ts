/** Immich's system config file, for the Secret `immich-config` the user creates with `secrets.mode: existing`. */
import { buildCharts } from '../chart';
import { type Config, ConfigError } from '../config';
import { renderImmichConfig } from '../immich-config';

/**
 * The config file with the OAuth client secret from `IMMICH_OAUTH_CLIENT_SECRET`. `load` reads the
 * configuration with the environment it is given; `note` gets each override the user set.
 */
export function immichConfigFile(
  load: (env: NodeJS.ProcessEnv) => Config,
  env: NodeJS.ProcessEnv,
  note: (line: string) => void,
): string {
  // The file is the same in every secrets mode; reading it as `existing` asks for no other secret.
  const config = load({ ...env, IMMICH_SECRETS_MODE: 'existing' });
  // The mode above is this command's own choice, not the user's environment.
  for (const line of config.notes.filter((n) => !n.startsWith('IMMICH_SECRETS_MODE='))) note(line);
  const clientSecret = env.IMMICH_OAUTH_CLIENT_SECRET;
  if (config.oauth.enabled && !clientSecret) {
    throw new ConfigError('environment', [
      'IMMICH_OAUTH_CLIENT_SECRET: required to render the config file while oauth.enabled is true, got nothing',
    ]);
  }
  const chart = buildCharts(config).app;
  return renderImmichConfig(config, {
    machineLearningUrl: chart.machineLearningUrl,
    oauthClientSecret: clientSecret ?? '',
  });
}
