/**
 * Writes the configuration's reference from its schema: the JSON Schema editors read
 * (schema/immich-k8s.schema.json, shipped in the package) and docs/configuration.md. Both are
 * committed; `npm run check-dist` fails when they differ from what this writes.
 * Run as `npm run reference` (the bundle scripts/run.cjs builds from this file).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ENV_FALLBACKS, ENV_OVERRIDES, configSchema } from '../../src/config';
import { readDocs } from './doc-comments';
import { configJsonSchema } from './json-schema';
import { configurationReference } from './markdown';

/** The project root: the bundle runs from build/. */
const ROOT = join(__dirname, '..');

/** Where each output goes, relative to the root. */
export const OUTPUTS = { schema: 'schema/immich-k8s.schema.json', docs: 'docs/configuration.md' };

const docs = readDocs(join(ROOT, 'src', 'config', 'schema.ts'), 'configSchema');
const { jsonSchema, defaults } = configJsonSchema(configSchema, docs, {
  title: 'immich-k8s configuration',
  description:
    'One environment of immich-k8s: `immich-k8s synth --config FILE --out DIR` turns it into Kubernetes manifests for Immich. Every key is optional except `domain`.',
});
const write = (file: string, text: string) => {
  mkdirSync(dirname(join(ROOT, file)), { recursive: true });
  writeFileSync(join(ROOT, file), text);
};
write(OUTPUTS.schema, `${JSON.stringify(jsonSchema, null, 2)}\n`);
write(
  OUTPUTS.docs,
  configurationReference(jsonSchema, defaults, { overrides: ENV_OVERRIDES, fallbacks: ENV_FALLBACKS }),
);
