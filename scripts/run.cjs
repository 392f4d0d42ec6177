// Runs one of the app's bundles in this process, rebuilding it first only when a source changed:
// `node scripts/run.cjs main` is `npm run synth`, `node scripts/run.cjs immich-config` the config CLI.
// CommonJS on purpose: Node starts it about 6 ms faster than an ES module, on every synth.
const { isAscii } = require('node:buffer');
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');
const { APPS, ROOT, buildApps } = require('./build.cjs');

/**
 * Runs a CommonJS bundle as `require` would, with a V8 code cache taken at exit: it holds every
 * function the run compiled, so the next run compiles none of them again (Node 20 has no built-in
 * compile cache). The cache is stored with the size, modification time and inode of the bundle it
 * was made from and used only for that very file (hashing 1.5 MB would cost more than a stat);
 * V8 also rejects it for another engine, and then a new one is written.
 */
function runBundle(file) {
  const bytes = readFileSync(file);
  // ASCII decodes the same either way; as Latin-1, 4 ms faster than UTF-8.
  const source = isAscii(bytes) ? bytes.latin1Slice() : bytes.utf8Slice();
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
  const bundle = { exports: {} };
  script.runInThisContext()(bundle.exports, createRequire(file), bundle, file, dirname(file));
}

const name = process.argv[2];
if (!Object.hasOwn(APPS, name)) {
  console.error(`usage: node scripts/run.cjs <${Object.keys(APPS).join('|')}>`);
  process.exit(2);
}
buildApps().then(
  () => runBundle(join(ROOT, 'build', `${name}.js`)),
  (err) => {
    console.error(err);
    process.exitCode = 1;
  },
);
