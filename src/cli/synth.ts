/**
 * `synth` and `validate`: a configuration file of the user's repository, validated as
 * `npm run synth` validates it, rendered into an output folder of that repository.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import { buildCharts } from '../chart';
import { type Config, parseConfig, readConfigText } from '../config';
import type { Manifest } from '../lib/manifest';
import { ARCHITECTURE_FILE, OutputError, publish, recover, renderCharts, writeManifests } from '../output';

/** What a command tells the user besides its result. */
export interface Messages {
  /** Overrides applied, one line each (`note: …` on stderr). */
  readonly notes: string[];
  /** What works but deserves a look (`warning: …` on stderr). */
  readonly warnings: string[];
}

/** Where a command runs: its folder and environment (the process's own, but for tests). */
export interface Context {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/** A validated configuration and the manifests it renders into `out`. */
export interface Rendered extends Messages {
  readonly config: Config;
  readonly manifests: Manifest[];
}

/**
 * Reads and validates a configuration file as `npm run synth` does (the environment overrides
 * included) and renders its manifests. With `out`, the Argo CD Application reads that folder.
 */
export function render(file: string, out: string | undefined, context: Context): Rendered {
  const text = readConfigText(file, resolve(context.cwd, file), '--config');
  const parsed = parseConfig(text, context.env, file);
  const notes = [...parsed.notes];
  const warnings = [...parsed.warnings];
  let config = parsed;
  if (config.argocd.enabled && out !== undefined) {
    const fromFile = (parse(text) as { argocd?: { path?: unknown } } | null)?.argocd?.path;
    const found = applicationPath(resolve(context.cwd, out), out, context.cwd, fromFile);
    notes.push(...found.notes);
    warnings.push(...found.warnings);
    config = { ...config, argocd: { ...config.argocd, path: found.path } };
  }
  return { config, manifests: renderCharts(buildCharts(config)), notes, warnings };
}

/**
 * Validates `file` and replaces `out` with its manifests, `ARCHITECTURE.md` and the Argo CD
 * Application in `out/argocd/`: in one rename, so that `out` is left as it was on any failure.
 */
export function synth(file: string, out: string, context: Context): Rendered & { readonly out: string } {
  const target = resolve(context.cwd, out);
  // A run cut off between its renames is put right first, even if this one fails.
  recover(target);
  const problem = outputProblem(target, out, resolve(context.cwd, file), context.cwd);
  if (problem) throw new OutputError(problem);
  const rendered = render(file, out, context);
  publish(target, (dir) => writeManifests(rendered.manifests, dir, { previous: target }));
  return { ...rendered, out: target };
}

/**
 * Why `target` must not be replaced by synth's output, or undefined. Synth owns the whole folder:
 * it must be new, empty or an earlier output, and never hold the repository or the configuration.
 */
export function outputProblem(target: string, out: string, configFile: string, cwd: string): string | undefined {
  const inside = (path: string, folder: string) => path === folder || path.startsWith(folder + sep);
  if (inside(cwd, target)) {
    return `--out: "${out}" is the folder synth runs in, or holds it; synth replaces --out as a whole, so name a folder of its own, like "deploy"`;
  }
  if (inside(configFile, target)) {
    return `--out: "${out}" holds the configuration file ${relative(cwd, configFile)}, which synth would delete with the rest of it; keep the configuration outside --out`;
  }
  if (!existsSync(target)) return undefined;
  if (!statSync(target).isDirectory()) return `--out: "${out}" is a file; name a folder`;
  if (existsSync(join(target, '.git'))) {
    return `--out: "${out}" is the root of a git repository; name a folder inside it, like "deploy"`;
  }
  const entries = readdirSync(target);
  if (entries.length > 0 && !entries.includes(ARCHITECTURE_FILE)) {
    return `--out: "${out}" holds files synth did not write (it has no ${ARCHITECTURE_FILE}): synth replaces the whole folder, so name a new or empty folder, or move those files away`;
  }
  return undefined;
}

/** The repository holding `path`: the nearest folder at or above it with a `.git` entry. */
export function gitRoot(path: string): string | undefined {
  for (let dir = path; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The folder the Argo CD Application reads: `target` relative to the root of its git repository,
 * which is what Argo CD clones. Without a repository, `argocd.path` as the file sets it, else
 * `target` relative to the folder synth runs in.
 */
export function applicationPath(
  target: string,
  out: string,
  cwd: string,
  fromFile: unknown,
): { path: string; notes: string[]; warnings: string[] } {
  const posix = (path: string) => path.split(sep).join('/') || '.';
  const root = gitRoot(dirname(target));
  if (root) {
    const path = posix(relative(root, target));
    const notes =
      fromFile !== undefined && fromFile !== path
        ? [
            `--out ${out} sets argocd.path to "${path}", its folder in the repository at ${root} (the file says ${JSON.stringify(fromFile)})`,
          ]
        : [];
    return { path, notes, warnings: [] };
  }
  if (typeof fromFile === 'string') return { path: fromFile, notes: [], warnings: [] };
  const path = posix(relative(cwd, target));
  if (path.startsWith('..')) {
    throw new OutputError(
      `--out: "${out}" is in no git repository and outside the folder synth runs in, so the Argo CD Application's path is unknown; set argocd.path to its folder in the repository Argo CD reads, got nothing`,
    );
  }
  return {
    path,
    notes: [],
    warnings: [
      `argocd.path: no git repository holds ${out}, so the Application reads "${path}", its path from the folder synth runs in; set argocd.path if the repository's root is elsewhere`,
    ],
  };
}
