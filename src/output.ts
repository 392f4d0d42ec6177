import { cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Chart, Yaml } from 'cdk8s';
import type { ImmichCharts } from './chart';

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
  ReplicationSource: 5,
  ReplicationDestination: 5,
  ServiceMonitor: 5,
  PodMonitor: 5,
  PrometheusRule: 5,
};

/** A synthesized manifest and the file it is written to. */
export interface Manifest {
  readonly file: string;
  readonly object: { apiVersion: string; kind: string; metadata: { name: string } } & Record<string, unknown>;
}

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

/** Writes manifests into a fresh directory. */
export function writeManifests(manifests: readonly Manifest[], dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const { file, object } of manifests) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), Yaml.stringify(object));
  }
}

/**
 * Replaces `target` with a copy of `staging` by renames, so that a failure at any point leaves
 * either the old or the new output, never a mix.
 */
export function publish(staging: string, target: string): void {
  const next = `${target}.next`;
  const old = `${target}.old`;
  rmSync(next, { recursive: true, force: true });
  rmSync(old, { recursive: true, force: true });
  cpSync(staging, next, { recursive: true });
  if (existsSync(target)) renameSync(target, old);
  renameSync(next, target);
  rmSync(old, { recursive: true, force: true });
}
