import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildCharts } from '../../src/chart';
import { type Config, parseConfig } from '../../src/config';
import { type Manifest, renderCharts } from '../../src/output';
import { assertNoDrift } from './drift';

/** Project root, for tests that read shipped files or run the bundled app. */
export const ROOT = join(__dirname, '..', '..');

/** The shipped example configuration as YAML text. */
export const EXAMPLE_YAML = readFileSync(join(ROOT, 'config', 'example.yaml'), 'utf8');

/**
 * The example configuration as the app's YAML reader gives it to parseConfig, read once: merge
 * into copies of it (parseConfig takes objects too, and copies its input).
 */
export const EXAMPLE: Readonly<Record<string, unknown>> = parse(EXAMPLE_YAML) as Record<string, unknown>;

/** A Kubernetes object as plain JSON. */
export type KubeObject = Manifest['object'] & {
  metadata: { namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: any;
  stringData?: any;
};

/** Parses a configuration: the example file, with `overrides` merged over it, plus environment. */
export function config(overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): Config {
  return parseConfig(deepMerge(EXAMPLE, overrides), env, 'test');
}

/** Synthesizes the app for a configuration and returns every manifest. */
export function synth(overrides: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}): Manifest[] {
  const manifests = renderCharts(buildCharts(config(overrides, env)));
  // Every configuration any test synthesizes is held to the drift guard.
  assertNoDrift(manifests.map((m) => m.object));
  return manifests;
}

/** The single object of a kind and name; fails the test when there is not exactly one. */
export function findOne(manifests: readonly Manifest[], kind: string, name: string): KubeObject {
  const found = manifests.filter((m) => m.object.kind === kind && m.object.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
  return found[0]!.object;
}

/** The first container of a workload's pod template. */
export function mainContainer(workload: KubeObject): any {
  return workload.spec.template.spec.containers[0];
}

/** A container's environment as name → value or `secret:<name>/<key>`. */
export function envOf(container: any): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env ?? []) {
    env[e.name] = e.valueFrom?.secretKeyRef
      ? `secret:${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`
      : e.value;
  }
  return env;
}

/** Parses configuration YAML and returns the error message, or fails when it parses. */
export function configError(yamlText: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(yamlText, env, 'test.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be rejected');
}

const REPLACE = Symbol('replace');

/** Marks an override that replaces the example's value instead of merging into it. */
export function replace(value: unknown): Record<string, unknown> {
  return { [REPLACE]: value };
}

/** Merges overrides into the example; `undefined` removes a key. */
function deepMerge(base: Readonly<Record<string, unknown>>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    if (value === undefined) delete out[key];
    else if (isPlainObject(value) && REPLACE in value) out[key] = value[REPLACE];
    else out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string | symbol, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The Secret key a container reads through `<variable>_FILE`, as `secret:<name>/<key>`: the
 * variable points into a mounted projected volume whose item of that path comes from the Secret.
 */
export function secretFileOf(workload: KubeObject, variable: string): string | undefined {
  const container = mainContainer(workload);
  const path = envOf(container)[`${variable}_FILE`];
  if (!path) return undefined;
  const mount = (container.volumeMounts ?? []).find((m: any) => path.startsWith(`${m.mountPath}/`));
  const volume = workload.spec.template.spec.volumes.find((v: any) => v.name === mount?.name);
  const file = path.slice(mount.mountPath.length + 1);
  for (const source of volume?.projected?.sources ?? []) {
    const item = (source.secret?.items ?? []).find((i: any) => i.path === file);
    if (item) return `secret:${source.secret.name}/${item.key}`;
  }
  return undefined;
}
