/** docs/configuration.md: every key of the JSON Schema, with its type, default and description. */
import type { JsonSchema } from '@valibot/to-json-schema';
import { stringify } from 'yaml';
import type { DefaultTexts } from './json-schema';

/** One row of a section's table. */
interface Row {
  key: string;
  type: string;
  default: string;
  description: string;
  /** The forms of a variant this key belongs to, e.g. `source: nfs`. */
  forms: string[];
}

/** What the reference says about the environment: each variable and the key it sets. */
export interface EnvironmentKeys {
  readonly overrides: Readonly<Record<string, readonly string[]>>;
  /** Variables that only fill a key the file leaves out. */
  readonly fallbacks: readonly string[];
}

const code = (text: string) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);
/** Text for a table cell: pipes escaped, and `<…>` outside code spans shown rather than read as HTML. */
const cell = (text: string) =>
  text
    .split('`')
    .map((part, i) => (i % 2 === 0 ? part.replace(/</g, '&lt;') : part))
    .join('`')
    .replace(/\|/g, '\\|');

/** A `@default` tag's text: a value as code, an explanation as written. */
function defaultCell(text: string): string {
  const quoted = /^"([^"]*)"$/.exec(text);
  if (quoted) return code(quoted[1]!);
  return /^(\[.*\]|\{.*\}|-?\d+(\.\d+)?|true|false)$/.test(text) ? code(text) : text;
}
const isSchema = (node: unknown): node is JsonSchema =>
  typeof node === 'object' && node !== null && !Array.isArray(node);

/** A value as YAML writes it inline, e.g. `[ReadWriteOnce]` or `{ k8s-app: kube-dns }`. */
function inline(value: unknown): string {
  if (typeof value === 'string') return value;
  return stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trim();
}

function bounds(node: JsonSchema, noun: string): string {
  const { minimum: min, maximum: max } = node;
  if (min !== undefined && max !== undefined) return `${noun} from ${min} to ${max}`;
  if (min !== undefined) return `${noun}, at least ${min}`;
  if (max !== undefined) return `${noun}, at most ${max}`;
  return noun;
}

/** What a value of `node` is, in words. */
function typeOf(node: JsonSchema): string {
  if (node.const !== undefined) return code(inline(node.const));
  if (node.enum) return `one of ${node.enum.map((e) => code(inline(e))).join(', ')}`;
  if (node.anyOf) return [...new Set(node.anyOf.filter(isSchema).map(typeOf))].join(' or ');
  if (node.oneOf) return 'one of the forms below';
  switch (node.type) {
    case 'string':
      return node.minLength ? 'non-empty string' : 'string';
    case 'integer':
      return bounds(node, 'integer');
    case 'number':
      return bounds(node, 'number');
    case 'boolean':
      return 'boolean';
    case 'array': {
      const item = isSchema(node.items) ? typeOf(node.items) : 'value';
      const least = node.minItems ? `, at least ${node.minItems}` : '';
      return /^(string|integer|number|boolean|mapping)$/.test(item)
        ? `list of ${item}s${least}`
        : `list${least}, each ${item}`;
    }
    case 'object': {
      if (node.properties) return 'mapping';
      const value = isSchema(node.additionalProperties) ? typeOf(node.additionalProperties) : 'value';
      const least = node.minProperties ? `, at least ${node.minProperties}` : '';
      return `map of ${value}${least}`;
    }
    default:
      return 'value';
  }
}

/** The rows of every key below `node`, nested keys after their parent. */
function rows(
  node: JsonSchema,
  path: string[],
  defaults: DefaultTexts,
  env: ReadonlyMap<string, string>,
  out: Map<string, Row>,
  form?: string,
): void {
  for (const [key, property] of Object.entries(node.properties ?? {})) {
    if (!isSchema(property)) continue;
    const full = [...path, key];
    const name = full.join('.');
    const defaultText = defaults.get(property);
    const jsonDefault =
      property.default !== undefined && !(isSchema(property.default) && Object.keys(property.default).length === 0)
        ? inline(property.default)
        : undefined;
    let description = property.description ?? '';
    if (defaultText)
      description = description.replace(` Default: ${defaultText}.`, '').replace(`Default: ${defaultText}.`, '');
    const variable = env.get(name);
    if (variable) description = `${description} Environment: ${variable}.`.trim();
    const row: Row = {
      key: name,
      type: typeOf(property),
      default:
        jsonDefault !== undefined
          ? code(jsonDefault)
          : defaultText
            ? defaultCell(defaultText)
            : node.required?.includes(key)
              ? 'required'
              : '',
      description,
      forms: form ? [form] : [],
    };
    const seen = out.get(name);
    if (seen && form && property.const !== undefined) {
      // The key that tells the forms apart: one row with each of its values.
      seen.type = `${seen.type.replace(/^one of /, '')}, ${row.type}`.replace(/^/, 'one of ');
      seen.forms = [];
    } else if (seen) {
      // The same key in several forms: one row that names them all.
      if (form) seen.forms.push(form);
      if (seen.type !== row.type) seen.type = `${seen.type}; ${row.type}`;
      if (!seen.description) seen.description = row.description;
    } else {
      out.set(name, row);
    }
    if (property.properties) rows(property, full, defaults, env, out);
    if (property.oneOf) {
      for (const option of property.oneOf.filter(isSchema)) {
        const [tag, discriminator] =
          Object.entries(option.properties ?? {}).find(([, p]) => isSchema(p) && p.const !== undefined) ?? [];
        const label = tag && isSchema(discriminator) ? `${tag}: ${inline(discriminator.const)}` : undefined;
        rows(option, full, defaults, env, out, label);
      }
    }
    const item = property.type === 'array' ? property.items : property.additionalProperties;
    if (isSchema(item) && item.properties) {
      rows(
        item,
        property.type === 'array' ? [...full.slice(0, -1), `${key}[]`] : [...full, '<name>'],
        defaults,
        env,
        out,
      );
    }
  }
}

function table(list: readonly Row[]): string {
  const lines = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];
  for (const row of list) {
    const forms = row.forms.length > 0 ? ` (${row.forms.map(code).join(', ')})` : '';
    lines.push(`| ${code(row.key)}${forms} | ${cell(row.type)} | ${cell(row.default)} | ${cell(row.description)} |`);
  }
  return lines.join('\n');
}

/** The whole reference: the environment variables, the top-level keys, then one section per mapping. */
export function configurationReference(
  schema: JsonSchema,
  defaults: DefaultTexts,
  environment: EnvironmentKeys,
): string {
  const env = new Map(
    Object.entries(environment.overrides).map(([name, path]) => [
      path.join('.'),
      `${code(name)}${environment.fallbacks.includes(name) ? ' (only when the file leaves the key out)' : ''}`,
    ]),
  );
  const all = new Map<string, Row>();
  rows(schema, [], defaults, env, all);
  const list = [...all.values()];
  const properties = Object.entries(schema.properties ?? {}).filter((e): e is [string, JsonSchema] => isSchema(e[1]));
  const sections = properties.filter(([, p]) => p.properties || p.oneOf);
  const topLevel = list.filter((row) => !row.key.includes('.') && !sections.some(([name]) => name === row.key));

  const parts = [
    '# Configuration reference',
    '',
    '> Generated from the configuration schema (`src/config/`) by `npm run reference`; do not edit it by hand.',
    '',
    'Every key of the configuration file, with its type, its default and what it does. Every key is',
    'optional except `domain`; an unknown key is an error, and so is a value of the wrong type. The',
    'same schema, as JSON Schema, is `schema/immich-k8s.schema.json` in the package: an editor that runs',
    'the YAML language server checks and completes a file whose first line names it, e.g.',
    '',
    '```yaml',
    '# yaml-language-server: $schema=node_modules/immich-k8s/schema/immich-k8s.schema.json',
    '```',
    '',
    'Synth checks more than the JSON Schema can say (rules across keys, time zones, CIDRs, cron',
    'expressions): run `immich-k8s validate` for every problem at once.',
    '',
    '## Environment variables',
    '',
    'Each variable overrides its key, and synth notes on stderr every key a variable changed. Secret',
    'values are read from the environment only, never from the file (see the README).',
    '',
    '| Variable | Key |',
    '| --- | --- |',
    ...Object.entries(environment.overrides).map(
      ([name, path]) =>
        `| ${code(name)} | ${code(path.join('.'))}${environment.fallbacks.includes(name) ? ', only when the file leaves it out' : ''} |`,
    ),
    '',
    '## Top-level keys',
    '',
    table(topLevel),
  ];
  for (const [name, property] of sections) {
    const below = list.filter((row) => row.key.startsWith(`${name}.`) || row.key.startsWith(`${name}[]`));
    const own = all.get(name);
    parts.push('', `## ${code(name)}`, '');
    if (own?.description) parts.push(own.description, '');
    if (property.oneOf) {
      parts.push(`Default: ${own?.default || 'none'}. Each form's own keys are marked with the form.`, '');
    }
    parts.push(table(below));
  }
  return `${parts.join('\n')}\n`;
}
