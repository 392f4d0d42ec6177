/**
 * The logical backup: a `pg_dump` CronJob beside a CloudNativePG cluster. Its objects and
 * settings, the rules every CronJob of every scenario keeps, and its own shell script, run against
 * a pg_dump stand-in to prove rotation, atomic writes and a visible failure.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCharts } from '../src/chart';
import { SYNC_WAVES } from '../src/lib/argocd';
import { renderCharts } from '../src/output';
import { DUMPS_REPOSITORY, LOGICAL_BACKUP, SCENARIOS, VOLUME_BACKUPS, scenarioConfig } from './support/modes';
import { allowed, type Peer, selectorMatches } from './support/netpol';
import { type KubeObject, config, findOne, synth } from './support/synth';

/** The example on CloudNativePG with logical backups (Immich's own dump off, as that engine requires). */
const cnpg = (cloudnativePg: Record<string, unknown> = {}, more: Record<string, unknown> = {}) => ({
  database: { engine: 'cloudnative-pg', cloudnativePg: { logicalBackup: {}, ...cloudnativePg } },
  backup: { database: { enabled: false } },
  ...more,
});
const objects = (overrides: Record<string, unknown>) => synth(overrides).map((m) => m.object as KubeObject);
const cronJob = (overrides: Record<string, unknown>) => findOne(synth(overrides), 'CronJob', 'immich-pg-dump');
const podSpec = (job: KubeObject) => job.spec.jobTemplate.spec.template.spec;
const container = (job: KubeObject) => podSpec(job).containers[0];
const envOf = (job: KubeObject): Record<string, string> =>
  Object.fromEntries(container(job).env.map((e: any) => [e.name, e.value]));

/** Why a configuration is refused, or a failure when it is not. */
function refusal(overrides: Record<string, unknown>): string {
  try {
    config(overrides);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('the logical backup', () => {
  const job = cronJob(cnpg());

  test('a CronJob runs pg_dump in custom format against the replicas, or any instance when there is one', () => {
    expect(container(job).command.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(container(job).command[2]).toContain('pg_dump --format=custom');
    expect(envOf(job)).toMatchObject({ PGHOST: 'immich-pg-ro', PGPORT: '5432', PGDATABASE: 'immich' });
    expect(envOf(cronJob(cnpg({ instances: 1 }))).PGHOST).toBe('immich-pg-r');
    expect(envOf(cronJob(cnpg({ instances: 2 }))).PGHOST).toBe('immich-pg-ro');
  });

  test("logs in as the database owner with the operator Secret's pgpass read as a file, over TLS", () => {
    expect(envOf(job)).toMatchObject({ PGUSER: 'immich', PGSSLMODE: 'require', PGPASSFILE: '/run/pgpass/pgpass' });
    expect(envOf(cronJob(cnpg({ owner: 'photos' }))).PGUSER).toBe('photos');
    expect(container(job).env.filter((e: any) => e.valueFrom)).toEqual([]);
    const path = envOf(job).APP_PGPASS_FILE!;
    const mount = container(job).volumeMounts.find((m: any) => path.startsWith(`${m.mountPath}/`));
    const volume = podSpec(job).volumes.find((v: any) => v.name === mount.name);
    expect(mount.readOnly).toBe(true);
    expect(volume.projected.sources).toEqual([
      { secret: { name: 'immich-pg-app', items: [{ key: 'pgpass', path: path.slice(mount.mountPath.length + 1) }] } },
    ]);
    // The private copy libpq reads lives in memory, never on the dumps volume.
    const copy = podSpec(job).volumes.find((v: any) => v.name === 'pgpass');
    expect(copy.emptyDir.medium).toBe('Memory');
  });

  test("runs the cluster's own operand image, so pg_dump has the server's major version", () => {
    const cluster = findOne(synth(cnpg()), 'Cluster', 'immich-pg');
    expect(container(job).image).toBe(cluster.spec.imageName);
    const image = `ghcr.io/tensorchord/cloudnative-vectorchord:17.7-1.0.0@sha256:${'c'.repeat(64)}`;
    expect(container(cronJob(cnpg({ imageName: image }))).image).toBe(image);
  });

  test('first waits, from the operand image and for at most 10 minutes, until the Service it dumps from accepts connections', () => {
    const [wait, ...others] = podSpec(job).initContainers;
    expect(others).toEqual([]);
    expect(wait.image).toBe(container(job).image);
    expect(wait.command.slice(-2)).toEqual([envOf(job).PGHOST, envOf(job).PGPORT]);
    expect(wait.env).toEqual([{ name: 'WAIT_SECONDS', value: '600' }]);
    expect(wait.securityContext).toEqual(container(job).securityContext);
  });

  test("runs as the operand image's postgres user (uid 26), which owns the dumps, with no API token", () => {
    expect(podSpec(job).securityContext).toMatchObject({ runAsUser: 26, runAsGroup: 26, fsGroup: 26 });
    expect(podSpec(job).automountServiceAccountToken).toBe(false);
    expect(findOne(synth(cnpg()), 'ServiceAccount', 'immich-pg-dump').automountServiceAccountToken).toBe(false);
  });

  test('dumps at 02:00 in timezone and keeps 7 on a 5Gi volume by default', () => {
    expect(job.spec).toMatchObject({ schedule: '0 2 * * *', timeZone: 'UTC' });
    expect(envOf(job).KEEP).toBe('7');
    const claim = findOne(synth(cnpg()), 'PersistentVolumeClaim', 'immich-pg-dumps');
    expect(claim.spec.resources.requests.storage).toBe('5Gi');
  });

  test('schedule, time zone, dumps kept, volume and resources follow the configuration', () => {
    const custom = cnpg(
      {
        logicalBackup: {
          ...LOGICAL_BACKUP,
          storage: { size: '20Gi', storageClass: 'nfs' },
          resources: { requests: { cpu: '500m' }, limits: { memory: '2Gi' } },
        },
      },
      { timezone: 'Europe/Berlin' },
    );
    const customJob = cronJob(custom);
    expect(customJob.spec).toMatchObject({ schedule: '30 1 * * *', timeZone: 'Europe/Berlin' });
    expect(envOf(customJob).KEEP).toBe('3');
    expect(container(customJob).resources).toEqual({
      requests: { cpu: '500m', memory: '256Mi' },
      limits: { memory: '2Gi' },
    });
    const claim = findOne(synth(custom), 'PersistentVolumeClaim', 'immich-pg-dumps');
    expect(claim.spec).toMatchObject({ storageClassName: 'nfs', resources: { requests: { storage: '20Gi' } } });
  });

  test('writes to PVC immich-pg-dumps, which Argo CD never prunes, in the last sync wave with its CronJob', () => {
    const all = objects(cnpg());
    const claim = findOne(synth(cnpg()), 'PersistentVolumeClaim', 'immich-pg-dumps');
    expect(podSpec(job).volumes).toContainEqual({
      name: 'dumps',
      persistentVolumeClaim: { claimName: 'immich-pg-dumps' },
    });
    expect(claim.metadata.annotations?.['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    const wave = (o: KubeObject) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave']);
    const last = Math.max(...all.filter((o) => o.kind !== 'Application').map(wave));
    expect([wave(claim), wave(job)]).toEqual([last, last]);
  });

  test('nothing of it is synthesized without logicalBackup', () => {
    const names = objects(cnpg({ logicalBackup: undefined })).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names.filter((n) => /immich-pg-dump/.test(n))).toEqual([]);
    expect(names).toContain('Cluster/immich-pg');
  });
});

describe("the dump pod's network", () => {
  const all = objects(cnpg());
  const namespace = { kind: 'pod', namespace: 'immich', namespaceLabels: { 'kubernetes.io/metadata.name': 'immich' } };
  const dumper = {
    ...namespace,
    podLabels: podSpecLabels(findOne(synth(cnpg()), 'CronJob', 'immich-pg-dump')),
  } as Peer;
  const instance = {
    ...namespace,
    podLabels: { 'cnpg.io/cluster': 'immich-pg', 'cnpg.io/podRole': 'instance', 'cnpg.io/instanceRole': 'replica' },
  } as Peer;
  const server = {
    ...namespace,
    podLabels: findOne(synth(cnpg()), 'Deployment', 'immich-server').spec.template.metadata.labels,
  } as Peer;

  test('reaches the instances on 5432 alone, and DNS', () => {
    expect(allowed(all, dumper, instance, 5432)).toBe(true);
    expect(allowed(all, dumper, instance, 8000)).toBe(false);
    const dns: Peer = {
      kind: 'pod',
      namespace: 'kube-system',
      namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
      podLabels: { 'k8s-app': 'kube-dns' },
    };
    expect(allowed(all, dumper, dns, 53, 'UDP')).toBe(true);
    expect(allowed(all, dumper, server, 2283)).toBe(false);
    expect(allowed(all, dumper, { kind: 'ip', ip: '140.82.112.3' }, 443)).toBe(false);
  });

  test('accepts no connection', () => {
    for (const from of [server, instance]) expect(allowed(all, from, dumper, 5432)).toBe(false);
  });

  test('is its own NetworkPolicy, absent without logicalBackup', () => {
    expect(findOne(synth(cnpg()), 'NetworkPolicy', 'immich-pg-dump').spec.podSelector.matchLabels).toEqual(
      (dumper as Extract<Peer, { kind: 'pod' }>).podLabels,
    );
    expect(objects(cnpg({ logicalBackup: undefined })).filter((o) => o.metadata.name === 'immich-pg-dump')).toEqual([]);
  });
});

describe('dumps carried off-site by VolSync', () => {
  const withVolumes = cnpg({}, { backup: { database: { enabled: false }, volumes: VOLUME_BACKUPS } });
  const dumpsVolume = { claims: ['data', 'dumps'], repositorySecrets: { dumps: DUMPS_REPOSITORY } };
  const carried = cnpg(
    {},
    { backup: { database: { enabled: false }, volumes: { ...VOLUME_BACKUPS, ...dumpsVolume } } },
  );

  test('dumps in backup.volumes.claims backs up immich-pg-dumps into its own repository, as the dumps owner, in their wave', () => {
    const source = findOne(synth(carried), 'ReplicationSource', 'immich-pg-dumps');
    const data = findOne(synth(carried), 'ReplicationSource', 'immich-data');
    expect(source.spec.sourcePVC).toBe('immich-pg-dumps');
    expect(source.spec.trigger).toEqual(data.spec.trigger);
    expect(source.spec.restic).toMatchObject({
      repository: DUMPS_REPOSITORY,
      retain: data.spec.restic.retain,
      moverSecurityContext: { runAsUser: 26, runAsGroup: 26, fsGroup: 26 },
    });
    expect(source.metadata.annotations?.['argocd.argoproj.io/sync-options']).toContain('Prune=false');
    expect(source.metadata.annotations?.['argocd.argoproj.io/sync-wave']).toBe(String(SYNC_WAVES.scheduled));
  });

  test('the dumps are copied Direct, without a snapshot class, whatever copyMethod the other volumes use', () => {
    const sources = (overrides: Record<string, unknown>) =>
      Object.fromEntries(
        objects(overrides)
          .filter((o) => o.kind === 'ReplicationSource')
          .map((o) => [o.metadata.name, [o.spec.restic.copyMethod, o.spec.restic.volumeSnapshotClassName]]),
      );
    expect(VOLUME_BACKUPS.copyMethod).toBe('Snapshot');
    expect(sources(carried)).toEqual({
      'immich-data': ['Snapshot', VOLUME_BACKUPS.volumeSnapshotClassName],
      'immich-pg-dumps': ['Direct', undefined],
    });
    const cloned = { ...VOLUME_BACKUPS, copyMethod: 'Clone', volumeSnapshotClassName: undefined, ...dumpsVolume };
    expect(sources(cnpg({}, { backup: { database: { enabled: false }, volumes: cloned } }))).toEqual({
      'immich-data': ['Clone', undefined],
      'immich-pg-dumps': ['Direct', undefined],
    });
  });

  test('a restore writes the dumps back into immich-pg-dumps as their owner', () => {
    const restoring = cnpg(
      {},
      {
        backup: {
          database: { enabled: false },
          volumes: { ...VOLUME_BACKUPS, ...dumpsVolume, restore: { enabled: true } },
        },
      },
    );
    const destination = findOne(synth(restoring), 'ReplicationDestination', 'immich-pg-dumps-restore');
    expect(destination.spec.restic).toMatchObject({
      repository: DUMPS_REPOSITORY,
      destinationPVC: 'immich-pg-dumps',
      moverSecurityContext: { runAsUser: 26, runAsGroup: 26, fsGroup: 26 },
    });
    expect(destination.metadata.annotations?.['argocd.argoproj.io/sync-wave']).toBe(String(SYNC_WAVES.scheduled));
  });

  test('without dumps in backup.volumes.claims the dumps stay in the cluster', () => {
    expect(
      objects(withVolumes)
        .filter((o) => o.kind === 'ReplicationSource')
        .map((o) => o.metadata.name),
    ).toEqual(['immich-data']);
  });
});

describe('configuration errors', () => {
  test('fails when logicalBackup is set with the bundled database', () => {
    expect(refusal({ database: { cloudnativePg: { logicalBackup: { keep: 3 } } } })).toContain(
      'database.cloudnativePg.logicalBackup: only used with database.engine "cloudnative-pg", whose cluster it dumps',
    );
  });

  test('fails on keep below 1, a fractional keep and a six-field or invalid schedule, naming each key', () => {
    expect(refusal(cnpg({ logicalBackup: { keep: 0 } }))).toContain(
      'database.cloudnativePg.logicalBackup.keep: must be at least 1, got 0',
    );
    expect(refusal(cnpg({ logicalBackup: { keep: 2.5 } }))).toContain(
      'database.cloudnativePg.logicalBackup.keep: must be a whole number, got 2.5',
    );
    expect(refusal(cnpg({ logicalBackup: { schedule: '0 0 2 * * *' } }))).toContain(
      'database.cloudnativePg.logicalBackup.schedule: must be a five-field cron expression, like "0 2 * * *"; it has 6 fields',
    );
    expect(refusal(cnpg({ logicalBackup: { schedule: '0 25 * * *' } }))).toContain(
      'database.cloudnativePg.logicalBackup.schedule: must be a five-field cron expression, like "0 2 * * *"; its hour field "25"',
    );
    expect(refusal(cnpg({ logicalBackup: { storage: { size: '5 GB' } } }))).toContain(
      'database.cloudnativePg.logicalBackup.storage.size: must be a Kubernetes quantity',
    );
    expect(refusal(cnpg({ logicalBackup: { kept: 3 } }))).toContain(
      'database.cloudnativePg.logicalBackup.kept: unknown key; allowed keys here: schedule, keep, storage, resources',
    );
  });

  test('fails on dumps in backup.volumes.claims without logical backups, naming the key and the missing section', () => {
    const volumes = { ...VOLUME_BACKUPS, claims: ['data', 'dumps'], repositorySecrets: { dumps: DUMPS_REPOSITORY } };
    expect(
      refusal(cnpg({ logicalBackup: undefined }, { backup: { database: { enabled: false }, volumes } })),
    ).toContain(
      'backup.volumes.claims: "dumps" is the volume immich-pg-dumps of database.cloudnativePg.logicalBackup, which is not set: there are no dumps to back up, got ["data","dumps"]',
    );
  });

  test('fails on dumps without a repository Secret of its own, or a dumps Secret without dumps in claims', () => {
    const refused = (volumes: Record<string, unknown>) =>
      refusal(cnpg({}, { backup: { database: { enabled: false }, volumes: { ...VOLUME_BACKUPS, ...volumes } } }));
    expect(refused({ claims: ['data', 'dumps'] })).toContain(
      'backup.volumes.repositorySecrets.dumps: required with "dumps" in backup.volumes.claims: VolSync backs up one volume per restic repository, so it needs a Secret of its own, got nothing',
    );
    expect(refused({ repositorySecrets: { dumps: DUMPS_REPOSITORY } })).toContain(
      `backup.volumes.repositorySecrets.dumps: only used with "dumps" in backup.volumes.claims, got "${DUMPS_REPOSITORY}" with claims ["data"]`,
    );
    expect(
      refused({ claims: ['data', 'dumps'], repositorySecrets: { dumps: VOLUME_BACKUPS.repositorySecret } }),
    ).toContain('backup.volumes.repositorySecrets: each volume needs a restic repository of its own');
  });
});

describe('the dump alert', () => {
  const monitored = cnpg({}, { monitoring: { enabled: true } });
  const rules = findOne(synth(monitored), 'PrometheusRule', 'immich').spec.groups[0].rules;
  const rule = rules.find((r: any) => r.alert === 'ImmichDatabaseDumpTooOld');

  test("fires, critical, when the CronJob's last success is 2 days old or it never succeeded in 2 days", () => {
    const selector = '{namespace="immich", cronjob="immich-pg-dump"}';
    expect(rule.expr).toBe(
      `(time() - max(kube_cronjob_status_last_successful_time${selector}) > 2 * 86400) or (time() - max(kube_cronjob_created${selector}) > 2 * 86400 unless max(kube_cronjob_status_last_successful_time${selector}))`,
    );
    expect(rule.labels.severity).toBe('critical');
    expect(rule.annotations.description).toContain(
      'kubectl -n immich get jobs -l app.kubernetes.io/name=immich-pg-dump',
    );
  });

  test('is absent without logical backups', () => {
    const plain = findOne(
      synth(cnpg({ logicalBackup: undefined }, { monitoring: { enabled: true } })),
      'PrometheusRule',
      'immich',
    );
    expect(plain.spec.groups[0].rules.map((r: any) => r.alert)).not.toContain('ImmichDatabaseDumpTooOld');
  });
});

/** The pod labels of a workload's template, CronJobs included. */
function podSpecLabels(object: KubeObject): Record<string, string> {
  return (object.kind === 'CronJob' ? object.spec.jobTemplate.spec.template : object.spec.template).metadata.labels;
}

const rendered = Object.entries(SCENARIOS).map(([name, scenario]) => {
  const all = renderCharts(buildCharts(scenarioConfig(scenario))).map((m) => m.object as KubeObject);
  return [name, all] as const;
});

test('some scenario has a logical backup, one of them beside a pooler, so that the rules below check them', () => {
  const dumping = rendered.filter(([, all]) => all.some((o) => o.kind === 'CronJob'));
  expect(dumping.length).toBeGreaterThanOrEqual(2);
  expect(dumping.some(([, all]) => all.some((o) => o.kind === 'Pooler'))).toBe(true);
});

describe.each(rendered)('%s', (_name, all) => {
  const cronJobs = all.filter((o) => o.kind === 'CronJob');
  const wave = (o: KubeObject) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);

  test('every CronJob forbids overlapping runs and has a start deadline, a run deadline, retries, history and a time zone', () => {
    for (const job of cronJobs) {
      const { spec } = job;
      expect({ job: job.metadata.name, concurrencyPolicy: spec.concurrencyPolicy }).toEqual({
        job: job.metadata.name,
        concurrencyPolicy: 'Forbid',
      });
      for (const field of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit'])
        expect({ field, value: spec[field] }).toEqual({ field, value: expect.any(Number) });
      expect(spec.failedJobsHistoryLimit).toBeGreaterThan(0);
      // The same clock as the containers' TZ, which `timezone` sets.
      const server = all.find((o) => o.kind === 'Deployment' && o.metadata.name === 'immich-server')!;
      const tz = server.spec.template.spec.containers[0].env.find((e: any) => e.name === 'TZ');
      expect(spec.timeZone).toBe(tz.value);
      expect(spec.jobTemplate.spec).toMatchObject({
        backoffLimit: expect.any(Number),
        activeDeadlineSeconds: expect.any(Number),
      });
      // A TTL would delete the failed Job whose log says why.
      expect(spec.jobTemplate.spec.ttlSecondsAfterFinished).toBeUndefined();
      expect(['Never', 'OnFailure']).toContain(podSpec(job).restartPolicy);
    }
  });

  test('every claim a CronJob mounts syncs in the last wave with it, and Argo CD never prunes it', () => {
    const last = Math.max(...all.filter((o) => o.kind !== 'Application').map(wave));
    for (const job of cronJobs) {
      expect({ job: job.metadata.name, wave: wave(job) }).toEqual({ job: job.metadata.name, wave: last });
      for (const volume of podSpec(job).volumes ?? []) {
        const name = volume.persistentVolumeClaim?.claimName;
        if (!name) continue;
        const claim = all.find((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === name)!;
        expect({ claim: name, wave: wave(claim) }).toEqual({ claim: name, wave: last });
        expect(claim.metadata.annotations?.['argocd.argoproj.io/sync-options']).toContain('Prune=false,Delete=false');
      }
    }
  });

  test('every dump pod reaches the database instances it names on their port, no pooler, and nothing connects to it', () => {
    const namespace = all.find((o) => o.kind === 'Namespace')!;
    const inNamespace = (podLabels: Record<string, string>): Peer => ({
      kind: 'pod',
      namespace: namespace.metadata.name,
      namespaceLabels: { ...namespace.metadata.labels, 'kubernetes.io/metadata.name': namespace.metadata.name },
      podLabels,
    });
    const clusters = all.filter((o) => o.kind === 'Cluster');
    for (const job of cronJobs) {
      const env = Object.fromEntries(podSpec(job).containers[0].env.map((e: any) => [e.name, e.value]));
      const cluster = clusters.find((c) => String(env.PGHOST).startsWith(`${c.metadata.name}-`))!;
      expect({ job: job.metadata.name, host: env.PGHOST, cluster: cluster?.metadata.name }).toEqual({
        job: job.metadata.name,
        host: env.PGHOST,
        cluster: expect.any(String),
      });
      const dumper = inNamespace(podSpecLabels(job));
      for (const role of ['primary', 'replica']) {
        const instance = inNamespace({
          'cnpg.io/cluster': cluster.metadata.name,
          'cnpg.io/podRole': 'instance',
          'cnpg.io/instanceRole': role,
        });
        expect({ role, reached: allowed(all, dumper, instance, Number(env.PGPORT)) }).toEqual({ role, reached: true });
        expect(allowed(all, instance, dumper, Number(env.PGPORT))).toBe(false);
      }
      // A pooler's PgBouncer pods carry the cluster's label too: the dump's own egress reaches the
      // instances alone, whatever the pooler's ingress allows (so only the dump's policies count).
      for (const pooler of all.filter((o) => o.kind === 'Pooler' && o.spec.cluster.name === cluster.metadata.name)) {
        const labels = {
          'cnpg.io/cluster': cluster.metadata.name,
          'cnpg.io/podRole': 'pooler',
          'cnpg.io/poolerName': pooler.metadata.name,
        };
        const bouncer = inNamespace(labels);
        const own = all.filter(
          (o) =>
            o.kind === 'NetworkPolicy' &&
            selectorMatches(o.spec.podSelector, podSpecLabels(job)) &&
            !selectorMatches(o.spec.podSelector, labels),
        );
        expect({ pooler: pooler.metadata.name, reached: allowed(own, dumper, bouncer, 5432) }).toEqual({
          pooler: pooler.metadata.name,
          reached: false,
        });
      }
    }
  });

  test('with monitoring, an alert watches the last success of every CronJob', () => {
    const rule = all.find((o) => o.kind === 'PrometheusRule');
    if (!rule) return;
    const exprs: string[] = rule.spec.groups.flatMap((g: any) => g.rules.map((r: any) => r.expr));
    for (const job of cronJobs) {
      const watched = exprs.some(
        (e) => e.includes('kube_cronjob_status_last_successful_time{') && e.includes(`cronjob="${job.metadata.name}"`),
      );
      expect({ job: job.metadata.name, watched }).toEqual({ job: job.metadata.name, watched: true });
    }
  });
});

describe("the CronJob's own script, against a pg_dump stand-in", () => {
  const scenario =
    SCENARIOS[
      'monitoring of cloudnative-pg behind a pooler with logical backups carried off-site by VolSync, Europe/Berlin, sealed secrets'
    ]!;
  const job = renderCharts(buildCharts(scenarioConfig(scenario)))
    .map((m) => m.object as KubeObject)
    .find((o) => o.kind === 'CronJob')!;
  const [shell, ...args] = container(job).command as string[];
  const manifestEnv = envOf(job);
  const keep = Number(manifestEnv.KEEP);
  /** Names of dumps older than any the script writes now, oldest first. */
  const OLD = ['20240101T020000Z', '20240102T020000Z', '20240103T020000Z', '20240104T020000Z', '20240105T020000Z'].map(
    (stamp) => `immich-${stamp}.dump`,
  );
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'immich-pg-dump-'));
    for (const sub of ['bin', 'dumps', 'secret', 'pgpass', 'log']) mkdirSync(join(dir, sub));
    // Stand-in for pg_dump: records how it was called, writes a dump, or fails half-way on demand.
    writeFileSync(
      join(dir, 'bin', 'pg_dump'),
      [
        '#!/bin/sh',
        'set -eu',
        'for arg; do case "$arg" in --file=*) file=${arg#--file=};; esac; done',
        'printf "%s\\n" "$@" > "$LOG/args"',
        'printf "%s %s %s %s %s\\n" "$PGHOST" "$PGPORT" "$PGDATABASE" "$PGUSER" "$PGSSLMODE" > "$LOG/env"',
        'cp "$PGPASSFILE" "$LOG/pgpass"',
        'stat -c %a "$PGPASSFILE" > "$LOG/pgpass-mode"',
        'printf "PGDMP half" > "$file"',
        'if [ -n "${FAIL_DUMP:-}" ]; then echo "pg_dump: error: connection to server lost" >&2; exit 1; fi',
        'printf " whole\\n" >> "$file"',
      ].join('\n'),
      { mode: 0o755 },
    );
    // The Secret's file as the kubelet mounts it: the operator's line for the -rw Service, group-readable.
    writeFileSync(join(dir, 'secret', 'pgpass'), 'immich-pg-rw:5432:immich:immich:s3cret\n', { mode: 0o440 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const seed = (names: readonly string[]) => {
    for (const name of names) writeFileSync(join(dir, 'dumps', name), `old ${name}`);
  };
  const dumps = () => readdirSync(join(dir, 'dumps')).sort();
  const run = (extra: Record<string, string> = {}) =>
    spawnSync(shell!, args, {
      encoding: 'utf8',
      env: {
        ...manifestEnv,
        PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
        DUMPS: join(dir, 'dumps'),
        PGPASSFILE: join(dir, 'pgpass', 'pgpass'),
        APP_PGPASS_FILE: join(dir, 'secret', 'pgpass'),
        LOG: join(dir, 'log'),
        ...extra,
      },
    });

  test('writes one whole custom-format dump named after the database and the UTC time', () => {
    const result = run();
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    const written = dumps();
    expect(written).toEqual([expect.stringMatching(/^immich-\d{8}T\d{6}Z\.dump$/)]);
    expect(readFileSync(join(dir, 'dumps', written[0]!), 'utf8')).toBe('PGDMP half whole\n');
    expect(readFileSync(join(dir, 'log', 'args'), 'utf8').split('\n')).toContain('--format=custom');
    expect(readFileSync(join(dir, 'log', 'env'), 'utf8')).toBe('immich-pg-ro 5432 immich immich require\n');
  });

  test("hands pg_dump a private copy of the password file, valid for the replicas' Service too", () => {
    expect(run().status).toBe(0);
    // libpq ignores a password file its group or others may read.
    expect(readFileSync(join(dir, 'log', 'pgpass-mode'), 'utf8').trim()).toBe('600');
    expect(readFileSync(join(dir, 'log', 'pgpass'), 'utf8')).toBe('*:5432:immich:immich:s3cret\n');
    expect(statSync(join(dir, 'secret', 'pgpass')).mode & 0o777).toBe(0o440);
  });

  test('keeps exactly the newest `keep` dumps and clears what a killed run left', () => {
    expect(keep).toBe(LOGICAL_BACKUP.keep);
    seed(OLD);
    writeFileSync(join(dir, 'dumps', '.immich-20240106T020000Z.dump.partial'), 'PGDMP cut off');
    const result = run();
    expect(result.status).toBe(0);
    const left = dumps();
    expect(left).toHaveLength(keep);
    expect(left.slice(0, keep - 1)).toEqual(OLD.slice(-(keep - 1)));
    expect(left.at(-1)).toMatch(/^immich-\d{8}T\d{6}Z\.dump$/);
    expect(left.at(-1)! > OLD.at(-1)!).toBe(true);
    expect(result.stdout).toContain(`${keep} kept`);
  });

  test('a failing pg_dump exits non-zero, leaves no new file and keeps every old dump as it was', () => {
    seed(OLD);
    chmodSync(join(dir, 'dumps'), 0o755);
    const result = run({ FAIL_DUMP: '1' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('connection to server lost');
    // More than `keep` old dumps, and none deleted: rotation runs only after a dump is in place.
    expect(dumps()).toEqual(OLD);
    for (const name of OLD) expect(readFileSync(join(dir, 'dumps', name), 'utf8')).toBe(`old ${name}`);
  });

  test('a missing password file fails the run before pg_dump starts', () => {
    rmSync(join(dir, 'secret', 'pgpass'));
    const result = run();
    expect(result.status).not.toBe(0);
    expect(dumps()).toEqual([]);
    expect(readdirSync(join(dir, 'log'))).toEqual([]);
  });
});

describe("the dump pod's wait for the database, against a pg_isready stand-in", () => {
  const wait = podSpec(cronJob(cnpg())).initContainers[0];
  const [shell, ...args] = wait.command as string[];
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'immich-pg-wait-'));
    mkdirSync(join(dir, 'bin'));
    // Refuses as often as $REFUSALS says, then accepts; logs each host and port it was asked for.
    writeFileSync(
      join(dir, 'bin', 'pg_isready'),
      [
        '#!/bin/sh',
        'for arg; do case "$arg" in --host=*) host=${arg#--host=};; --port=*) port=${arg#--port=};; esac; done',
        'echo "$host:$port" >> "$LOG"',
        'tries=$(wc -l < "$LOG")',
        '[ "$tries" -gt "$REFUSALS" ] || exit 2',
      ].join('\n'),
      { mode: 0o755 },
    );
    // No real pauses between tries.
    writeFileSync(join(dir, 'bin', 'sleep'), '#!/bin/sh\n', { mode: 0o755 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (env: Record<string, string>) =>
    spawnSync(shell!, args, {
      encoding: 'utf8',
      env: {
        ...Object.fromEntries(wait.env.map((e: any) => [e.name, e.value])),
        PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
        LOG: join(dir, 'log'),
        ...env,
      },
    });

  test('asks the Service the dump reads from until it accepts connections, then succeeds', () => {
    const result = run({ REFUSALS: '3' });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(readFileSync(join(dir, 'log'), 'utf8').trim().split('\n')).toEqual(Array(4).fill('immich-pg-ro:5432'));
    expect(result.stdout).toBe('waiting for immich-pg-ro:5432\nreached immich-pg-ro:5432\n');
  });

  test('fails once WAIT_SECONDS have passed without an answer, so the Job tries again with a new pod', () => {
    const result = run({ REFUSALS: '1000000', WAIT_SECONDS: '1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('gave up waiting for immich-pg-ro:5432 after 1 s\n');
  });
});
