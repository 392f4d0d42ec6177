/**
 * Jest's own runtime, with one change: each worker compiles modules through a CodeCache
 * (test/support/code-cache.cjs), so that a test file runs the modules an earlier file ran from
 * V8's code cache, without compiling them again.
 *
 * That was about a quarter of the CPU of a small test file: Jest compiles cdk8s, the 2.7 MB of
 * cdk8s-plus-28's classes, the generated CRD classes, yaml and its own matchers again for each.
 * Loading, isolation and module registries stay Jest's: every test file still gets fresh module
 * instances. Should Jest stop compiling through vm.compileFunction, this only stops helping. The
 * scripts' text differs from the modules' by the function wrapper, so V8 coverage (which the
 * suite does not use) would be off by it.
 */
const vm = require('node:vm');
const Runtime = require('jest-runtime').default;
const { CodeCache } = require('./code-cache.cjs');

const cache = new CodeCache(vm.compileFunction);
vm.compileFunction = (code, params, options) => cache.compile(code, params, options);

class CodeCacheRuntime extends Runtime {
  /** After each test file: keep the caches of what it compiled, now that it has run. */
  teardown() {
    super.teardown();
    cache.harvest();
  }
}

module.exports = CodeCacheRuntime;
