/**
 * Guards against output the API server rewrites, which makes every apply change the object again
 * (permanent drift under Argo CD's server-side diff): empty lists, which the server drops, and
 * quantities that are not strings in canonical form, which it rewrites.
 */
import { QUANTITY, canonicalQuantity } from '../../src/lib/quantity';

/** Keys whose value is one quantity. */
const QUANTITY_KEYS = new Set(['sizeLimit', 'cacheCapacity', 'capacity']);
/** Keys whose value is a map of resource name to quantity. */
const QUANTITY_MAPS = new Set(['requests', 'limits', 'capacity']);
/** Keys whose `size` is a quantity (CloudNativePG storage). */
const SIZED = new Set(['storage', 'walStorage']);

type Obj = { kind: string; metadata: { name: string } };

/** Every empty list and non-canonical quantity in the objects, as `<Kind>/<name>: <path>: <problem>`. */
export function driftProblems(objects: readonly Obj[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const report = (path: string, problem: string) =>
      problems.push(`${object.kind}/${object.metadata.name}: ${path}: ${problem}`);
    walk(object, '', undefined, report);
  }
  return problems;
}

function walk(value: unknown, path: string, key: string | undefined, report: (p: string, m: string) => void): void {
  if (Array.isArray(value)) {
    if (value.length === 0) report(path, 'empty list (the API server drops it)');
    value.forEach((item, i) => walk(item, `${path}[${i}]`, undefined, report));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [child, inner] of Object.entries(value)) {
    const childPath = path ? `${path}.${child}` : child;
    const isQuantity =
      (QUANTITY_KEYS.has(child) && typeof inner !== 'object') ||
      (key !== undefined && QUANTITY_MAPS.has(key) && typeof inner !== 'object') ||
      (child === 'size' && key !== undefined && SIZED.has(key));
    if (isQuantity) checkQuantity(inner, childPath, report);
    else walk(inner, childPath, child, report);
  }
}

function checkQuantity(value: unknown, path: string, report: (p: string, m: string) => void): void {
  if (typeof value !== 'string') {
    report(path, `quantity ${JSON.stringify(value)} is not a string (the server returns "${String(value)}")`);
  } else if (!QUANTITY.test(value)) {
    report(path, `"${value}" is not a quantity`);
  } else if (canonicalQuantity(value) !== value) {
    report(path, `quantity "${value}" is not canonical (the server returns "${canonicalQuantity(value)}")`);
  }
}

/** Throws with every drift problem of the objects; synth helpers call it on everything they render. */
export function assertNoDrift(objects: readonly Obj[]): void {
  const problems = driftProblems(objects);
  if (problems.length > 0) throw new Error(`output the API server would rewrite:\n  ${problems.join('\n  ')}`);
}
