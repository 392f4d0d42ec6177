import type { Context, compileFunction } from 'node:vm';

/** A compiled module body, as vm.compileFunction returns it. */
type Compiled = ((...args: unknown[]) => unknown) & { cachedDataRejected?: boolean };

/** See code-cache.cjs. */
export declare class CodeCache {
  constructor(original?: typeof compileFunction);
  compile(
    code: string,
    params: string[],
    options?: { filename?: string; parsingContext?: Context; [option: string]: unknown },
  ): Compiled;
  harvest(): void;
}
