import { buildCharts } from './src/chart';
import { ConfigError, loadConfig } from './src/config';
import { bundleKey, renderYaml, YamlCache } from './src/lib/yaml-cache';
import { OutputError, publish, recover, renderCharts, writeManifests } from './src/output';
import { previousRelease, upgradeReminder } from './src/upgrade';

/** Where the reviewed, committed manifests live. */
const DIST = 'dist';
/** The output folder of `cdk8s synth` (it empties it first); a plain run needs none. */
const CLI_OUTDIR = process.env.CDK8S_OUTDIR;

try {
  recover(DIST);
  const config = loadConfig();
  for (const note of config.notes) console.error(`note: ${note}`);
  const manifests = renderCharts(buildCharts(config));
  // Read before dist/ is replaced: the release the previous output runs.
  const upgrade = upgradeReminder(config, previousRelease(manifests, DIST));
  // Run as the bundle (scripts/run.cjs), the YAML of objects unchanged since the last run is reused.
  const codeKey = bundleKey(__filename);
  const cache = codeKey ? YamlCache.open(`${__filename}.yaml-cache`, codeKey) : undefined;
  const yaml = cache?.yaml ?? renderYaml;
  if (CLI_OUTDIR) writeManifests(manifests, CLI_OUTDIR, { yaml });
  // Files that did not change are linked from the current dist/, not written again.
  publish(DIST, (dir) => writeManifests(manifests, dir, { yaml, previous: DIST }));
  cache?.save();
  for (const warning of config.warnings) console.error(`warning: ${warning}`);
  if (upgrade) console.error(`warning: ${upgrade}`);
} catch (err) {
  // A bad configuration or an unwritable dist/ is the user's to fix: print what to do, not a stack trace.
  console.error(err instanceof ConfigError || err instanceof OutputError ? err.message : err);
  process.exitCode = 1;
}
