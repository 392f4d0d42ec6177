/**
 * Small writers of GitHub-flavoured Markdown and Mermaid text, escaping whatever the manifests
 * hold so that no value can break a table, a code span or a diagram.
 * @see https://github.github.com/gfm/
 * @see https://mermaid.js.org/syntax/flowchart.html#entity-codes-to-escape-characters
 */

/** Orders text by code units, the same in every locale (unlike `localeCompare`), so output never varies. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An inline code span that holds any text, backticks included. */
export function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

/** A table: cells may hold any text; pipes and line breaks are escaped. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll(/\r?\n/g, '<br>');
}

/** A bulleted list, or `fallback` when there is nothing to list. */
export function bullets(items: readonly string[], fallback: string): string {
  return items.length === 0 ? fallback : items.map((item) => `- ${item}`).join('\n');
}

/**
 * Text for a quoted Mermaid label, a participant alias or a message: characters with a meaning
 * to Mermaid become entity codes; line breaks become `<br/>`.
 */
export function mermaidText(text: string): string {
  return text
    .replaceAll('#', '#35;')
    .replaceAll(';', '#59;')
    .replaceAll('"', '#quot;')
    .replaceAll('`', '#96;')
    .replaceAll('%', '#37;')
    .replaceAll('<', '#lt;')
    .replaceAll('>', '#gt;')
    .replaceAll(/\r?\n/g, '<br/>');
}

/** Mermaid node ids made of letters, digits and `_` only, unique per key and stable for a given input. */
export class MermaidIds {
  private readonly byKey = new Map<string, string>();
  private readonly used = new Set<string>();

  /** The id of `key`, derived from a readable `hint` the first time the key is seen. */
  id(key: string, hint: string = key): string {
    const known = this.byKey.get(key);
    if (known) return known;
    const base = `n_${hint
      .toLowerCase()
      .replaceAll(/[^a-z0-9]+/g, '_')
      .replaceAll(/^_+|_+$/g, '')}`;
    let id = base;
    for (let i = 2; this.used.has(id); i++) id = `${base}_${i}`;
    this.byKey.set(key, id);
    this.used.add(id);
    return id;
  }
}
