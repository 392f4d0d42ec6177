// Runs one of the app's bundles in this process, rebuilding it first only when a source changed:
// `node scripts/run.mjs main` is `npm run synth`, `node scripts/run.mjs immich-config` the config CLI.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { APPS, ROOT, buildApps } from './build.mjs';

const name = process.argv[2];
if (!Object.hasOwn(APPS, name)) {
  console.error(`usage: node scripts/run.mjs <${Object.keys(APPS).join('|')}>`);
  process.exit(2);
}
await buildApps();
createRequire(import.meta.url)(join(ROOT, 'build', `${name}.js`));
