/**
 * The Services section: one part per workload with its images, ports, environment, volumes and
 * limits.
 */
import { CLOUDNATIVE_PG } from '../constants';
import {
  type CnpgCluster,
  type CnpgPooler,
  type Container,
  type ContainerPort,
  type KubeObject,
  type PodSpec,
  type Probe,
  type Replication,
  type Resources,
  type StatefulSet,
  type Volume,
} from '../lib/kube-json';
import { bullets, code, table } from '../lib/markdown';
import { pssLevel } from '../lib/pss';
import { claimNames, readClaims } from './claims';
import { dependenciesOf, externalCluster } from './dependencies';
import { type Model, type Workload, ROLES, containersOf, fileSource, servicesOf } from './model';
import { plural, probeCheck, retainText } from './text';

/** The Services section: one part per workload. */
export function workloadSections(model: Model): string {
  return ['## Services', ...model.workloads.map((w) => workloadSection(model, w))].join('\n\n');
}

function workloadSection(model: Model, w: Workload): string {
  const facts: [string, string][] = [
    [
      'Kind',
      `${w.kind} (${ROLES.find((r) => r.role === w.role)!
        .title.toLowerCase()
        .replace(/s$/, '')})`,
    ],
    ['Replicas', replicasText(w)],
    ['Sync wave', String(w.wave)],
    ['Pod Security', podSecurityText(w)],
    ...(w.template?.spec?.serviceAccountName
      ? ([
          [
            'ServiceAccount',
            `${code(w.template.spec.serviceAccountName)}${w.template.spec.automountServiceAccountToken === false ? ' (no API token mounted)' : ''}`,
          ],
        ] as [string, string][])
      : []),
    ...(w.template?.spec?.runtimeClassName
      ? ([['Runtime class', code(w.template.spec.runtimeClassName)]] as [string, string][])
      : []),
    ...extraFacts(w),
  ];
  const health = containersOf(w.template?.spec).flatMap(({ container }) =>
    (['startupProbe', 'readinessProbe', 'livenessProbe'] as const).flatMap((kind) => {
      const probe = container[kind];
      return probe ? [[container.name, kind.replace('Probe', ''), probeCheck(probe), probeTiming(probe)]] : [];
    }),
  );
  // What the containers run where it is not the image's default, e.g. the flags of a datastore.
  const commands = containersOf(w.template?.spec)
    .filter(({ container, init }) => !init && (container.command || container.args))
    .map(({ container }) => [
      container.name,
      container.command ? code(container.command.join(' ')) : "the image's entrypoint",
      container.args ? code(container.args.join(' ')) : 'none',
    ]);
  return [
    `### ${code(w.name)} (${w.kind})`,
    '',
    table(['', ''], facts),
    '',
    '**Images**',
    '',
    images(w),
    '',
    ...(commands.length > 0 ? ['**Command**', '', table(['Container', 'Command', 'Arguments'], commands), ''] : []),
    '**Ports**',
    '',
    portsTable(model, w),
    '',
    '**Depends on**',
    '',
    bullets(
      dependenciesOf(model, w).map((d) => d.text),
      'Nothing.',
    ),
    '',
    '**Environment**',
    '',
    environment(w),
    '',
    '**Volumes**',
    '',
    volumesTable(model, w),
    '',
    '**Resources**',
    '',
    resourcesTable(w),
    ...(health.length > 0 ? ['', '**Probes**', '', table(['Container', 'Probe', 'Check', 'Timing'], health)] : []),
  ].join('\n');
}

function replicasText(w: Workload): string {
  switch (w.kind) {
    case 'Deployment': {
      const strategy = (w.object as KubeObject & { spec: { strategy?: { type?: string } } }).spec.strategy?.type;
      return `${w.replicas}${strategy ? ` (${strategy})` : ''}`;
    }
    case 'Cluster':
      return `${plural(w.replicas, 'instance')} (one primary, the rest streaming replicas)`;
    case 'Pooler':
      return `${plural(w.replicas, 'PgBouncer pod')} (Deployment ${code(w.name)}, made by the operator)`;
    case 'ReplicationSource':
    case 'ReplicationDestination':
      return 'one mover pod per run';
    default:
      return String(w.replicas);
  }
}

function podSecurityText(w: Workload): string {
  const spec = w.template?.spec;
  if (spec) return `${code(pssLevel(spec, w.template?.metadata?.annotations ?? {}))} (what its pod spec meets)`;
  const operator = w.kind === 'Cluster' || w.kind === 'Pooler' ? 'CloudNativePG' : 'VolSync';
  return `set by the ${operator} operator, which builds these pods; their spec is not in the manifests`;
}

/** Facts of the kinds whose pods an operator builds. */
function extraFacts(w: Workload): [string, string][] {
  if (w.kind === 'Cluster') {
    const { spec } = w.object as CnpgCluster;
    const initdb = spec.bootstrap?.initdb;
    const bootstrap = spec.bootstrap?.recovery
      ? `recovery from ${externalCluster(w.object as CnpgCluster, spec.bootstrap.recovery.source ?? '', code)}${Object.entries(
          spec.bootstrap.recovery.recoveryTarget ?? {},
        )
          .map(([k, v]) => `, ${k} ${code(v)}`)
          .join('')}`
      : initdb?.import
        ? `new database ${code(initdb.database ?? '')}, imported (${initdb.import.type ?? 'microservice'}) from ${externalCluster(w.object as CnpgCluster, initdb.import.source.externalCluster, code)}`
        : `new database ${code(initdb?.database ?? '')} owned by ${code(initdb?.owner ?? '')}`;
    const services = CLOUDNATIVE_PG.services.map((s) => code(`${w.name}-${s}`)).join(', ');
    return [
      ['Bootstrap', bootstrap],
      ['Services (by the operator)', services],
    ];
  }
  if (w.kind === 'Pooler') {
    const { spec } = w.object as CnpgPooler;
    const parameters = Object.entries(spec.pgbouncer.parameters ?? {}).map(([k, v]) => `${k} ${code(v)}`);
    return [
      [
        'Pool mode',
        `${code(spec.pgbouncer.poolMode ?? 'session')}, in front of ${code(`${spec.cluster.name}-${spec.type ?? 'rw'}`)}`,
      ],
      ...(parameters.length > 0 ? ([['PgBouncer parameters', parameters.join(', ')]] as [string, string][]) : []),
      ['Service (by the operator)', code(w.name)],
    ];
  }
  if (w.kind === 'ReplicationSource' || w.kind === 'ReplicationDestination') {
    const { spec } = w.object as Replication;
    const restic = spec.restic;
    const trigger = spec.trigger?.schedule
      ? `schedule ${code(spec.trigger.schedule)}`
      : `manual (${code(spec.trigger?.manual ?? '')})`;
    const context = restic?.moverSecurityContext;
    return [
      ['Trigger', trigger],
      ['Restic repository', `from secret ${code(restic?.repository ?? '')}`],
      ['Copy method', restic?.copyMethod ?? 'Direct'],
      ...(restic?.retain ? ([['Keeps', retainText(restic.retain)]] as [string, string][]) : []),
      ...(restic?.restoreAsOf ? ([['Restore as of', code(restic.restoreAsOf)]] as [string, string][]) : []),
      ...(restic?.moverServiceAccount
        ? ([['ServiceAccount', code(restic.moverServiceAccount)]] as [string, string][])
        : []),
      ...(context
        ? ([
            [
              'Mover security context',
              Object.entries(context)
                .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
                .join(', '),
            ],
          ] as [string, string][])
        : []),
    ];
  }
  return [];
}

function images(w: Workload): string {
  const rows = containersOf(w.template?.spec).map(({ container, init }) => [
    `${container.name}${init ? ' (init)' : ''}`,
    ...imageCells(container.image ?? ''),
  ]);
  if (w.kind === 'Cluster') rows.push(['postgres', ...imageCells((w.object as CnpgCluster).spec.imageName ?? '')]);
  if (rows.length === 0) return 'Chosen by the operator.';
  return table(['Container', 'Repository', 'Tag', 'Digest'], rows);
}

/** `repo:tag@sha256:...` split into its repository, tag and digest. */
function imageCells(image: string): [string, string, string] {
  const at = image.indexOf('@');
  const name = at >= 0 ? image.slice(0, at) : image;
  const digest = at >= 0 ? image.slice(at + 1) : '';
  const colon = name.lastIndexOf(':');
  const tagged = colon > name.lastIndexOf('/');
  return [
    code(tagged ? name.slice(0, colon) : name),
    tagged ? code(name.slice(colon + 1)) : 'none',
    digest ? code(digest) : 'none (not pinned)',
  ];
}

function portsTable(model: Model, w: Workload): string {
  const services = servicesOf(model, w);
  const exposure = (port: ContainerPort) =>
    services
      .flatMap((s) =>
        s.ports
          .filter((p) => p.targetPort === port.containerPort || (port.name !== undefined && p.targetPort === port.name))
          .map((p) => `Service ${code(s.name)} port ${p.port}`),
      )
      .join(', ') || 'no Service';
  const rows =
    w.kind === 'Cluster' || w.kind === 'Pooler'
      ? w.ports.map((p) => [
          w.kind === 'Pooler' ? 'pgbouncer' : 'postgres',
          `${p.containerPort}/TCP`,
          p.name ?? '',
          exposure(p),
        ])
      : containersOf(w.template?.spec).flatMap(({ container }) =>
          (container.ports ?? []).map((p) => [
            container.name,
            `${p.containerPort}/${p.protocol ?? 'TCP'}`,
            p.name ?? '',
            exposure(p),
          ]),
        );
  return rows.length === 0
    ? 'None: it opens connections only.'
    : table(['Container', 'Port', 'Name', 'Exposed by'], rows);
}

function environment(w: Workload): string {
  const spec = w.template?.spec;
  const rows = containersOf(spec).flatMap(({ container }) => [
    ...(container.env ?? []).map((e) => [container.name, code(e.name), envValue(spec!, container, e)]),
    ...(container.envFrom ?? []).map((from) => [
      container.name,
      from.prefix ? code(`${from.prefix}*`) : 'all keys',
      from.secretRef
        ? `every key of secret ${code(from.secretRef.name)}`
        : `every key of configmap ${code(from.configMapRef?.name ?? '')}`,
    ]),
  ]);
  if (w.template === undefined) return 'Set by the operator.';
  return rows.length === 0 ? 'None.' : table(['Container', 'Variable', 'Value'], rows);
}

/** A variable's value: plain values as they are, references by name and key, never a Secret value. */
function envValue(spec: PodSpec, container: Container, e: NonNullable<Container['env']>[number]): string {
  const from = e.valueFrom;
  if (from?.secretKeyRef) return `secret ${code(`${from.secretKeyRef.name}/${from.secretKeyRef.key}`)}`;
  if (from?.configMapKeyRef) return `configmap ${code(`${from.configMapKeyRef.name}/${from.configMapKeyRef.key}`)}`;
  if (from?.fieldRef) return `field ${code(from.fieldRef.fieldPath)}`;
  if (from?.resourceFieldRef) return `resource ${code(from.resourceFieldRef.resource)}`;
  const value = code(e.value ?? '');
  const file = e.value?.startsWith('/') ? fileSource(spec, container, e.value) : undefined;
  return file ? `${value} (file from ${file.kind} ${code(`${file.name}/${file.key}`)})` : value;
}

function volumesTable(model: Model, w: Workload): string {
  const spec = w.template?.spec;
  const rows = containersOf(spec).flatMap(({ container }) =>
    (container.volumeMounts ?? []).map((m) => {
      const volume = spec?.volumes?.find((v) => v.name === m.name);
      const claimTemplate =
        w.kind === 'StatefulSet'
          ? (w.object as StatefulSet).spec.volumeClaimTemplates?.find((t) => t.metadata.name === m.name)
          : undefined;
      const source = volume
        ? volumeSource(volume)
        : claimTemplate
          ? `PVC template ${code(m.name)} (${claimNames(w.object as StatefulSet, m.name)
              .map(code)
              .join(', ')})`
          : 'unknown';
      const readOnly = m.readOnly || volume?.persistentVolumeClaim?.readOnly || alwaysReadOnly(volume);
      return [
        container.name,
        code(`${m.mountPath}${m.subPath ? ` (subPath ${m.subPath})` : ''}`),
        source,
        readOnly ? 'read-only' : 'read-write',
      ];
    }),
  );
  if (w.template === undefined) {
    const claims = readClaims(model).filter((c) => c.users.some((u) => u.workload === w));
    return claims.length === 0
      ? 'Set by the operator.'
      : bullets(
          claims.map(
            (c) =>
              `PVC ${code(c.name)}: ${c.users
                .filter((u) => u.workload === w)
                .map((u) => u.how)
                .join(', ')}`,
          ),
          '',
        );
  }
  return rows.length === 0 ? 'None.' : table(['Container', 'Mount path', 'Source', 'Access'], rows);
}

/** Secret, ConfigMap, projected and downward API volumes are always mounted read-only. */
function alwaysReadOnly(volume: Volume | undefined): boolean {
  return Boolean(volume && (volume.secret || volume.configMap || volume.projected || volume.downwardAPI));
}

function volumeSource(volume: Volume): string {
  const items = (list: readonly { key: string; path: string }[] | undefined) =>
    list
      ? ` (${list.map((i) => (i.key === i.path ? code(i.key) : `${code(i.key)} as ${code(i.path)}`)).join(', ')})`
      : '';
  if (volume.persistentVolumeClaim) return `PVC ${code(volume.persistentVolumeClaim.claimName)}`;
  if (volume.emptyDir) {
    const { medium, sizeLimit } = volume.emptyDir;
    return `emptyDir${medium ? ` in ${medium}` : ''}${sizeLimit ? `, at most ${sizeLimit}` : ''}`;
  }
  if (volume.secret) return `secret ${code(volume.secret.secretName)}${items(volume.secret.items)}`;
  if (volume.configMap) return `configmap ${code(volume.configMap.name)}${items(volume.configMap.items)}`;
  if (volume.projected) {
    return (volume.projected.sources ?? [])
      .map((s) =>
        s.secret
          ? `secret ${code(s.secret.name)}${items(s.secret.items)}`
          : `configmap ${code(s.configMap?.name ?? '')}${items(s.configMap?.items)}`,
      )
      .join(' + ');
  }
  if (volume.nfs) return `NFS ${code(`${volume.nfs.server}:${volume.nfs.path}`)}`;
  if (volume.hostPath) return `hostPath ${code(volume.hostPath.path)}`;
  return Object.keys(volume)
    .filter((k) => k !== 'name')
    .join(', ');
}

function resourcesTable(w: Workload): string {
  const row = (name: string, resources: Resources | undefined) => {
    const { requests = {}, limits = {} } = resources ?? {};
    const others = [...new Set([...Object.keys(requests), ...Object.keys(limits)])]
      .filter((r) => r !== 'cpu' && r !== 'memory')
      .sort()
      .map((r) => `${r}: ${requests[r] ?? '-'} / ${limits[r] ?? '-'}`);
    return [
      name,
      requests.cpu ?? 'none',
      limits.cpu ?? 'none',
      requests.memory ?? 'none',
      limits.memory ?? 'none',
      others.join(', ') || 'none',
    ];
  };
  const rows = containersOf(w.template?.spec).map(({ container }) => row(container.name, container.resources));
  if (w.kind === 'Cluster') rows.push(row('postgres', (w.object as CnpgCluster).spec.resources));
  if (w.kind === 'Pooler') {
    const container = (w.object as CnpgPooler).spec.template?.spec?.containers?.find((c) => c.name === 'pgbouncer');
    if (container) rows.push(row('pgbouncer', container.resources));
  }
  if (rows.length === 0) return 'Set by the operator.';
  return table(
    ['Container', 'CPU request', 'CPU limit', 'Memory request', 'Memory limit', 'Other (request / limit)'],
    rows,
  );
}

function probeTiming(probe: Probe): string {
  const period = probe.periodSeconds ?? 10;
  const failures = probe.failureThreshold ?? 3;
  const delay = probe.initialDelaySeconds ? `after ${probe.initialDelaySeconds} s, ` : '';
  return `${delay}every ${period} s, fails after ${failures} (${failures * period} s)`;
}
