import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { Yaml } from 'cdk8s';

/** Renders one manifest object as the YAML text of its file. */
export type RenderYaml = (object: object) => string;

/** How cdk8s writes an object: the text of every manifest in dist/. */
export const renderYaml: RenderYaml = (object) => Yaml.stringify(object);

/**
 * The YAML text of each manifest object of the last synth, keyed by the object's JSON, so that a
 * synth renders afresh only the objects that changed: rendering every object took about a third
 * of a synth's own work, and an edit changes a few of them.
 *
 * The text is a function of the object and of the code that renders it. The cache file therefore
 * starts with the identity of that code (`codeKey`: the bundle's size, modification time and
 * inode, and the Node version), and a cache written by other code is ignored. An object is cached
 * only when its JSON tells it apart from every other value (see {@link exactJson}), and never when
 * it is a Secret. The file keeps the objects of the last run alone, so it never grows.
 */
export class YamlCache {
  /**
   * The cache kept in `file` for code identified by `codeKey`. A missing, unreadable or foreign
   * file gives an empty cache: it only costs time.
   */
  static open(file: string, codeKey: string, render: RenderYaml = renderYaml): YamlCache {
    let previous = new Map<string, string>();
    try {
      const text = readFileSync(file, 'utf8');
      const newline = text.indexOf('\n');
      if (text.slice(0, newline) === codeKey) {
        const entries: unknown = JSON.parse(text.slice(newline + 1));
        if (Array.isArray(entries) && entries.every(isEntry)) previous = new Map(entries);
      }
    } catch {
      // No cache yet, or one cut short: start empty.
    }
    return new YamlCache(file, codeKey, previous, render);
  }

  private readonly used = new Map<string, string>();

  private constructor(
    private readonly file: string,
    private readonly codeKey: string,
    private readonly previous: ReadonlyMap<string, string>,
    private readonly render: RenderYaml,
  ) {}

  /** The YAML text of `object`: the cached one when the same object was rendered last time. */
  readonly yaml: RenderYaml = (object) => {
    // A Secret (written only in inline mode) is never cached: its values stay out of build/.
    const json = (object as { kind?: unknown }).kind === 'Secret' ? undefined : exactJson(object);
    if (json === undefined) return this.render(object);
    const text = this.used.get(json) ?? this.previous.get(json) ?? this.render(object);
    this.used.set(json, text);
    return text;
  };

  /** Writes the objects rendered since `open` unless they are exactly the cached ones. */
  save(): void {
    const same = this.used.size === this.previous.size && [...this.used.keys()].every((k) => this.previous.has(k));
    if (same) return;
    try {
      // Written aside and renamed, so a run beside this one never reads half a file.
      const partial = `${this.file}.${process.pid}`;
      writeFileSync(partial, `${this.codeKey}\n${JSON.stringify([...this.used])}`);
      renameSync(partial, this.file);
    } catch {
      // A cache that cannot be written only costs time.
    }
  }
}

/**
 * The identity of the code in `file` for a {@link YamlCache}: its size, modification time and
 * inode, and the Node version. Undefined unless `file` is a bundle (`.js`): run from TypeScript
 * sources, the file that runs is not all of the code that renders.
 */
export function bundleKey(file: string): string | undefined {
  if (!file.endsWith('.js')) return undefined;
  const { size, mtimeMs, ino } = statSync(file);
  return `${size}:${mtimeMs}:${ino}:${process.version}`;
}

/**
 * The JSON text of `object`, or undefined when it holds a value that JSON does not tell apart
 * from another one but YAML does: `undefined` (a missing key in JSON, `null` in cdk8s's YAML),
 * `-0`, `NaN` and the infinities, an object other than a plain object or array (a `Date` turns
 * into the same JSON as its ISO string), or one with a `toJSON()` method. For strings, finite
 * numbers, booleans, null, arrays and plain objects, equal JSON means equal values in the same key
 * order, so the same YAML.
 */
export function exactJson(object: object): string | undefined {
  let exact = true;
  const json = JSON.stringify(object, function (this: Record<string, unknown>, key: string, value: unknown) {
    // `this[key]` is the value before JSON.stringify called any toJSON() on it.
    const original = this[key];
    if (!isExact(original)) exact = false;
    return value;
  });
  return exact ? json : undefined;
}

/** A cache entry as save() writes it: [JSON, YAML]. */
function isEntry(entry: unknown): entry is [string, string] {
  return Array.isArray(entry) && entry.length === 2 && entry.every((part) => typeof part === 'string');
}

function isExact(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      // JSON writes what toJSON() returns instead of the object itself.
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
      if (Array.isArray(value)) return true;
      const prototype: unknown = Object.getPrototypeOf(value);
      return prototype === Object.prototype || prototype === null;
    }
    default:
      return false;
  }
}
