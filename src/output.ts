import {
  accessSync,
  constants,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Chart } from 'cdk8s';
import { renderArchitecture } from './architecture';
import type { ImmichCharts } from './chart';
import type { Manifest } from './lib/manifest';
import { type RenderYaml, renderYaml } from './lib/yaml-cache';

/** Folder of the Argo CD Application below the output, outside the app's own (flat) folder. */
export const ARGOCD_FOLDER = 'argocd';

/** Apply order for `kubectl apply -f dist/`, which reads files by name. */
const KIND_ORDER: Record<string, number> = {
  Namespace: 0,
  ServiceAccount: 1,
  NetworkPolicy: 1,
  Secret: 1,
  ConfigMap: 1,
  ExternalSecret: 1,
  SealedSecret: 1,
  // The object store exists before the Cluster that archives into it.
  ObjectStore: 1,
  PersistentVolume: 2,
  PersistentVolumeClaim: 2,
  Service: 3,
  StatefulSet: 4,
  Deployment: 4,
  Cluster: 4,
  PodDisruptionBudget: 4,
  IngressRoute: 5,
  ScheduledBackup: 5,
  Backup: 5,
  CronJob: 5,
  ReplicationSource: 5,
  ReplicationDestination: 5,
  ServiceMonitor: 5,
  PodMonitor: 5,
  PrometheusRule: 5,
};

/** Re-exported: callers of the writer get the type of what it writes from the same module. */
export type { Manifest };

/**
 * The chart's objects, one file each, named `<order>-<kind>-<name>.yaml` so that a plain
 * `kubectl apply -f` creates the namespace and Secrets before the workloads.
 */
export function renderManifests(chart: Chart, folder?: string): Manifest[] {
  return chart.toJson().map((object: Manifest['object']) => {
    const order = KIND_ORDER[object.kind] ?? 9;
    const file = `${order}0-${object.kind.toLowerCase()}-${object.metadata.name}.yaml`;
    return { file: folder ? join(folder, file) : file, object };
  });
}

/** Every manifest of the charts: the app's at the top, the Argo CD Application in its folder. */
export function renderCharts(charts: ImmichCharts): Manifest[] {
  return [...renderManifests(charts.app), ...(charts.argocd ? renderManifests(charts.argocd, ARGOCD_FOLDER) : [])];
}

/** The architecture document synth writes beside the manifests it describes. */
export const ARCHITECTURE_FILE = 'ARCHITECTURE.md';

/** How {@link writeManifests} renders and writes. */
export interface WriteOptions {
  /**
   * Renders each object.
   * @default cdk8s's YAML (main.ts passes a cache of the last run's text)
   */
  readonly yaml?: RenderYaml;
  /**
   * The previous output: a file that holds exactly the text to write is hard-linked from it
   * rather than written again (a link costs a tenth of a write), keeping its modification time.
   * @default none: every file is written
   */
  readonly previous?: string;
}

/** Writes manifests, and the architecture document built from them, into a fresh directory. */
export function writeManifests(manifests: readonly Manifest[], dir: string, options: WriteOptions = {}): void {
  const { yaml = renderYaml, previous } = options;
  // Rendered first: a failure here is no write error.
  const architecture = renderArchitecture(manifests.map((m) => m.object));
  try {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const write = (file: string, text: string) => writeText(join(dir, file), text, previous && join(previous, file));
    for (const { file, object } of manifests) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      write(file, yaml(object));
    }
    write(ARCHITECTURE_FILE, architecture);
  } catch (err) {
    throw new OutputError(`cannot write ${dir}/: ${(err as Error).message}`);
  }
}

/**
 * Writes `text` to `path`, or links `previous` there when it is a plain file holding that very text
 * and linked nowhere else: the new output shares a file only with the output it replaces.
 */
function writeText(path: string, text: string, previous: string | undefined): void {
  try {
    const stats = previous ? lstatSync(previous) : undefined;
    if (previous && stats?.isFile() && stats.nlink === 1 && readFileSync(previous, 'utf8') === text) {
      linkSync(previous, path);
      return;
    }
  } catch {
    // No previous file, or a file system without hard links: write it.
  }
  writeFileSync(path, text);
}

/** Thrown when the output cannot be written; the previous output is left as it was. */
export class OutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutputError';
  }
}

/**
 * Replaces `target` with a folder filled by `write`, by renames, so that a failure at any point
 * leaves either the old or the new output, never a mix. Leftovers of an interrupted run are
 * cleaned up first (restoring the old output if the run stopped between the two renames), and
 * every folder that must change is checked for write access before anything is touched.
 */
export function publish(target: string, write: (dir: string) => void): void {
  const next = `${target}.next`;
  const old = `${target}.old`;
  recover(target);
  for (const leftover of [next, old]) {
    writable(leftover, target);
    rmSync(leftover, { recursive: true, force: true });
  }
  // Renaming needs the parent folder itself writable, not what else it holds.
  writable(dirname(resolve(target)), target, false);
  if (existsSync(target)) writable(target, target);
  try {
    write(next);
  } catch (err) {
    rmSync(next, { recursive: true, force: true });
    throw err;
  }
  if (existsSync(target)) renameSync(target, old);
  renameSync(next, target);
  try {
    rmSync(old, { recursive: true, force: true });
  } catch (err) {
    // Put the previous output back rather than leave the new one behind a failed exit.
    renameSync(target, next);
    renameSync(old, target);
    rmSync(next, { recursive: true, force: true });
    throw new OutputError(`cannot replace ${target}/: ${(err as Error).message}; the previous ${target}/ is unchanged`);
  }
}

/**
 * Puts the previous output back when a run was cut off between its two renames (`target` gone,
 * `target.old` still there). Runs before anything else, so that even a failing synth restores it.
 */
export function recover(target: string): void {
  const old = `${target}.old`;
  if (!existsSync(target) && existsSync(old)) renameSync(old, target);
}

/**
 * Fails with one clear line unless `path` can be written and, when `recursive`, every folder below
 * it too (so it can be emptied).
 */
function writable(path: string, target: string, recursive = true): void {
  if (!existsSync(path) || !statSync(path).isDirectory()) return;
  const below = recursive
    ? readdirSync(path, { recursive: true, withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => join(e.parentPath, e.name))
    : [];
  const folders = [path, ...below];
  for (const folder of folders) {
    try {
      accessSync(folder, constants.W_OK);
    } catch {
      throw new OutputError(
        `cannot replace ${target}/: ${folder} is not writable by this user; the previous ${target}/ is unchanged (make it writable, e.g. chmod -R u+w ${folder})`,
      );
    }
  }
}
