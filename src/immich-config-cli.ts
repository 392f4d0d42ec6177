/**
 * Prints the Immich system config file for `secrets.mode: existing`, with the OAuth client secret
 * taken from IMMICH_OAUTH_CLIENT_SECRET, ready for `kubectl create secret ... --from-file`.
 */
import { immichConfigFile } from './cli/immich-config';
import { ConfigError, loadConfig } from './config';

try {
  process.stdout.write(immichConfigFile(loadConfig, process.env, (note) => console.error(`note: ${note}`)));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exitCode = 1;
}
