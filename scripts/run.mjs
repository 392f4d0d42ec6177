// Runs one of the app's bundles in this process, rebuilding it first only when a source changed:
// `node scripts/run.mjs main` is `npm run synth`, `node scripts/run.mjs immich-config` the config CLI.
import { Buffer } from 'node:buffer';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { APPS, ROOT, buildApps } from './build.mjs';

/**
 * Runs a CommonJS bundle as `require` would, with a V8 code cache taken at exit: it holds every
 * function the run compiled, so the next run compiles none of them again (Node 20 has no built-in
 * compile cache). The cache is stored with the size, modification time and inode of the bundle it
 * was made from and used only for that very file (hashing 1.5 MB would cost more than a stat);
 * V8 also rejects it for another engine, and then a new one is written.
 */
function runBundle(file) {
  const source = readFileSync(file, 'utf8');
  const { size, mtimeMs, ino } = statSync(file);
  const key = Buffer.from(`${size}:${mtimeMs}:${ino}\n`);
  const cacheFile = `${file}.v8cache`;
  let cachedData;
  try {
    const cache = readFileSync(cacheFile);
    if (key.equals(cache.subarray(0, key.length))) cachedData = cache.subarray(key.length);
  } catch {
    // No cache yet.
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new Script(wrapper, { filename: file, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        // Written aside and renamed, so a run beside this one never reads half a cache.
        const partial = `${cacheFile}.${process.pid}`;
        writeFileSync(partial, Buffer.concat([key, script.createCachedData()]));
        renameSync(partial, cacheFile);
      } catch {
        // A cache that cannot be written only costs time.
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file));
}

const name = process.argv[2];
if (!Object.hasOwn(APPS, name)) {
  console.error(`usage: node scripts/run.mjs <${Object.keys(APPS).join('|')}>`);
  process.exit(2);
}
await buildApps();
runBundle(join(ROOT, 'build', `${name}.js`));
