import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './synth';

/** A diagram to parse, and what the parser made of it. */
export interface MermaidBlock {
  readonly id: string;
  readonly text: string;
}
export interface MermaidResult {
  readonly id: string;
  readonly diagramType?: string;
  readonly error?: string;
}

/** Diagrams handed to the parser process. */
export interface MermaidParsing {
  /** Settles once the process has every diagram: await it before running synchronous tests. */
  readonly sent: Promise<void>;
  /** One result per block, in order. */
  readonly results: Promise<MermaidResult[]>;
}

/** The text of every ```mermaid block of a Markdown document. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

/**
 * Starts one Node process running the real Mermaid parser (test/support/mermaid-parse.mjs) and
 * returns the function that hands it every block at once. The process loads Mermaid while the
 * caller prepares the blocks, and parses them all in one pass while the caller goes on.
 */
export function startMermaidParser(): (blocks: readonly MermaidBlock[]) => MermaidParsing {
  const child = spawn(process.execPath, [join(ROOT, 'test', 'support', 'mermaid-parse.mjs')], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<MermaidResult[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(stdout) as MermaidResult[]);
      else reject(new Error(`the Mermaid parser exited with ${code}:\n${stderr}`));
    });
  });
  return (blocks) => {
    // Scenarios share many diagrams: each distinct text is parsed once.
    const texts = [...new Set(blocks.map((b) => b.text))];
    const sent = new Promise<void>((resolve, reject) => {
      child.stdin.on('error', reject);
      child.stdin.end(JSON.stringify(texts.map((text, i) => ({ id: String(i), text }))), () => resolve());
    });
    const results = done.then((parsed) => blocks.map((b) => ({ ...parsed[texts.indexOf(b.text)]!, id: b.id })));
    return { sent, results };
  };
}
