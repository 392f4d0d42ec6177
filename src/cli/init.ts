/** `init`: a starter configuration and a `.gitignore` for the user's own repository. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { OutputError } from '../output';
import { SCHEMA_FILE, TEMPLATE_FILE, packageRoot } from './package-files';

/** The configuration file init writes into its folder. */
export const CONFIG_FILE = 'immich.yaml';

/**
 * What must never reach git in a repository of configurations: Immich's rendered config file
 * (it holds the OAuth client secret), plaintext Secret manifests and environment files; also
 * what an interrupted synth leaves beside its output, and the installed packages.
 */
export const GITIGNORE_LINES = [
  '# Secret values: never commit them.',
  'immich-config.json',
  '*.secret.yaml',
  '.env',
  '.env.*',
  '# Left beside an output folder by an interrupted immich-k8s synth.',
  '*.next/',
  '*.old/',
  'node_modules/',
];

/** What init wrote, relative to the folder it was run in. */
export interface InitResult {
  readonly config: string;
  readonly gitignore: string;
  /** `.gitignore` existed: only the lines it lacked were appended. */
  readonly appended: boolean;
}

/**
 * Writes `dir/immich.yaml` (the starter configuration, its first line naming the JSON Schema for
 * the editor) and a `.gitignore` that keeps secrets out. An existing configuration is replaced only
 * with `force`; an existing `.gitignore` keeps every line and gets the ones it lacks appended.
 */
export function init(dir: string, force: boolean, cwd: string): InitResult {
  const folder = resolve(cwd, dir);
  const configPath = join(folder, CONFIG_FILE);
  const gitignorePath = join(folder, '.gitignore');
  const shown = (path: string) => relative(cwd, path) || '.';
  if (existsSync(configPath) && !force) {
    throw new OutputError(
      `${shown(configPath)}: exists already and init never overwrites it; edit it, or run init again with --force to replace it with the starter configuration`,
    );
  }
  // Relative to the file, as the YAML language server resolves it: node_modules/immich-k8s/… in a repository.
  const schema = relative(folder, join(packageRoot(), SCHEMA_FILE)).split(sep).join('/');
  const template = readFileSync(join(packageRoot(), TEMPLATE_FILE), 'utf8');
  mkdirSync(folder, { recursive: true });
  writeFileSync(configPath, `# yaml-language-server: $schema=${schema}\n${template}`);

  const existing = existsSync(gitignorePath) ? readFileSync(gitignorePath, 'utf8') : undefined;
  const present = new Set((existing ?? '').split('\n').map((line) => line.trim()));
  const missing = GITIGNORE_LINES.filter((line) => !line.startsWith('#') && !present.has(line));
  if (existing === undefined) {
    writeFileSync(gitignorePath, `${GITIGNORE_LINES.join('\n')}\n`);
  } else if (missing.length > 0) {
    const separator = existing === '' || existing.endsWith('\n') ? '' : '\n';
    writeFileSync(gitignorePath, `${existing}${separator}# Added by immich-k8s init.\n${missing.join('\n')}\n`);
  }
  return { config: shown(configPath), gitignore: shown(gitignorePath), appended: existing !== undefined };
}
