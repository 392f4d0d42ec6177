/**
 * The suite runs on test/support/code-cache-runtime.cjs: a module compiled again gets the code
 * cache made after its first test file ran it, and only when its source is exactly the same.
 */
import vm from 'node:vm';
import { CodeCache } from './support/code-cache.cjs';

test('the same source compiled again runs from the cache made after the first one ran', () => {
  const cache = new CodeCache();
  const first = cache.compile('return a + b;', ['a', 'b'], { filename: '/virtual/same.js' });
  expect(first.cachedDataRejected).toBeUndefined(); // no cache yet
  expect(first(40, 2)).toBe(42);
  // Before the harvest, there is still none to offer.
  expect(
    cache.compile('return a + b;', ['a', 'b'], { filename: '/virtual/same.js' }).cachedDataRejected,
  ).toBeUndefined();
  cache.harvest();
  const second = cache.compile('return a + b;', ['a', 'b'], { filename: '/virtual/same.js' });
  expect(second.cachedDataRejected).toBe(false); // a cache offered and taken
  expect(second(40, 2)).toBe(42);
});

test('a changed source under the same name is compiled without the old cache', () => {
  const cache = new CodeCache();
  cache.compile('return 1;', [], { filename: '/virtual/changed.js' });
  cache.harvest();
  const changed = cache.compile('return 2;', [], { filename: '/virtual/changed.js' });
  expect(changed.cachedDataRejected).toBeUndefined();
  expect(changed()).toBe(2);
});

test("stack traces give the module's own line and column numbers", () => {
  // V8 places an error where it is made: `new` on line 3, column 9.
  const fn = new CodeCache().compile('"use strict";\nconst x = 1;\n  throw new Error("at line 3, column 9");', [], {
    filename: '/virtual/lines.js',
  });
  expect(() => fn()).toThrow(expect.objectContaining({ stack: expect.stringContaining('/virtual/lines.js:3:9') }));
});

test('the function is made in the parsing context, and is strict when the module says so', () => {
  const context = vm.createContext({ marker: 7 });
  const fn = new CodeCache().compile('"use strict";\nreturn [marker, this];', [], {
    filename: '/virtual/context.js',
    parsingContext: context,
  });
  expect(fn()).toEqual([7, undefined]);
});

test("options Jest does not give go to Node's own vm.compileFunction", () => {
  const original = jest.fn(vm.compileFunction);
  const fn = new CodeCache(original).compile('return answer;', [], {
    filename: '/virtual/extended.js',
    contextExtensions: [{ answer: 42 }],
  });
  expect(original).toHaveBeenCalledTimes(1);
  expect(fn()).toBe(42);
});
