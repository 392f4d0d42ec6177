import { buildCharts } from './src/chart';
import { ConfigError, loadConfig } from './src/config';
import { OutputError, publish, recover, renderCharts, writeManifests } from './src/output';

/** Where the reviewed, committed manifests live. */
const DIST = 'dist';
/** Scratch output; `cdk8s synth` passes its own (and empties it first) as CDK8S_OUTDIR. */
const STAGING = process.env.CDK8S_OUTDIR || 'build/manifests';

try {
  recover(DIST);
  const config = loadConfig();
  writeManifests(renderCharts(buildCharts(config)), STAGING);
  publish(STAGING, DIST);
  for (const warning of config.warnings) console.error(`warning: ${warning}`);
} catch (err) {
  // A bad configuration or an unwritable dist/ is the user's to fix: print what to do, not a stack trace.
  console.error(err instanceof ConfigError || err instanceof OutputError ? err.message : err);
  process.exitCode = 1;
}
