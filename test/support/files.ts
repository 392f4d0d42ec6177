import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ROOT } from './synth';

/** What `npm run synth` runs: the bundled app (built by the jest global setup) through its code cache. */
const RUN = join(ROOT, 'scripts', 'run.cjs');

/** Runs the app as `npm run synth` does, in a scratch folder holding config/ and dist/. */
export function runSynth(cwd: string, env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [RUN, 'main'], {
    cwd,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  return { status: result.status, stderr: result.stderr };
}

/** Paths of every file below a folder, relative to it, sorted. */
export function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

/** Every file below a folder with its bytes, to compare trees exactly. */
export function snapshotDir(dir: string): Record<string, string> {
  return Object.fromEntries(filesBelow(dir).map((f) => [f, readFileSync(join(dir, f), 'base64')]));
}

/** The objects of every YAML file below a folder, with the file each came from. */
export function readManifests(dir: string): { file: string; object: any }[] {
  return filesBelow(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((file) => ({ file, object: parse(readFileSync(join(dir, file), 'utf8')) }));
}
