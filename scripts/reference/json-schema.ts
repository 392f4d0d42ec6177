/**
 * The configuration's JSON Schema, for editors: converted from the valibot schema with
 * @valibot/to-json-schema, then given each key's doc comment as its description.
 */
import { type JsonSchema, toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import type { DocNode, KeyDoc } from './doc-comments';

/**
 * Actions JSON Schema cannot state, left out of it: functions (`check`, `rawCheck`) and the
 * conversions of input (`transform`). Synth still applies them; every other construct the
 * converter does not know fails the generation, so none is lost unseen.
 */
export const SKIPPED_ACTIONS = ['check', 'raw_check', 'transform'];

/** What the markdown reference needs beside the JSON Schema: the `@default` text of each node. */
export type DefaultTexts = WeakMap<JsonSchema, string>;

/**
 * The JSON Schema (draft-07) of `schema`, each key's description taken from `docs`. A key whose
 * doc comment has a `@default` tag says it at the end of its description; `defaults` gets the
 * tag's text too, by node.
 */
export function configJsonSchema(
  schema: v.GenericSchema,
  docs: DocNode,
  meta: { title: string; description: string },
): { jsonSchema: JsonSchema; defaults: DefaultTexts } {
  // Only the conversions of input are typed away: the input type is what the file holds.
  const converted = toJsonSchema(schema, { errorMode: 'throw', ignoreActions: SKIPPED_ACTIONS });
  const defaults: DefaultTexts = new WeakMap();
  sinkStringKeywords(converted);
  describe(converted, docs, defaults);
  const { $schema, ...rest } = converted;
  return { jsonSchema: { $schema, title: meta.title, description: meta.description, ...rest }, defaults };
}

/** Keywords that apply to strings alone. */
const STRING_KEYWORDS = ['pattern', 'minLength', 'maxLength'] as const;

/**
 * Moves string keywords beside an `anyOf` into its string options. A Kubernetes quantity is
 * `pipe(union([string, number]), regex)`, which converts to a `pattern` beside the `anyOf`: valid
 * JSON Schema (a pattern ignores numbers), but strict validators and some editors want it next to
 * `type: string`, where it means the same.
 */
function sinkStringKeywords(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  for (const child of Object.values(node)) sinkStringKeywords(child);
  const json = node as JsonSchema;
  if (!json.anyOf) return;
  for (const keyword of STRING_KEYWORDS) {
    if (json[keyword] === undefined) continue;
    for (const option of json.anyOf) {
      if (typeof option !== 'object' || option.type !== 'string') continue;
      if (option[keyword] !== undefined) throw new Error(`a string option has a ${keyword} of its own`);
      Object.assign(option, { [keyword]: json[keyword] });
    }
    delete json[keyword];
  }
}

function sentence(doc: KeyDoc): string {
  const text = doc.text && !/[.!?]$/.test(doc.text) ? `${doc.text}.` : doc.text;
  return [text, doc.defaultText ? `Default: ${doc.defaultText}.` : ''].filter(Boolean).join(' ');
}

/** Walks the JSON Schema beside the documented type, which nest alike. */
function describe(json: JsonSchema, docs: DocNode, defaults: DefaultTexts): void {
  if (docs.keys && json.properties) {
    for (const [key, { doc, node }] of docs.keys) {
      const property = json.properties[key];
      if (!property || typeof property === 'boolean') throw new Error(`the JSON Schema has no key ${key}`);
      const description = sentence(doc);
      if (description) property.description = description;
      if (doc.defaultText) defaults.set(property, doc.defaultText);
      describe(property, node, defaults);
    }
  }
  const options = json.oneOf ?? json.anyOf;
  if (docs.options && options) {
    if (options.length !== docs.options.length) throw new Error('the JSON Schema and the type differ in options');
    docs.options.forEach((option, i) => {
      const schema = options[i];
      if (schema && typeof schema !== 'boolean') describe(schema, option, defaults);
    });
  }
  const item = json.items ?? json.additionalProperties;
  if (docs.item && item && typeof item === 'object' && !Array.isArray(item)) describe(item, docs.item, defaults);
}
