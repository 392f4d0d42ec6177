/**
 * The `immich-k8s` command: the stack for a repository of the user's own, which holds only its
 * configuration files and the manifests synthesized from them, not a clone of this project.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, parseConfig, readConfigText } from '../config';
import { OutputError } from '../output';
import { immichConfigFile } from './immich-config';
import { CONFIG_FILE, init } from './init';
import { PACKAGE_NAME, packageVersion } from './package-files';
import { type Context, render, synth } from './synth';

/** Where a run reads and writes: the process's own, but for tests. */
export interface Io extends Context {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Every option, with its value's name and what it does, in the order `--help` lists them. */
const OPTIONS = {
  config: { type: 'string', short: 'c', value: 'FILE', help: 'the configuration file', fallback: CONFIG_FILE },
  out: {
    type: 'string',
    short: 'o',
    value: 'DIR',
    help: 'the output folder, which synth replaces as a whole: one per configuration',
    fallback: 'deploy',
  },
  force: { type: 'boolean', short: 'f', help: `let init replace an existing ${CONFIG_FILE}` },
  help: { type: 'boolean', short: 'h', help: 'show this help' },
  version: { type: 'boolean', short: 'v', help: 'print the version' },
} as const satisfies Record<
  string,
  { type: 'string' | 'boolean'; short: string; value?: string; help: string; fallback?: string }
>;

type OptionName = keyof typeof OPTIONS;

/** Every command, with its arguments, the options it takes and what it does. */
const COMMANDS = {
  init: {
    args: '[DIR]',
    options: ['force'],
    help: `write into DIR (default: .) a starter ${CONFIG_FILE}, explained line by line, which leaves domain, oauth.clientId and argocd.repoURL for you to set, and a .gitignore that keeps secret files out`,
  },
  synth: {
    args: '',
    options: ['config', 'out'],
    help: 'validate the configuration and replace --out with its manifests, ARCHITECTURE.md and, with argocd.enabled, the Argo CD Application in <out>/argocd/, which reads --out from its git repository',
  },
  validate: {
    args: '',
    options: ['config'],
    help: 'validate the configuration and print every problem at once; writes nothing',
  },
  'immich-config': {
    args: '',
    options: ['config'],
    help: "print Immich's system config file, with the OAuth client secret from IMMICH_OAUTH_CLIENT_SECRET, for the Secret immich-config of secrets.mode existing",
  },
} as const satisfies Record<string, { args: string; options: readonly OptionName[]; help: string }>;

type CommandName = keyof typeof COMMANDS;

/** Width of the help text, for an 80-column terminal. */
const HELP_WIDTH = 79;

/** `text` after `left`, wrapped at word boundaries and indented under its first line. */
function helpRow(left: string, text: string): string {
  const indent = 26;
  const lines: string[] = [];
  let line = `  ${left}`.padEnd(indent);
  for (const word of text.split(' ')) {
    if (line.trim() !== left.trim() && line.length + 1 + word.length > HELP_WIDTH) {
      lines.push(line.trimEnd());
      line = ' '.repeat(indent);
    }
    line += line.endsWith(' ') ? word : ` ${word}`;
  }
  return [...lines, line].join('\n');
}

/** The text of `--help`: every command and every option. */
export function helpText(): string {
  const commands = Object.entries(COMMANDS).map(([name, c]) => helpRow(`${name} ${c.args}`.trim(), c.help));
  const options = Object.entries(OPTIONS).map(([name, o]) => {
    const value = 'value' in o ? ` ${o.value}` : '';
    const used = Object.entries(COMMANDS)
      .filter(([, c]) => (c.options as readonly string[]).includes(name))
      .map(([n]) => n);
    const commands = used.length > 0 ? `, for ${used.join(', ')}` : '';
    const fallback = 'fallback' in o ? ` (default: ${o.fallback})` : '';
    return helpRow(`-${o.short}, --${name}${value}`, `${o.help}${commands}${fallback}`);
  });
  return [
    `Usage: ${PACKAGE_NAME} <command> [options]`,
    '',
    'Kubernetes manifests for Immich from one validated configuration file.',
    '',
    'Commands:',
    ...commands,
    '',
    'Options:',
    ...options,
    '',
    'The environment variables listed in docs/configuration.md override their keys;',
    'each override is noted on stderr, where warnings go too. Exit status: 0 on',
    'success; 1 when the configuration or the output folder is refused (every',
    'problem is listed and nothing is written); 2 on a usage error.',
    '',
    'Several environments: one configuration and one output folder each, e.g.',
    `  ${PACKAGE_NAME} synth --config envs/prod.yaml --out deploy/prod`,
    `  ${PACKAGE_NAME} synth --config envs/staging.yaml --out deploy/staging`,
    '',
  ].join('\n');
}

/** A command line that cannot be run as given. */
class UsageError extends Error {}

/** Runs one command line; returns the exit status. */
export function main(args: readonly string[], io: Io): number {
  let command: CommandName;
  let values: Partial<Record<OptionName, string | boolean>>;
  let rest: string[];
  try {
    const parsed = parseArgs({
      args: [...args],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
    values = parsed.values;
    if (values.help) {
      io.stdout(helpText());
      return 0;
    }
    if (values.version) {
      io.stdout(`${packageVersion()}\n`);
      return 0;
    }
    const [name, ...positionals] = parsed.positionals;
    if (name === undefined) throw new UsageError('a command is required');
    if (!Object.hasOwn(COMMANDS, name)) {
      throw new UsageError(`unknown command "${name}"; the commands are ${Object.keys(COMMANDS).join(', ')}`);
    }
    command = name as CommandName;
    const spec = COMMANDS[command];
    const allowed: readonly string[] = spec.options;
    const misplaced = Object.keys(values).filter((option) => !allowed.includes(option));
    if (misplaced.length > 0) {
      throw new UsageError(`${command} takes no ${misplaced.map((o) => `--${o}`).join(', ')}`);
    }
    if (positionals.length > (spec.args ? 1 : 0)) {
      throw new UsageError(`${command} takes ${spec.args || 'no arguments'}, got ${positionals.join(' ')}`);
    }
    rest = positionals;
  } catch (err) {
    // parseArgs's own errors (an unknown option, a missing value) are usage errors too.
    io.stderr(
      `${PACKAGE_NAME}: ${(err as Error).message}\nRun "${PACKAGE_NAME} --help" for the commands and options.\n`,
    );
    return 2;
  }

  const file = (values.config as string | undefined) ?? OPTIONS.config.fallback;
  const print = (messages: { notes: readonly string[]; warnings: readonly string[] }, kind: 'notes' | 'warnings') =>
    messages[kind].forEach((line) => io.stderr(`${kind === 'notes' ? 'note' : 'warning'}: ${line}\n`));
  try {
    switch (command) {
      case 'init': {
        const result = init(rest[0] ?? '.', values.force === true, io.cwd);
        io.stdout(
          [
            `wrote ${result.config}; ${result.appended ? 'added what it lacked to' : 'wrote'} ${result.gitignore}`,
            `Next: set domain, oauth.clientId and argocd.repoURL in ${result.config}, then`,
            `  npx ${PACKAGE_NAME} synth --config ${result.config} --out deploy`,
            '',
          ].join('\n'),
        );
        return 0;
      }
      case 'synth': {
        const result = synth(file, (values.out as string | undefined) ?? OPTIONS.out.fallback, io);
        print(result, 'notes');
        const application = result.config.argocd.enabled
          ? `, Argo CD Application ${result.config.argocd.name} reading ${result.config.argocd.path}`
          : '';
        io.stdout(`${file}: wrote ${result.manifests.length} manifests to ${result.out}${application}\n`);
        print(result, 'warnings');
        return 0;
      }
      case 'validate': {
        const result = render(file, undefined, io);
        print(result, 'notes');
        io.stdout(`${file}: valid, ${result.manifests.length} manifests\n`);
        print(result, 'warnings');
        return 0;
      }
      case 'immich-config': {
        const load = (env: NodeJS.ProcessEnv) =>
          parseConfig(readConfigText(file, resolve(io.cwd, file), '--config'), env, file);
        io.stdout(immichConfigFile(load, io.env, (note) => io.stderr(`note: ${note}\n`)));
        return 0;
      }
    }
  } catch (err) {
    // A refused configuration or output is the user's to fix: what to do, not a stack trace.
    if (err instanceof ConfigError || err instanceof OutputError) {
      io.stderr(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
