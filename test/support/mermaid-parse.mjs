/**
 * Parses Mermaid diagrams with the real Mermaid parser (`mermaid.parse()` of the `mermaid`
 * package), all of them in this one Node process: the package is ESM-only, which jest's CommonJS
 * transform cannot load. Reads a JSON array of `{ id, text }` on stdin and writes a JSON array of
 * `{ id, diagramType }` or `{ id, error }` on stdout.
 *
 * The flowchart parser sanitizes labels with DOMPurify, which needs a DOM: linkedom provides a
 * small one that starts fast.
 * The package's prebuilt single-file bundle (`dist/mermaid.esm.min.mjs`, the same build browsers
 * load) starts in a tenth of the time of its multi-module core build.
 */
// Read the input while the parser loads, so that the writer never waits on a full pipe.
const input = (async () => {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text;
})();

const { parseHTML } = await import('linkedom');
const { window } = parseHTML('<!doctype html><html><head></head><body></body></html>');
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import('mermaid/dist/mermaid.esm.min.mjs');
mermaid.initialize({ startOnLoad: false });

const results = [];
for (const { id, text } of JSON.parse(await input)) {
  try {
    const { diagramType } = await mermaid.parse(text);
    results.push({ id, diagramType });
  } catch (err) {
    results.push({ id, error: String(err instanceof Error ? err.message : err) });
  }
}
process.stdout.write(JSON.stringify(results));
