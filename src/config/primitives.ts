/** Building blocks of the configuration schema: patterns, strict sections and typed leaves. */
import * as v from 'valibot';
import { QUANTITY, canonicalQuantity, quantityValue } from '../lib/quantity';

/** RFC 1123 DNS name with at least two labels, e.g. `photos.example.com`. */
export const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;
/** RFC 1123 label: namespaces, Secret, PVC and runtime class names. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain: one or more labels, as for StorageClass names. */
export const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
/** Lower-case SQL identifier accepted by the postgres image's init scripts. */
export const SQL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
/** Go duration as used by operators, e.g. `1h`, `15m`, `1h30m`. */
export const DURATION = /^(\d+(h|m|s))+$/;
/** Standard base64, as printed by `kubeseal --raw`. */
export const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Shortest plausible `kubeseal --raw` output (a 2048-bit sealed session key alone is 256 bytes). */
export const SEALED_MIN_LENGTH = 344;
/** Label key: optional DNS prefix, then a name of at most 63 characters. */
export const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** Label value: empty or at most 63 alphanumerics with `-`, `_`, `.` inside. */
export const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** Five-field cron expression as Immich's scheduler takes it, e.g. `0 02 * * *`. */
export const CRON = /^\S+( \S+){4}$/;
/** A pinned Immich release tag. */
export const RELEASE_TAG = /^v(\d+)\.(\d+)\.(\d+)$/;
/** Tags that move; allowed only with `immich.allowFloatingTag`. */
export const FLOATING_TAG = /^(release|latest|v\d+(\.\d+)?)$/;

/** What parsed of a section so far: every key may be missing. */
export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** An object that rejects unknown keys and lists the allowed ones (loading adds a suggestion). */
export function strict<const E extends v.ObjectEntries>(entries: E) {
  const allowed = Object.keys(entries).join(', ');
  return v.strictObject(entries, (issue) => {
    if (issue.expected === 'never') return `allowed keys here: ${allowed}`;
    if (issue.input === undefined) return 'required';
    return `must be a mapping with keys ${allowed}`;
  });
}

/** What schemaShapes reads of a valibot schema. */
interface SchemaNode {
  readonly type: string;
  readonly entries?: Readonly<Record<string, SchemaNode>>;
  readonly wrapped?: SchemaNode;
  readonly options?: readonly SchemaNode[];
  readonly item?: SchemaNode;
  readonly value?: SchemaNode;
}

/** What a schema takes at a key path: a mapping of known keys, a map of any keys, a list or a scalar. */
export type Shape = 'object' | 'record' | 'list' | 'scalar';

/** The schemas a node stands for: through wrappers such as `optional`, and every option of a variant or union. */
function concrete(node: SchemaNode): SchemaNode[] {
  while (node.wrapped) node = node.wrapped;
  return node.type === 'variant' || node.type === 'union' ? (node.options ?? []).flatMap(concrete) : [node];
}

function shapeOf(node: SchemaNode): Shape {
  if (node.type.endsWith('object')) return 'object';
  return node.type === 'record' ? 'record' : node.type === 'array' ? 'list' : 'scalar';
}

/** The schema of a key of an object, an item of a list or a value of a map. */
function childOf(node: SchemaNode, key: string): SchemaNode | undefined {
  if (node.type.endsWith('object')) return node.entries?.[key];
  return node.type === 'array' ? node.item : node.type === 'record' ? node.value : undefined;
}

/**
 * Every key path a schema accepts, with the shape of its value, read from the schema objects so
 * that no list of keys is kept by hand: through optional sections, pipes (which keep their first
 * schema's entries) and every option of a variant or union. `*` stands for any index of a list or
 * key of a map; the root's path is empty. Paths are joined with ".", which no key of ours holds.
 */
export function schemaShapes(schema: v.GenericSchema): ReadonlyMap<string, { path: string[]; shape: Shape }> {
  const found = new Map<string, { path: string[]; shape: Shape }>();
  const walk = (node: SchemaNode, path: string[]): void => {
    for (const each of concrete(node)) {
      const shape = shapeOf(each);
      const joined = path.join('.');
      // Where options differ, a mapping or list is what matters: a scalar cannot hide another shape.
      if ((found.get(joined)?.shape ?? 'scalar') === 'scalar') found.set(joined, { path, shape });
      for (const [key, child] of Object.entries(each.entries ?? {})) walk(child, [...path, key]);
      const below = shape === 'list' ? each.item : shape === 'record' ? each.value : undefined;
      if (below) walk(below, [...path, '*']);
    }
  };
  walk(schema, []);
  return found;
}

/**
 * Replaces with null each list of the input where the schema wants a mapping, so that the schema
 * reports it with its own message, and returns those lists by key path. Valibot reads a list as the
 * mapping of its indexes: `labels: [a, b]` would pass as `{ "0": a, "1": b }`. Walks the input
 * alongside the schema, which costs far less than reading the whole schema on every synth.
 */
export function takeListsOutOfMappings(schema: v.GenericSchema, input: object): Map<string, unknown[]> {
  const lists = new Map<string, unknown[]>();
  const walk = (value: Record<string, unknown>, nodes: readonly SchemaNode[], keys: readonly string[]) => {
    for (const [key, child] of Object.entries(value)) {
      if (child === null || typeof child !== 'object') continue;
      const below = nodes.flatMap((node) => {
        const next = childOf(node, key);
        return next ? concrete(next) : [];
      });
      const shapes = below.map(shapeOf);
      if (Array.isArray(child) && !shapes.includes('list') && shapes.some((s) => s === 'object' || s === 'record')) {
        lists.set([...keys, key].join('.'), child);
        value[key] = null;
      } else if (below.length > 0) walk(child as Record<string, unknown>, below, [...keys, key]);
    }
  };
  walk(input as Record<string, unknown>, concrete(schema), []);
  return lists;
}

/** An optional section whose own keys take their defaults when it is left out. */
export function section<const E extends v.ObjectEntries>(entries: E) {
  // Every key of a section is optional, so `{}` is a valid input; the cast tells the type system.
  return v.optional(strict(entries), {} as never);
}
/** Reports a problem at a key path below the section being checked. */
export type Report = (keys: readonly [string, ...string[]], input: unknown, message: string) => void;
/** A section with a check across its keys, run once all of them are valid. */
export function checkedSection<const E extends v.ObjectEntries>(
  entries: E,
  check: (value: v.InferOutput<ReturnType<typeof strict<E>>>, report: Report) => void,
) {
  const checked = v.pipe(
    strict(entries),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const root = dataset.value;
      check(root, ([first, ...rest], input, message) => {
        const item = (key: string): v.IssuePathItem => ({
          type: 'object',
          origin: 'value',
          input: root,
          key,
          value: input,
        });
        addIssue({ message, input, path: [item(first), ...rest.map(item)] });
      });
    }),
  );
  return v.optional(checked, {} as never);
}
export const text = (pattern: RegExp, message: string) =>
  v.pipe(v.string('must be a string'), v.regex(pattern, message));
export const dnsName = (example: string) => text(DNS_NAME, `must be a lower-case DNS name like "${example}"`);
export const dnsLabel = (example: string) => text(DNS_LABEL, `must be a lower-case DNS label like "${example}"`);
export const dnsSubdomain = (example: string) => text(DNS_SUBDOMAIN, `must be a lower-case DNS name like "${example}"`);
export const quantity = (example: string) => {
  const message = `must be a Kubernetes quantity like "${example}" (a number with an optional unit: Ki, Mi, Gi, Ti, Pi, Ei, m, k, M, G, T, P, E or an exponent like e3; no spaces)`;
  return v.pipe(
    // YAML reads `cpu: 2` as a number; Kubernetes takes both.
    v.union([v.string(), v.number()], message),
    v.transform(String),
    v.regex(QUANTITY, message),
    v.check((q) => quantityValue(q) > 0, 'must be greater than zero'),
    // The API server stores the canonical form; writing it keeps a second apply from changing anything.
    v.transform(canonicalQuantity),
  );
};
export const bool = () => v.boolean('must be true or false');
export const oneOf = <const T extends readonly string[]>(options: T) =>
  v.picklist(options, `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}`);
export const stringMap = v.record(v.string(), v.string('must be a string'), 'must be a mapping of strings');

export const timezone = v.pipe(
  v.string('must be a string'),
  v.check(isTimeZone, 'must be an IANA time zone like "Europe/Berlin" or "UTC"'),
  // Node accepts any case, but the containers' tz database does not.
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const problem = timeZoneSpellingProblem(dataset.value);
    if (problem) addIssue({ message: problem });
  }),
);

export const resources = (cpu: string, memory: string, memoryLimit: string) =>
  checkedSection(
    {
      /** Scheduling requests. */
      requests: section({
        /** CPU the scheduler reserves, e.g. `250m`. */
        cpu: v.optional(quantity('250m'), cpu),
        /** Memory the scheduler reserves, e.g. `512Mi`. */
        memory: v.optional(quantity('512Mi'), memory),
      }),
      /** Hard limits; CPU is unlimited unless set, memory always has a ceiling. */
      limits: section({
        /** CPU ceiling. @default none */
        cpu: v.optional(quantity('2')),
        /** Memory ceiling: above it the container is killed. */
        memory: v.optional(quantity('4Gi'), memoryLimit),
      }),
    },
    // The API accepts such a Deployment, but none of its pods could ever be created.
    ({ requests, limits }, report) => {
      for (const kind of ['cpu', 'memory'] as const) {
        const limit = limits[kind];
        if (limit !== undefined && quantityValue(requests[kind]) > quantityValue(limit)) {
          report(['requests', kind], requests[kind], `must not exceed the ${kind} limit "${limit}"`);
        }
      }
    },
  );

/** PersistentVolumeClaim access modes. */
export const ACCESS_MODES = ['ReadWriteOnce', 'ReadWriteMany', 'ReadOnlyMany', 'ReadWriteOncePod'] as const;

/** The keys of a volume: size, class and access modes. */
export const volumeEntries = (size: string) => ({
  /** Requested capacity. */
  size: v.optional(quantity('10Gi'), size),
  /** StorageClass; the cluster default when unset. */
  storageClass: v.optional(dnsSubdomain('local-path')),
  /** Access modes of the claim: ReadWriteMany where pods on several nodes mount it. @default ["ReadWriteOnce"] */
  accessModes: v.optional(
    v.pipe(v.array(oneOf(ACCESS_MODES), 'must be a list'), v.minLength(1, 'must name at least one access mode')),
    ['ReadWriteOnce'],
  ),
});

export const volume = (size: string) => section(volumeEntries(size));

export const toleration = v.pipe(
  strict({
    /** Taint key. @default every key (with operator `Exists`) */
    key: v.optional(v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'))),
    /** `Exists` tolerates any value of the key; `Equal` only `value`. */
    operator: v.optional(oneOf(['Exists', 'Equal'] as const), 'Exists'),
    /** Taint value, with operator `Equal`. */
    value: v.optional(v.string('must be a string')),
    /** Taint effect. @default every effect */
    effect: v.optional(oneOf(['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const)),
  }),
  v.check((t) => t.operator === 'Equal' || t.value === undefined, 'value is only allowed with operator "Equal"'),
);

export const absolutePath = text(/^\/.*/, 'must be an absolute path like "/volume1/photos"');

/** Labels: valid keys and values, possibly none. */
export const labels = (example: string) =>
  v.record(
    text(LABEL_KEY, 'must be a label key like "app.kubernetes.io/name"'),
    text(LABEL_VALUE, 'must be a label value (letters, digits, "-", "_", "."; at most 63)'),
    `must be a mapping of labels like { ${example} }`,
  );

export const labelSelector = (example: string) =>
  v.pipe(
    labels(example),
    // A built-in action rather than a check, so that the JSON Schema says it too (minProperties).
    v.minEntries(1, 'must name at least one label'),
  );

export const cidr = v.pipe(
  v.string('must be a string'),
  v.check(isCidr, 'must be an IPv4 or IPv6 CIDR like "10.0.0.0/8" or "::/0"'),
);
export const port = v.pipe(
  v.number('must be a port number'),
  v.integer('must be a port number'),
  v.minValue(1, 'must be between 1 and 65535'),
  v.maxValue(65535, 'must be between 1 and 65535'),
);

export function isCidr(value: string): boolean {
  const [address = '', prefix, ...rest] = value.split('/');
  if (prefix === undefined || rest.length > 0 || !/^\d{1,3}$/.test(prefix)) return false;
  const family = ipFamily(address);
  return family !== 0 && Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * 4 or 6 for an IP address as `net.isIP` accepts it, else 0. Node's check builds two large
 * regular expressions on first use (about 7 ms of every synth); the URL parser knows both
 * grammars natively. IPv4 must come back from it unchanged, since it also reads forms such as
 * "10.1" or octal parts, which are no IPv4 address to Kubernetes.
 */
export function ipFamily(address: string): 0 | 4 | 6 {
  try {
    if (/^\d+\.\d+\.\d+\.\d+$/.test(address)) return new URL(`http://${address}/`).hostname === address ? 4 : 0;
    if (/^[\da-f:.]*:[\da-f:.]*$/i.test(address)) return (new URL(`http://[${address}]/`), 6);
  } catch {
    // Not an address of that family.
  }
  return 0;
}

/**
 * Canonical zone names, spelled as in the tz database. Listing them is cheap, while a first
 * DateTimeFormat loads ICU's formatting data (tens of milliseconds of every synth); that slower
 * check is left for aliases such as "Etc/UTC" or "Asia/Kolkata", misspellings and invalid names.
 */
let canonicalZones: ReadonlySet<string> | undefined;
function isCanonicalZone(value: string): boolean {
  // ICU's list names no UTC zone at all; UTC is the example's zone, so it stays on the fast path.
  canonicalZones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
  return canonicalZones.has(value);
}

/** Why a zone Node resolves case-insensitively is not spelled as in the tz database, if it is not. */
function timeZoneSpellingProblem(value: string): string | undefined {
  if (isCanonicalZone(value)) return undefined;
  const resolved = new Intl.DateTimeFormat('en', { timeZone: value }).resolvedOptions().timeZone;
  if (resolved === value) return undefined;
  if (resolved.toLowerCase() === value.toLowerCase()) return `must be spelled as in the tz database: "${resolved}"`;
  // A name ICU knows only as an alias (Asia/Kolkata is Asia/Calcutta to ICU) cannot be looked up
  // by case; every part of a tz database name starts with a capital letter.
  if (value.split('/').every((part) => /^[A-Z]/.test(part))) return undefined;
  return `must be spelled as in the tz database, each part starting with a capital letter ("${resolved}" names the same zone)`;
}

export function isTimeZone(value: string): boolean {
  if (isCanonicalZone(value)) return true;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** A whole number of at least `min`. */
export const count = (min: number) =>
  v.pipe(
    v.number('must be a whole number'),
    v.integer('must be a whole number'),
    v.minValue(min, `must be at least ${min}`),
  );

/** Allowed values of each field of a cron expression, seconds first. */
const CRON_FIELDS = [
  ['second', 0, 59],
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day of month', 1, 31],
  ['month', 1, 12],
  ['day of week', 0, 6],
] as const;
const CRON_PART = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/;

/** Why one cron field is invalid, or undefined: `*`, numbers, ranges `a-b`, steps `/n` and lists. */
function cronFieldProblem(field: string, [name, min, max]: (typeof CRON_FIELDS)[number]): string | undefined {
  for (const part of field.split(',')) {
    const match = CRON_PART.exec(part);
    const [, , from, to, step] = match ?? [];
    const numbers = [from, to].filter((n) => n !== undefined).map(Number);
    if (!match || numbers.some((n) => n < min || n > max) || (step !== undefined && Number(step) < 1)) {
      return `its ${name} field "${field}" must be *, a number from ${min} to ${max}, a range a-b, a step /n or a list`;
    }
  }
  return undefined;
}

/**
 * A cron expression of five fields (minute first, as VolSync and Immich take it) or six (seconds
 * first, as CloudNativePG takes it). A five-field expression where six are needed gets its own hint.
 */
export const cron = (fields: 5 | 6, example: string) => {
  const spec = CRON_FIELDS.slice(6 - fields);
  const what =
    fields === 6
      ? `a six-field cron expression with seconds first, like "${example}"`
      : `a five-field cron expression, like "${example}"`;
  return v.pipe(
    v.string(`must be ${what}`),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const parts = dataset.value.trim().split(/\s+/);
      if (parts.length !== fields) {
        const hint = fields === 6 && parts.length === 5 ? `; put the seconds first: "0 ${dataset.value.trim()}"` : '';
        addIssue({ message: `must be ${what}; it has ${parts.length} fields${hint}` });
        return;
      }
      const problem = parts.map((part, i) => cronFieldProblem(part, spec[i]!)).find((p) => p !== undefined);
      if (problem) addIssue({ message: `must be ${what}; ${problem}` });
    }),
  );
};

/** An RFC 3339 time with an explicit zone, e.g. `2026-11-26T08:00:00Z`. */
export const timestamp = v.pipe(
  v.string('must be a string'),
  v.check(
    (t) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(t) && !Number.isNaN(Date.parse(t)),
    'must be an RFC 3339 time with a zone, like "2026-11-26T08:00:00Z"',
  ),
);

/** A container image reference with a tag or a digest, e.g. `registry/repo:tag@sha256:…`. */
export const imageRef = text(
  /^[a-z0-9]+([._/-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/,
  'must be an image reference like "ghcr.io/org/image:tag@sha256:<64 hex digits>"',
);

/** Destinations for NetworkPolicy egress: CIDRs and ports. */
export const egressTarget = (what: string, ports: number[]) => section(egressTargetEntries(what, ports));

/**
 * Destinations for NetworkPolicy egress that may also be a host published behind the in-cluster
 * ingress controller, as an OIDC issuer can be.
 */
export const publishedEgressTarget = (what: string, ports: number[]) =>
  section({
    ...egressTargetEntries(what, ports),
    /**
     * The destination's host name resolves to the in-cluster ingress controller: also allow its
     * pods (`networkPolicy.ingressController`) on their entry points, which the cluster rewrites
     * the traffic to and where an address block no longer matches. @default false
     */
    viaIngressController: v.optional(bool(), false),
  });

function egressTargetEntries(what: string, ports: number[]) {
  return {
    /** Address blocks the pods may reach it at. @default ["0.0.0.0/0", "::/0"] */
    cidrs: v.optional(
      v.pipe(v.array(cidr, 'must be a list'), v.minLength(1, `must name at least one CIDR of ${what}`)),
      ['0.0.0.0/0', '::/0'],
    ),
    /** Ports the pods may reach it on. */
    ports: v.optional(v.pipe(v.array(port, 'must be a list'), v.minLength(1, 'must name at least one port')), ports),
  };
}
