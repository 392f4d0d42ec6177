/**
 * V8 code caches of compiled CommonJS module bodies, by file name, for the suite's Jest runtime
 * (test/support/code-cache-runtime.cjs).
 *
 * Jest compiles every module again for each test file. A cache taken when a module is compiled
 * holds only its top-level code; one taken after a test file ran it also holds every function the
 * file called, which V8 would otherwise compile again, lazily, in each file. So a module is
 * compiled as a script (which can make a cache at any time, unlike vm.compileFunction) and its
 * cache is taken at the end of the first test file that compiled it (`harvest`). A cache is used
 * only for the file it was made from and only while its source text is exactly the same; V8 also
 * checks it against its own version and flags.
 */
const vm = require('node:vm');

/** The options Jest gives vm.compileFunction; a call with any other goes to Node's own. */
const JEST_OPTIONS = new Set(['filename', 'parsingContext', 'importModuleDynamically']);

class CodeCache {
  /** By file name: the source compiled and the cache V8 made of it after it ran. */
  #caches = new Map();
  /** Scripts compiled without a cache since the last harvest. */
  #pending = [];
  #compileFunction;

  /** @param compileFunction Node's vm.compileFunction, for the calls this cache leaves to it. */
  constructor(compileFunction = vm.compileFunction) {
    this.#compileFunction = compileFunction;
  }

  /**
   * Compiles `code` as the body of a function taking `params`, as vm.compileFunction does, from
   * the cache of the same source under the same file name if there is one. Like
   * vm.compileFunction, sets `cachedDataRejected` on the function when a cache was offered.
   */
  compile(code, params, options = {}) {
    if (Object.keys(options).some((option) => !JEST_OPTIONS.has(option))) {
      return this.#compileFunction(code, params, options);
    }
    const { filename, parsingContext, importModuleDynamically } = options;
    const cached = this.#caches.get(filename);
    const cachedData = cached?.code === code ? cached.data : undefined;
    // The wrapper's opening is a line of its own, taken back by lineOffset: line and column
    // numbers in stack traces stay the module's own.
    const script = new vm.Script(`(function (${params.join(', ')}) {\n${code}\n})`, {
      filename,
      lineOffset: -1,
      cachedData,
      importModuleDynamically,
    });
    if (!cachedData || script.cachedDataRejected) this.#pending.push({ filename, code, script });
    const fn = parsingContext ? script.runInContext(parsingContext) : script.runInThisContext();
    if (cachedData) fn.cachedDataRejected = script.cachedDataRejected;
    return fn;
  }

  /** Takes the cache of every script compiled since the last harvest, with all it has run. */
  harvest() {
    for (const { filename, code, script } of this.#pending) {
      this.#caches.set(filename, { code, data: script.createCachedData() });
    }
    this.#pending = [];
  }
}

module.exports = { CodeCache };
