/**
 * The suite runs on test/support/code-cache-runtime.cjs: a module compiled again gets the code
 * cache of its earlier compile, and only when its source is exactly the same.
 */
import vm from 'node:vm';

const compile = (code: string, filename: string) => vm.compileFunction(code, [], { filename });

test('the same source compiled again runs from the cache made of it', () => {
  const first = compile('return 40 + 2;', '/virtual/same.js');
  const second = compile('return 40 + 2;', '/virtual/same.js');
  expect(first.cachedDataRejected).toBeUndefined(); // no cache offered
  expect(second.cachedDataRejected).toBe(false); // a cache offered and taken
  expect(second()).toBe(42);
});

test('a changed source under the same name is compiled without the old cache', () => {
  compile('return 1;', '/virtual/changed.js');
  const changed = compile('return 2;', '/virtual/changed.js');
  expect(changed.cachedDataRejected).toBeUndefined();
  expect(changed()).toBe(2);
});
