/**
 * The documentation a user reads: the README as a short front page, and every relative link of it,
 * CONTRIBUTING.md and docs/ leading to a file that exists and, with an anchor, to a heading there
 * (GitHub's slugs, from github-slugger).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { filesBelow } from './support/files';
import { headingAnchors, linkProblems, referenceProblem, relativeLinks } from './support/markdown';
import { ROOT } from './support/synth';

const DOCS = [
  'README.md',
  'CONTRIBUTING.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

test('the README stays a front page of at most 25 KB', () => {
  expect(Buffer.byteLength(README)).toBeLessThanOrEqual(25 * 1024);
});

test('the README opens with the two commands CI and the guides rely on', () => {
  const first = /```sh\n([\s\S]*?)```/.exec(README)?.[1]?.split('\n') ?? [];
  expect(first[0]).toMatch(/^npm ci && npm run synth +#/);
  expect(first[1]).toMatch(/^npm test +#/);
});

test.each(DOCS)('every relative link of %s leads to a file and heading that exist', (file) => {
  expect(linkProblems(file)).toEqual([]);
});

test('the README links to every page of docs/', () => {
  const linked = new Set(relativeLinks(README).map((link) => link.split('#')[0]));
  expect(DOCS.filter((f) => f.startsWith('docs/') && !linked.has(f))).toEqual([]);
});

test('anchors follow GitHub: punctuation dropped, spaces to hyphens, a repeated heading numbered', () => {
  expect(headingAnchors("# The job queue: Valkey or Dragonfly\n## Immich's own settings\n## `ingress.kind`\n")).toEqual(
    ['the-job-queue-valkey-or-dragonfly', 'immichs-own-settings', 'ingresskind'],
  );
  expect(headingAnchors('## Restore runbook\n```sh\n# not a heading\n```\n## Restore runbook\n')).toEqual([
    'restore-runbook',
    'restore-runbook-1',
  ]);
});

test('every page of docs/ that the code, the configurations and renovate.json name exists, with the named heading', () => {
  const sources = [
    ...filesBelow(join(ROOT, 'src')).map((f) => `src/${f}`),
    ...filesBelow(join(ROOT, 'config')).map((f) => `config/${f}`),
    'renovate.json',
  ];
  const references = sources.flatMap((file) =>
    [...readFileSync(join(ROOT, file), 'utf8').matchAll(/\bdocs\/[\w.-]+\.md(?:#[\w-]+)?/g)].map((m) => ({
      file,
      reference: m[0],
    })),
  );
  expect(references.length).toBeGreaterThanOrEqual(5);
  expect(
    references.flatMap(({ file, reference }) => {
      const problem = referenceProblem(reference);
      return problem ? [`${file}: ${reference}: ${problem}`] : [];
    }),
  ).toEqual([]);
});
