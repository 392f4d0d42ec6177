/**
 * The Startup Sequence section: Argo CD's sync waves, what each workload connects to and when it
 * is healthy.
 */
import { SYNC_WAVE_ANNOTATION } from '../lib/argocd';
import { type CnpgCluster, type CronJob, type KubeObject, type Replication } from '../lib/kube-json';
import { code, mermaidText, table } from '../lib/markdown';
import { dependenciesOf, externalCluster } from './dependencies';
import { type Model, type Workload, containersOf, ingressControllers, routeTargets, waveOf } from './model';
import { peerId, peerLabel, plural, pluralKind, portText, probeText, sizeText, workloadId } from './text';

/** The Startup Sequence section: a sequence diagram of the sync waves and a table of them. */
export function startup(model: Model): string {
  const { ids } = model;
  const argo = ids.id('argocd', 'argocd');
  const lines = ['sequenceDiagram', `  participant ${argo} as Argo CD`];
  for (const w of model.workloads)
    lines.push(`  participant ${workloadId(model, w)} as ${mermaidText(`${w.name} (${w.kind})`)}`);
  const controllers = new Map(
    model.routes
      .flatMap((r) => routeTargets(model, r))
      .flatMap((t) => ingressControllers(model, t))
      .map((peer) => [peer.key, peer]),
  );
  for (const peer of controllers.values())
    lines.push(`  participant ${peerId(model, peer)} as ${mermaidText(peerLabel(peer).replaceAll('\n', ', '))}`);
  const synced = model.objects.filter((o) => o.kind !== 'Application');
  const waves = [...new Set(synced.map(waveOf))].sort((a, b) => a - b);
  const msg = (from: string, arrow: string, to: string, text: string) => `  ${from}${arrow}${to}: ${mermaidText(text)}`;
  for (const wave of waves) {
    const objects = synced.filter((o) => waveOf(o) === wave);
    lines.push(`  Note over ${argo}: ${mermaidText(`Wave ${wave}: ${kindSummary(objects)}`)}`);
    const members = model.workloads.filter((w) => w.wave === wave);
    for (const w of members) {
      lines.push(msg(argo, '->>', workloadId(model, w), `creates ${w.kind} ${w.name} (${sizeText(w)})`));
    }
    for (const w of members) {
      const id = workloadId(model, w);
      if (w.replicas === 0) {
        lines.push(`  Note over ${id}: ${mermaidText('0 replicas: stays stopped')}`);
        continue;
      }
      for (const { container } of containersOf(w.template?.spec).filter((c) => c.init)) {
        lines.push(msg(id, '->>', id, `init container ${container.name} runs to completion`));
      }
      for (const step of startupSteps(model, w)) lines.push(msg(id, step.arrow, step.to, step.text));
      lines.push(msg(id, '-->>', argo, `healthy: ${healthText(w)}`));
    }
    for (const route of model.routes.filter((r) => waveOf(r.object) === wave)) {
      for (const target of routeTargets(model, route)) {
        lines.push(
          msg(
            argo,
            '->>',
            argo,
            `${route.object.kind} ${route.object.metadata.name}: ${target.match} to Service ${target.serviceName} port ${target.port}`,
          ),
        );
        for (const peer of ingressControllers(model, target)) {
          for (const w of target.workloads) {
            const port = target.containerPort ? portText(target.containerPort) : 'the target port';
            lines.push(msg(peerId(model, peer), '->>', workloadId(model, w), `routes requests to port ${port}`));
          }
        }
      }
    }
  }
  const diagram = ['```mermaid', ...lines, '```'].join('\n');
  const waveRows = waves.map((wave) => [
    String(wave),
    synced
      .filter((o) => waveOf(o) === wave)
      .map((o) => `${o.kind} ${code(o.metadata.name)}${elsewhere(model, o)}`)
      .join(', '),
  ]);
  const application = model.objects.find((o) => o.kind === 'Application');
  const syncer = application
    ? `The Argo CD Application ${code(application.metadata.name)} (namespace ${code(application.metadata.namespace ?? '')}) syncs these objects`
    : 'Argo CD syncs these objects';
  return [
    '## Startup Sequence',
    '',
    `${syncer} in waves (annotation ${code(SYNC_WAVE_ANNOTATION)}): a wave starts once every object of the ` +
      'earlier waves is healthy. Within a wave, each workload connects to what it needs (from its environment, ' +
      'Secrets and volumes) and reports healthy by its readiness probe.',
    '',
    diagram,
    '',
    table(['Wave', 'Objects'], waveRows),
  ].join('\n');
}

/** `3 NetworkPolicies, Namespace, 2 Secrets`: the kinds of a wave's objects, counted. */
function kindSummary(objects: readonly KubeObject[]): string {
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(o.kind, (counts.get(o.kind) ?? 0) + 1);
  return [...counts].map(([kind, n]) => (n === 1 ? kind : `${n} ${pluralKind(kind)}`)).join(', ');
}

interface Step {
  readonly arrow: string;
  readonly to: string;
  readonly text: string;
}

/** What a workload does as it starts: it connects to each workload it depends on. */
function startupSteps(model: Model, w: Workload): Step[] {
  const id = workloadId(model, w);
  const steps: Step[] = [];
  for (const dep of dependenciesOf(model, w)) {
    if (!dep.target) continue;
    const later = dep.target.wave > w.wave ? ` (wave ${dep.target.wave}: not started yet, retried)` : '';
    steps.push({ arrow: '->>', to: workloadId(model, dep.target), text: `${dep.reason}${later}` });
  }
  if (w.kind === 'Cluster') {
    const cluster = w.object as CnpgCluster;
    const recovery = cluster.spec.bootstrap?.recovery;
    if (recovery) {
      const target = Object.entries(recovery.recoveryTarget ?? {}).map(([k, v]) => `${k} ${v}`);
      steps.push({
        arrow: '->>',
        to: id,
        text: `bootstraps by recovery from ${externalCluster(cluster, recovery.source ?? '', (t) => t)}${target.length ? `, ${target.join(', ')}` : ''}`,
      });
    }
  }
  return steps;
}

function healthText(w: Workload): string {
  switch (w.kind) {
    case 'Cluster':
      return `the operator reports ${plural(w.replicas, 'instance')} ready`;
    case 'CronJob': {
      const { schedule, timeZone } = (w.object as CronJob).spec;
      return `its pods run on schedule ${schedule}${timeZone ? ` (${timeZone})` : ''}`;
    }
    case 'Pooler':
      return `the operator's Deployment ${w.name} has ${plural(w.replicas, 'PgBouncer pod')} accepting connections`;
    case 'ReplicationSource':
    case 'ReplicationDestination': {
      const trigger = (w.object as Replication).spec.trigger;
      return trigger?.schedule
        ? `VolSync runs restic on schedule ${trigger.schedule}`
        : `VolSync runs restic once (manual trigger ${trigger?.manual ?? ''})`;
    }
    default: {
      const probes = containersOf(w.template?.spec)
        .filter((c) => !c.init)
        .flatMap(({ container }) => {
          const probe = container.readinessProbe ?? container.startupProbe;
          return probe ? [`${container.name} ${probeText(probe)}`] : [];
        });
      return probes.length > 0 ? `readiness ${probes.join(', ')}` : 'its containers run (no readiness probe)';
    }
  }
}

/** ` (namespace x)` for an object outside the app's namespace, such as a dashboard beside Grafana. */
function elsewhere(model: Model, object: KubeObject): string {
  const namespace = object.metadata.namespace;
  return namespace && namespace !== model.namespace ? ` (namespace ${code(namespace)})` : '';
}
