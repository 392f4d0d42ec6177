/**
 * The reminder synth prints when `immich.version` changes: Immich migrates its database when it
 * starts on a new release and cannot undo that, so a backup must come first.
 * @see https://immich.app/docs/administration/backup-and-restore
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { preUpgradeBackupName } from './components/cloudnative-pg';
import type { Config } from './config';
import { CLOUDNATIVE_PG, IMAGES, NAMES } from './constants';
import type { Manifest } from './output';

/** The release an image reference of the server runs, e.g. `v3.3.1` of `…/immich-server:v3.3.1@sha256:…`. */
export function serverRelease(image: string): string | undefined {
  const prefix = `${IMAGES.server}:`;
  return image.startsWith(prefix) ? image.slice(prefix.length).split('@')[0] : undefined;
}

/** The guide to the backup before an upgrade, for each engine, named at the end of a reminder. */
const UPGRADE_GUIDE = 'docs/upgrades.md#before-an-immich-upgrade';

/** The image line of the server in a rendered file: reading it costs less than parsing the file. */
const SERVER_IMAGE_LINE = new RegExp(
  `image: ["']?(${IMAGES.server.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:[^\\s"']+)`,
);

/** The release the server Deployment of `manifests` runs in the same file in `dir` (the previous output). */
export function previousRelease(manifests: readonly Manifest[], dir: string): string | undefined {
  const server = manifests.find((m) => m.object.kind === 'Deployment' && m.object.metadata.name === NAMES.server);
  const file = server && join(dir, server.file);
  if (!file || !existsSync(file)) return undefined;
  const image = SERVER_IMAGE_LINE.exec(readFileSync(file, 'utf8'))?.[1];
  return image && serverRelease(image);
}

/**
 * The `warning:` line for a move from release `from` to the configured one: what Argo CD does,
 * and the command to run first with plain kubectl; undefined when the release stays.
 */
export function upgradeReminder(config: Config, from: string | undefined): string | undefined {
  const to = config.immich.version;
  if (!from || from === to) return undefined;
  const ns = `kubectl -n ${config.namespace}`;
  const move = `immich.version moves from ${from} to ${to}: Immich migrates its database when it starts and cannot undo that`;
  const file = `immich-before-${to}.sql.gz`;
  const { database } = config;
  if (database.engine === 'bundled') {
    return `${move}; dump it before you apply: ${ns} exec ${NAMES.postgres}-0 -- pg_dumpall --clean --if-exists --username=${database.username} | gzip > ${file} (see ${UPGRADE_GUIDE})`;
  }
  const { backup } = database.cloudnativePg;
  if (!backup) {
    const primary = `$(${ns} get pod -l ${CLOUDNATIVE_PG.clusterLabel}=${NAMES.cloudnativePg},cnpg.io/instanceRole=primary -o name)`;
    return `${move}; dump it before you apply: ${ns} exec ${primary} -c postgres -- pg_dumpall --clean --if-exists | gzip > ${file} (see ${UPGRADE_GUIDE})`;
  }
  const name = preUpgradeBackupName(to);
  const command = `kubectl cnpg backup ${NAMES.cloudnativePg} -n ${config.namespace} --method plugin --plugin-name ${CLOUDNATIVE_PG.barmanPlugin} --backup-name ${name}`;
  const wait = `${ns} wait backup/${name} --for=jsonpath='{.status.phase}'=completed --timeout=2h`;
  const argocd = backup.beforeUpgrade
    ? `Argo CD takes the base backup ${name} first (with deploy/argocd-cm-backup-health.yaml in argocd-cm); with kubectl apply, first run`
    : 'take a base backup first';
  return `${move}; ${argocd}: ${command} && ${wait} (see ${UPGRADE_GUIDE})`;
}
