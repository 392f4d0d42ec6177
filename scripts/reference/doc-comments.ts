/**
 * The doc comments of the configuration schema's keys, read with the TypeScript compiler.
 *
 * The schema's keys are documented where they are declared, as JSDoc on the valibot entries; that
 * is what editors show to users of the library's `Config` type, and it costs synth nothing. The
 * type checker knows, for each entry of the schema's inferred type, the declaration it came from
 * (through spreads, helper functions and imports), so the comments are read off the type of the
 * exported schema, walked the way valibot nests it: `entries` of objects, `wrapped` of optionals,
 * the first schema of a `pipe`, `options` of unions and variants, `item` of arrays and `value` of
 * records. No list of keys is kept by hand.
 */
import ts from 'typescript';

/** The doc comment of one key: its text and its `@default` tag, whitespace collapsed. */
export interface KeyDoc {
  readonly text: string;
  readonly defaultText?: string;
}

/**
 * A schema's type as the checker sees it, with the doc comment of each key below it; `options`
 * in the order valibot (and so the JSON Schema) lists them.
 */
export interface DocNode {
  readonly keys?: ReadonlyMap<string, { readonly doc: KeyDoc; readonly node: DocNode }>;
  readonly options?: readonly DocNode[];
  /** The schema of a list's items or of a map's values. */
  readonly item?: DocNode;
}

const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The documented shape of the schema exported as `exportName` from the TypeScript file `file`. */
export function readDocs(file: string, exportName: string): DocNode {
  const program = ts.createProgram([file], {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    skipLibCheck: true,
    types: [],
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const module = source && checker.getSymbolAtLocation(source);
  const symbol = module && checker.getExportsOfModule(module).find((s) => s.name === exportName);
  if (!symbol) throw new Error(`${file} exports no ${exportName}`);

  const member = (type: ts.Type, name: string) => {
    const property = type.getProperty(name);
    return property && checker.getTypeOfSymbol(property);
  };
  const tuple = (type: ts.Type | undefined) =>
    type && checker.isTupleType(type) ? checker.getTypeArguments(type as ts.TypeReference) : undefined;
  const kind = (type: ts.Type) => {
    const literal = member(type, 'type');
    return literal?.isStringLiteral() ? literal.value : undefined;
  };

  const walk = (type: ts.Type): DocNode => {
    // `v.optional(schema)` and a pipe whose first schema is the whole input type.
    const wrapped = member(type, 'wrapped');
    if (wrapped) return walk(wrapped);
    const entries = member(type, 'entries');
    if (entries) {
      const keys = new Map<string, { doc: KeyDoc; node: DocNode }>();
      for (const property of entries.getProperties()) {
        const tag = property.getJsDocTags(checker).find((t) => t.name === 'default');
        const defaultText = tag?.text ? collapse(ts.displayPartsToString(tag.text)) : undefined;
        const text = collapse(ts.displayPartsToString(property.getDocumentationComment(checker)));
        keys.set(property.name, {
          doc: defaultText ? { text, defaultText } : { text },
          node: walk(checker.getTypeOfSymbol(property)),
        });
      }
      return { keys };
    }
    const type_ = kind(type);
    // A picklist's options are its values, not schemas.
    const options = type_ === 'union' || type_ === 'variant' ? tuple(member(type, 'options')) : undefined;
    if (options) return { options: options.map(walk) };
    const item = type_ === 'array' ? member(type, 'item') : type_ === 'record' ? member(type, 'value') : undefined;
    if (item) return { item: walk(item) };
    return {};
  };
  return walk(checker.getTypeOfSymbol(symbol));
}
