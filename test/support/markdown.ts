import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import GithubSlugger from 'github-slugger';
import { ROOT } from './synth';

/** The Markdown without fenced code blocks, where `#` starts no heading and `](` no link. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^ *(```|~~~)[^\n]*\n[\s\S]*?^ *\1[^\n]*$/gm, '');
}

/** The anchor of every heading of a document, as GitHub renders it (repeated headings get -1, -2...). */
export function headingAnchors(markdown: string): string[] {
  const slugger = new GithubSlugger();
  return [...withoutFences(markdown).matchAll(/^#{1,6} +(.+?) *#* *$/gm)].map((m) =>
    // GitHub slugs the rendered text: a link's text stays, its target goes.
    slugger.slug(m[1]!.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')),
  );
}

/** The target of every inline link and image of a document that is not a URL with a scheme. */
export function relativeLinks(markdown: string): string[] {
  const prose = withoutFences(markdown).replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(<?([^)\s>]+)>?(?: +"[^"]*")?\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

/**
 * What is wrong with a reference to a file of the repository, a path from the project root with an
 * optional `#anchor`: a file that does not exist, or an anchor that matches no heading of its
 * document. Undefined when it resolves.
 */
export function referenceProblem(reference: string): string | undefined {
  const [target = '', anchor] = reference.split('#') as [string, string?];
  if (!existsSync(join(ROOT, target))) return `${target} does not exist`;
  if (anchor === undefined) return undefined;
  if (statSync(join(ROOT, target)).isDirectory() || !target.endsWith('.md')) {
    return `an anchor into ${target}, which has no headings`;
  }
  const anchors = headingAnchors(readFileSync(join(ROOT, target), 'utf8'));
  return anchors.includes(anchor) ? undefined : `no heading of ${target} has the anchor #${anchor}`;
}

/** What is wrong with each relative link of a file of the repository; empty when every link resolves. */
export function linkProblems(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return relativeLinks(text).flatMap((link) => {
    const [path = '', anchor] = link.split('#') as [string, string?];
    const target = path ? relative(ROOT, join(ROOT, dirname(file), decodeURIComponent(path))) : file;
    const problem = referenceProblem(anchor === undefined ? target : `${target}#${anchor}`);
    return problem ? [`${file}: ${link}: ${problem}`] : [];
  });
}
