/** Files the package ships beside its code: found from the package root, wherever it runs from. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The package's name, as users install it. */
export const PACKAGE_NAME = 'immich-k8s';

/** The JSON Schema of the configuration, relative to the package root. */
export const SCHEMA_FILE = 'schema/immich-k8s.schema.json';

/** The starter configuration `init` writes, relative to the package root. */
export const TEMPLATE_FILE = 'templates/immich.yaml';

let root: string | undefined;

/**
 * The folder holding the package's package.json: two levels up from the compiled `lib/src/cli/`,
 * one from `src/cli/` when the tests run the source, so it is looked for rather than assumed.
 */
export function packageRoot(): string {
  if (root) return root;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME
    ) {
      return (root = dir);
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package above ${__dirname}`);
  }
}

/** The package's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
