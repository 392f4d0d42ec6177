import { buildCharts } from './src/chart';
import { ConfigError, loadConfig } from './src/config';
import { OutputError, publish, recover, renderCharts, writeManifests } from './src/output';

/** Where the reviewed, committed manifests live. */
const DIST = 'dist';
/** The output folder of `cdk8s synth` (it empties it first); a plain run needs none. */
const CLI_OUTDIR = process.env.CDK8S_OUTDIR;

try {
  recover(DIST);
  const config = loadConfig();
  const manifests = renderCharts(buildCharts(config));
  if (CLI_OUTDIR) writeManifests(manifests, CLI_OUTDIR);
  publish(DIST, (dir) => writeManifests(manifests, dir));
  for (const warning of config.warnings) console.error(`warning: ${warning}`);
} catch (err) {
  // A bad configuration or an unwritable dist/ is the user's to fix: print what to do, not a stack trace.
  console.error(err instanceof ConfigError || err instanceof OutputError ? err.message : err);
  process.exitCode = 1;
}
