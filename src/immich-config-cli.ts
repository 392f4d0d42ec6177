/**
 * Prints the Immich system config file for `secrets.mode: existing`, with the OAuth client secret
 * taken from IMMICH_OAUTH_CLIENT_SECRET, ready for `kubectl create secret ... --from-file`.
 */
import { buildCharts } from './chart';
import { ConfigError, loadConfig } from './config';
import { renderImmichConfig } from './immich-config';

try {
  // The file is the same in every secrets mode; reading it as `existing` asks for no other secret.
  const config = loadConfig({ ...process.env, IMMICH_SECRETS_MODE: 'existing' });
  // The mode above is this command's own choice, not the user's environment.
  for (const note of config.notes.filter((n) => !n.startsWith('IMMICH_SECRETS_MODE='))) {
    console.error(`note: ${note}`);
  }
  const clientSecret = process.env.IMMICH_OAUTH_CLIENT_SECRET;
  if (config.oauth.enabled && !clientSecret) {
    throw new ConfigError('environment', [
      'IMMICH_OAUTH_CLIENT_SECRET: required to render the config file while oauth.enabled is true, got nothing',
    ]);
  }
  const chart = buildCharts(config).app;
  process.stdout.write(
    renderImmichConfig(config, { machineLearningUrl: chart.machineLearningUrl, oauthClientSecret: clientSecret ?? '' }),
  );
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exitCode = 1;
}
