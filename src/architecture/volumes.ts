/** The Persistent volumes section: every claim, its size and users, and what backs it up. */
import { CLOUDNATIVE_PG, DATA_TIERS } from '../constants';
import { type ClaimSpec, type CnpgCluster, type CronJob, ofKind } from '../lib/kube-json';
import { code, table } from '../lib/markdown';
import { type Claim, readClaims } from './claims';
import { type DatabaseDump, databaseDumps } from './dumps';
import { type Model, type Workload, containersOf } from './model';
import { retainText } from './text';

/** The Persistent volumes section: a table of every claim and what backs it up. */
export function volumes(model: Model): string {
  const claims = readClaims(model);
  const dumps = databaseDumps(model);
  const rows = claims.map((claim) => [
    `${code(claim.name)}${claim.origin ? ` (${claim.origin})` : ''}`,
    claim.spec ? (claim.spec.resources?.requests?.storage ?? 'unset') : 'unknown',
    claim.spec ? (claim.spec.accessModes ?? []).join(', ') || 'unset' : 'unknown',
    claim.spec ? storageClassText(claim.spec) : 'unknown',
    claim.users.map((u) => u.how).join('; ') || 'nothing',
    backupsOf(model, claim, dumps),
  ]);
  const pvs = ofKind(model.objects, 'PersistentVolume').map((pv) => [
    code(pv.metadata.name),
    pv.spec.capacity?.storage ?? 'unset',
    (pv.spec.accessModes ?? []).join(', '),
    pv.spec.nfs
      ? `NFS ${code(`${pv.spec.nfs.server}:${pv.spec.nfs.path}`)}${pv.spec.nfs.readOnly ? ', read-only' : ''}${pv.spec.mountOptions?.length ? `, options ${pv.spec.mountOptions.join(',')}` : ''}`
      : 'not NFS',
    pv.spec.persistentVolumeReclaimPolicy ?? 'Delete',
    pv.spec.claimRef ? code(pv.spec.claimRef.name) : 'none',
  ]);
  return [
    '## Persistent volumes',
    '',
    table(['Claim', 'Size', 'Access modes', 'Storage class', 'Mounted by', 'Backed up by'], rows),
    ...(pvs.length > 0
      ? [
          '',
          'PersistentVolumes:',
          '',
          table(['Volume', 'Capacity', 'Access modes', 'Source', 'Reclaim policy', 'Bound claim'], pvs),
        ]
      : []),
  ].join('\n');
}

function storageClassText(spec: ClaimSpec): string {
  if (spec.storageClassName === undefined) return 'cluster default';
  if (spec.storageClassName === '') {
    return `none: binds ${spec.volumeName ? `PersistentVolume ${code(spec.volumeName)}` : 'a matching PersistentVolume'}`;
  }
  return code(spec.storageClassName);
}

function backupsOf(model: Model, claim: Claim, dumps: readonly DatabaseDump[]): string {
  const backups: string[] = [];
  for (const source of ofKind(model.objects, 'ReplicationSource').filter((s) => s.spec.sourcePVC === claim.name)) {
    const restic = source.spec.restic;
    const when = source.spec.trigger?.schedule ? ` at ${code(source.spec.trigger.schedule)}` : '';
    const keeps = restic?.retain ? `, keeps ${retainText(restic.retain)}` : '';
    backups.push(
      `restic to the repository of secret ${code(restic?.repository ?? '')}${when}${keeps} (ReplicationSource ${code(source.metadata.name)})`,
    );
  }
  const cluster = claim.users.find((u) => u.workload.kind === 'Cluster')?.workload;
  const archiver = cluster && ((cluster.object as CnpgCluster).spec.plugins ?? []).find((p) => p.isWALArchiver);
  const storeName = archiver?.parameters?.barmanObjectName;
  if (cluster && storeName) {
    const store = ofKind(model.objects, 'ObjectStore').find((o) => o.metadata.name === storeName);
    const where = store ? code(store.spec.configuration.destinationPath) : 'object storage';
    const schedules = ofKind(model.objects, 'ScheduledBackup')
      .filter((b) => b.spec.cluster.name === cluster.name)
      .map((b) => ` and base backups at ${code(b.spec.schedule)} (ScheduledBackup ${code(b.metadata.name)})`);
    backups.push(`WAL archive${schedules.join('')} to ${where} (ObjectStore ${code(storeName)})`);
  }
  if (cluster) backups.push(...logicalDumps(model, cluster));
  const ownDumps = dumps.filter((d) => claim.users.some((u) => u.workload === d.database));
  backups.push(...ownDumps.filter((d) => d.enabled !== false).map((d) => d.text));
  if (backups.length > 0) return backups.join('; ');
  const derived = Object.values(DATA_TIERS).find((t) => claim.users.some((u) => u.mountPath === t.mountPath));
  if (derived) return `nothing: Immich makes these files again from the originals (job ${code(derived.regeneratedBy)})`;
  const disabled = ownDumps.find((d) => d.enabled === false);
  if (disabled) return `nothing: ${disabled.text}`;
  const pv = ofKind(model.objects, 'PersistentVolume').find((v) => v.metadata.name === claim.spec?.volumeName);
  if (!claim.spec) return 'nothing in these manifests';
  if (pv?.spec.nfs) {
    return `nothing in the cluster: the data lives on NFS ${code(`${pv.spec.nfs.server}:${pv.spec.nfs.path}`)}`;
  }
  return 'nothing';
}

/** The CronJobs that dump a cluster: their `PGHOST` is one of its Services. */
function logicalDumps(model: Model, cluster: Workload): string[] {
  const services = CLOUDNATIVE_PG.services.map((s) => `${cluster.name}-${s}`);
  return model.workloads
    .filter((w) => w.kind === 'CronJob')
    .flatMap((w) => {
      const env = new Map(
        containersOf(w.template?.spec).flatMap(({ container }) => (container.env ?? []).map((e) => [e.name, e.value])),
      );
      if (!services.includes(env.get('PGHOST') ?? '')) return [];
      const { schedule, timeZone } = (w.object as CronJob).spec;
      const claims = (w.template?.spec?.volumes ?? []).flatMap((v) =>
        v.persistentVolumeClaim ? [code(v.persistentVolumeClaim.claimName)] : [],
      );
      const keeps = env.get('KEEP') ? `, keeps ${env.get('KEEP')}` : '';
      return [
        `pg_dump at ${code(schedule)}${timeZone ? ` (${timeZone})` : ''} into PVC ${claims.join(', ')}${keeps} (CronJob ${code(w.name)})`,
      ];
    });
}
