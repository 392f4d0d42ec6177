/**
 * Jest's own runtime, with one change: each worker keeps the V8 code cache of every module it
 * compiles and hands it back when the next test file compiles the same source.
 *
 * Jest compiles every module again for each test file (cdk8s, the 2.7 MB of cdk8s-plus-28's
 * classes, the generated CRD classes, yaml, its own matchers), which was about a quarter of the
 * CPU of a small test file. A cache is used only for the file it was made from and only while
 * its source text is exactly the same; V8 also checks it against its own version and flags.
 * Loading, isolation and module registries stay Jest's: every test file still gets fresh module
 * instances. Should Jest stop compiling through `vm.compileFunction`, this only stops helping.
 */
const vm = require('node:vm');
const Runtime = require('jest-runtime').default;

/** By file name: the source compiled and the cache V8 made of it. */
const caches = new Map();
const compileFunction = vm.compileFunction;

vm.compileFunction = function compileWithCache(code, params, options = {}) {
  const cached = caches.get(options.filename);
  const cachedData = cached?.code === code ? cached.data : undefined;
  const fn = compileFunction.call(this, code, params, { ...options, cachedData, produceCachedData: !cachedData });
  if (cachedData && fn.cachedDataRejected) caches.delete(options.filename);
  else if (!cachedData && fn.cachedDataProduced) caches.set(options.filename, { code, data: fn.cachedData });
  return fn;
};

module.exports = Runtime;
