// The fast loop, measured in one run on this machine against the time to load cdk8s-plus-28:
//   - `npm run synth`, end to end as a user types it (median of interleaved runs): run again on an
//     unchanged configuration, and after an edit of it (the time zone, which changes the
//     workloads), since synth reuses the YAML of unchanged objects; and the part of it that any
//     npm script costs (npm start-up and an empty node process);
//   - `npm test`, the whole suite;
//   - `.ci/run` without its `npm ci` (with --ci; it takes about a minute).
// Usage: npm run bench [-- --runs=N] [-- --ci]. Prints each time, its ratio and its target.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, buildApps, buildLib } from './build.cjs';

const { values: options } = parseArgs({
  options: { runs: { type: 'string', default: '11' }, ci: { type: 'boolean', default: false } },
});
const runs = Number(options.runs);
const TARGETS = { synth: 2, test: 30 };
const CI_BUDGET_S = 60;

// Synth runs in a scratch project (sources linked, config copied) so the committed dist/ stays
// as it is. Every command runs with the same clean environment: variables such as TZ or
// IMMICH_VERSION would change the output, and others cost every node process time (loading
// NODE_EXTRA_CA_CERTS takes about 40 ms), which would skew one measurement against another.
const scratch = mkdtempSync(join(tmpdir(), 'immich-k8s-bench-'));
for (const entry of ['main.ts', 'src', 'imports', 'scripts', 'build', 'node_modules', 'package-lock.json']) {
  symlinkSync(join(ROOT, entry), join(scratch, entry));
}
for (const entry of ['package.json', 'config']) cpSync(join(ROOT, entry), join(scratch, entry), { recursive: true });
const env = { PATH: process.env.PATH, HOME: process.env.HOME };

/** Switches the scratch configuration to the other of two time zones: an edit before each run. */
const exampleFile = join(scratch, 'config', 'example.yaml');
const example = readFileSync(exampleFile, 'utf8');
if (!/^timezone: UTC$/m.test(example)) throw new Error(`${exampleFile} no longer sets timezone: UTC`);
let zone = 'UTC';
const editConfig = () => {
  zone = zone === 'UTC' ? 'Europe/Berlin' : 'UTC';
  writeFileSync(exampleFile, example.replace(/^timezone: UTC$/m, `timezone: ${zone}`));
};

const commands = {
  'npm run synth': { command: 'npm', args: ['run', '--silent', 'synth'], cwd: scratch, env },
  'npm run synth, after an edit': {
    command: 'npm',
    args: ['run', '--silent', 'synth'],
    cwd: scratch,
    env,
    before: editConfig,
  },
  "require('cdk8s-plus-28')": { command: process.execPath, args: ['-e', "require('cdk8s-plus-28')"], cwd: ROOT, env },
  // What any npm script costs before it does anything: npm's start-up plus an empty node process.
  'npm run (empty node)': { command: 'npm', args: ['run', '--silent', 'bench:floor'], cwd: scratch, env },
};

function seconds({ command, args, cwd, env: environment, before }) {
  before?.();
  const start = process.hrtime.bigint();
  const result = spawnSync(command, args, { cwd, env: environment, stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${result.stderr}`);
  return elapsed;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const verdict = (ratio, target) =>
  `${ratio.toFixed(2)}x (target <= ${target}x: ${ratio <= target ? 'met' : 'NOT met'})`;

try {
  // Measure the loop with nothing to rebuild, as after any earlier synth or test run.
  await buildApps();
  buildLib();
  const samples = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  for (const command of Object.values(commands)) seconds(command); // warm the file cache
  for (let i = 0; i < runs; i++) {
    for (const [name, command] of Object.entries(commands)) samples[name].push(seconds(command));
  }
  const synth = median(samples['npm run synth']);
  const edited = median(samples['npm run synth, after an edit']);
  const library = median(samples["require('cdk8s-plus-28')"]);
  const floor = median(samples['npm run (empty node)']);
  const test = seconds({ command: 'npm', args: ['test', '--silent'], cwd: ROOT, env });

  console.log(`node ${process.version}; medians of ${runs} interleaved runs; npm test run once`);
  console.log(`require('cdk8s-plus-28') alone: ${(library * 1000).toFixed(0)} ms`);
  console.log(
    `npm run synth:                  ${(synth * 1000).toFixed(0)} ms, ${verdict(synth / library, TARGETS.synth)}`,
  );
  console.log(
    `  after an edit of the config:  ${(edited * 1000).toFixed(0)} ms, ${verdict(edited / library, TARGETS.synth)}`,
  );
  const share = (seconds) => `${(seconds * 1000).toFixed(0)} ms (${(seconds / library).toFixed(2)}x)`;
  console.log(`  npm start-up and an empty node: ${share(floor)}; synth's own work: ${share(synth - floor)}`);
  console.log(`npm test:                       ${test.toFixed(1)} s, ${verdict(test / library, TARGETS.test)}`);
  if (options.ci) {
    const ci = seconds({
      command: 'bash',
      args: ['.ci/run'],
      cwd: ROOT,
      env: { ...env, CI_SKIP_NPM_CI: '1' },
    });
    console.log(
      `.ci/run beyond npm ci:          ${ci.toFixed(1)} s (target <= ${CI_BUDGET_S} s: ${ci <= CI_BUDGET_S ? 'met' : 'NOT met'})`,
    );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
