// Measures a cold synth process against loading cdk8s-plus-28 alone, interleaved so that both
// see the same machine load. Usage: npm run bench [-- runs]; prints medians and their ratio.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[2] ?? 15);
const TARGET_RATIO = 1.5;

// Synth runs in a scratch folder so the committed dist/ is not rewritten.
const work = mkdtempSync(join(tmpdir(), 'immich-k8s-bench-'));
cpSync(join(root, 'config'), join(work, 'config'), { recursive: true });

const commands = {
  // A clean environment: variables such as TZ or IMMICH_VERSION would change the configuration.
  synth: { args: [join(root, 'build', 'main.js')], cwd: work, env: { PATH: process.env.PATH } },
  'require(cdk8s-plus-28)': { args: ['-e', "require('cdk8s-plus-28')"], cwd: root },
};

function timeOnce({ args, cwd, env }) {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed:\n${result.stderr}`);
  return ms;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

try {
  const samples = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  for (const command of Object.values(commands)) timeOnce(command); // warm the file cache
  for (let i = 0; i < runs; i++) {
    for (const [name, command] of Object.entries(commands)) samples[name].push(timeOnce(command));
  }
  const synth = median(samples.synth);
  const library = median(samples['require(cdk8s-plus-28)']);
  const ratio = synth / library;
  console.log(`runs: ${runs} each, interleaved, node ${process.version}`);
  console.log(`synth (node build/main.js):     median ${synth.toFixed(0)} ms`);
  console.log(`require('cdk8s-plus-28') alone: median ${library.toFixed(0)} ms`);
  console.log(`ratio: ${ratio.toFixed(2)}x (target <= ${TARGET_RATIO}x: ${ratio <= TARGET_RATIO ? 'met' : 'NOT met'})`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
