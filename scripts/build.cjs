// Builds what the project runs, each part only when one of its inputs changed since it was built:
// - build/main.js, immich-config.js and reference.js: the app, the config CLI and the writer of
//   the configuration's reference, bundled by esbuild;
// - lib/: the package's JavaScript and type declarations (tsc --build), for other cdk8s apps
//   and the immich-k8s command;
// - the configuration's reference (schema/, docs/configuration.md), committed like dist/.
// `node scripts/build.cjs` builds all three (npm runs it as `prepare`, after `npm ci`).
// CommonJS, like scripts/run.cjs, which loads it on every synth: Node starts CommonJS faster.
const { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { join, sep } = require('node:path');

const ROOT = join(__dirname, '..');

/**
 * The bundles `npm run synth`, `npm run immich-config` and `npm run reference` run, by entry point.
 */
const APPS = { main: 'main.ts', 'immich-config': 'src/immich-config-cli.ts', reference: 'scripts/reference/main.ts' };

/** Every file a build reads: sources, generated classes, locked dependencies and this script. */
function inputs(extra) {
  const files = ['main.ts', 'package-lock.json', 'scripts/build.cjs', ...extra].map((f) => join(ROOT, f));
  // A walk by hand: readdirSync's `recursive` option costs about 1 ms more, on every synth.
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) files.push(path);
    }
  };
  walk(join(ROOT, 'src'));
  walk(join(ROOT, 'imports'));
  walk(join(ROOT, 'scripts', 'reference'));
  return files;
}

/** True when any of `outputs` is missing or older than any input (read once for all of them). */
function stale(outputs, extra = []) {
  let built = Infinity;
  for (const output of outputs) {
    const stats = statSync(join(ROOT, output), { throwIfNoEntry: false });
    if (!stats) return true;
    built = Math.min(built, stats.mtimeMs);
  }
  return inputs(extra).some((f) => statSync(f).mtimeMs > built);
}

/**
 * The app uses only the generated Kubernetes classes of cdk8s-plus-28 (`k8s`); its index also
 * loads every higher-level construct. The bundle takes `k8s` alone, so each synth loads less.
 */
const k8sOnly = {
  name: 'cdk8s-plus-28-k8s-only',
  setup(build) {
    build.onResolve({ filter: /^cdk8s-plus-28$/ }, () => ({ path: 'k8s', namespace: 'k8s-only' }));
    build.onLoad({ filter: /.*/, namespace: 'k8s-only' }, () => ({
      contents: "export * as k8s from 'cdk8s-plus-28/lib/imports/k8s';",
      resolveDir: ROOT,
    }));
  },
};

/**
 * cdk8s ships its own copy of `yaml`. When it is the very version the app uses, the bundle holds
 * one copy instead of two (npm cannot dedupe a bundled dependency), so each synth loads it once.
 */
const oneYaml = {
  name: 'one-yaml',
  setup(build) {
    const version = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
    const ours = join(ROOT, 'node_modules', 'yaml');
    const cdk8s = join(ROOT, 'node_modules', 'cdk8s', 'node_modules', 'yaml');
    if (!existsSync(cdk8s) || version(cdk8s) !== version(ours)) return;
    build.onResolve({ filter: /^yaml$/ }, ({ importer }) =>
      importer.startsWith(join(ROOT, 'node_modules', 'cdk8s') + sep)
        ? { path: require.resolve('yaml', { paths: [ROOT] }) }
        : undefined,
    );
  },
};

/** Bundles the app and the config CLI unless they are up to date. Returns whether it built. */
async function buildApps() {
  if (!stale(Object.keys(APPS).map((name) => `build/${name}.js`))) return false;
  const { build } = require('esbuild');
  await build({
    absWorkingDir: ROOT,
    entryPoints: Object.entries(APPS).map(([out, entry]) => ({ in: entry, out })),
    bundle: true,
    platform: 'node',
    target: 'node20',
    outdir: 'build',
    plugins: [k8sOnly, oneYaml],
    // The reference reads the schema's doc comments with the TypeScript compiler, a 9 MB package.
    external: ['typescript'],
    // Without comments and indentation the bundle is a third smaller, and plain ASCII (esbuild
    // escapes every other character in code, not in comments), which run.cjs reads faster.
    minifyWhitespace: true,
    logLevel: 'warning',
  });
  return true;
}

/** Compiles lib/ (JavaScript and declarations) unless it is up to date. Returns whether it built. */
function buildLib() {
  // tsc rewrites only the files that changed, so a stamp marks the last complete build.
  const stamp = 'lib/.built';
  if (!stale([stamp], ['tsconfig.lib.json', 'tsconfig.imports.json'])) return false;
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  // Loaded here: child_process costs every synth, which never builds lib/, about 3 ms to load.
  const { spawnSync } = require('node:child_process');
  const result = spawnSync(process.execPath, [tsc, '--build', 'tsconfig.lib.json'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('tsc --build tsconfig.lib.json failed');
  for (const dir of ['src', 'imports']) pruneOutputs(join(ROOT, 'lib', dir), join(ROOT, dir));
  writeFileSync(join(ROOT, stamp), '');
  return true;
}

/**
 * Removes compiled files (`.js`, `.d.ts`) from `outDir` whose TypeScript source in `srcDir` is
 * gone. tsc never deletes them, and a stale `lib/src/x.js` would shadow a new `lib/src/x/index.js`
 * in every `require('./x')`, and would be packed. Returns the removed paths, relative to outDir.
 */
function pruneOutputs(outDir, srcDir) {
  if (!existsSync(outDir)) return [];
  const removed = [];
  for (const entry of readdirSync(outDir, { recursive: true, withFileTypes: true })) {
    const output = join(entry.parentPath, entry.name);
    const relativePath = output.slice(outDir.length + 1);
    const source = relativePath.replace(/(\.d\.ts|\.js)$/, '.ts');
    if (!entry.isFile() || source === relativePath || existsSync(join(srcDir, source))) continue;
    rmSync(output);
    removed.push(relativePath);
  }
  return removed;
}

/** The configuration's reference, written by the `reference` bundle and committed. */
const REFERENCE = ['schema/immich-k8s.schema.json', 'docs/configuration.md'];

/** Writes the reference unless it is up to date. Returns whether it wrote. */
function buildReference() {
  if (!stale(REFERENCE)) return false;
  const { spawnSync } = require('node:child_process');
  const result = spawnSync(process.execPath, [join(ROOT, 'build', 'reference.js')], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('writing the configuration reference failed');
  return true;
}

module.exports = { ROOT, APPS, buildApps, buildLib, buildReference, pruneOutputs };

if (require.main === module) {
  buildApps()
    .then(() => buildLib())
    .then(() => buildReference())
    .catch((err) => {
      console.error(err);
      process.exitCode = 1;
    });
}
