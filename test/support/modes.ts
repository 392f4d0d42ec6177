import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { SecretMode } from '../../src/config';
import { runSynth } from './files';
import { EXAMPLE_YAML } from './synth';

/** Plaintext secrets given to inline mode; no other mode may let them reach the output. */
export const PLAINTEXT = { IMMICH_DB_PASSWORD: 'db-pa55-word', IMMICH_OAUTH_CLIENT_SECRET: 'oauth-s3cret' };

/** Stand-ins for `kubeseal --raw` output: base64 and as long as a real sealed value. */
export const SEALED = {
  dbPassword: `AgB${'Q'.repeat(400)}==`,
  oauthClientSecret: `AgC${'R'.repeat(400)}==`,
};

/** Configuration overrides and environment that select each secrets mode. */
export const MODES: Record<SecretMode, { overrides: Record<string, unknown>; env: NodeJS.ProcessEnv }> = {
  existing: { overrides: {}, env: PLAINTEXT },
  inline: { overrides: { secrets: { mode: 'inline' } }, env: PLAINTEXT },
  'external-secrets': {
    overrides: {
      secrets: {
        mode: 'external-secrets',
        externalSecrets: {
          storeRef: { name: 'vault' },
          dbPassword: { key: 'immich/database', property: 'password' },
          oauthClientSecret: { key: 'immich/oauth', property: 'client-secret' },
        },
      },
    },
    env: PLAINTEXT,
  },
  'sealed-secrets': { overrides: { secrets: { mode: 'sealed-secrets', sealedSecrets: SEALED } }, env: PLAINTEXT },
};

/**
 * Synthesizes one mode with the bundled app, as a user would, into a fresh temp folder: the
 * example configuration with the mode's overrides. Returns the folder holding `dist/`.
 */
export function synthModeToDir(mode: SecretMode): string {
  const dir = mkdtempSync(join(tmpdir(), `immich-k8s-${mode}-`));
  const example = parse(EXAMPLE_YAML) as Record<string, unknown>;
  writeFileSync(join(dir, 'config.yaml'), stringify({ ...example, ...MODES[mode].overrides }));
  const { status, stderr } = runSynth(dir, { ...MODES[mode].env, IMMICH_K8S_CONFIG: 'config.yaml' });
  if (status !== 0) throw new Error(`synth of mode ${mode} failed:\n${stderr}`);
  return dir;
}
