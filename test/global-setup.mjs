import { buildApps, buildLib } from '../scripts/build.cjs';

// The CLI tests run the bundled app exactly as `npm run synth` does, and the package test packs
// lib/; each is rebuilt only when a source changed.
export default async function globalSetup() {
  await buildApps();
  buildLib();
}
