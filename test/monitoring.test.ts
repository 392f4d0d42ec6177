import { parser } from '@prometheus-io/lezer-promql';
import { alertRules, dashboardPanels } from '../src/monitoring-rules';
import { CNPG_BACKUP, SPLIT } from './support/modes';
import { allowed, type Peer } from './support/netpol';
import { configError, EXAMPLE_YAML, envOf, findOne, mainContainer, synth } from './support/synth';

const MONITORING = { monitoring: { enabled: true, labels: { release: 'kube-prometheus-stack' } } };
const combined = synth(MONITORING);
const cnpg = {
  database: { engine: 'cloudnative-pg', cloudnativePg: { backup: CNPG_BACKUP } },
  backup: { database: { enabled: false } },
};
const split = synth({ ...SPLIT, ...cnpg, ...MONITORING });

/** Syntax errors of a PromQL expression, as Prometheus' own UI parser finds them. */
function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`error at ${node.from}: ${expr.slice(node.from, node.from + 20)}`);
    },
  });
  return errors;
}

/**
 * Immich metric names v3 exports (server telemetry service and repository): per-queue gauges and
 * counters, per-job counters, the user gauge, repository histograms; the exporter turns dots into
 * underscores and adds _total to counters.
 */
const IMMICH_NAMES = [
  /^immich_queues_\.\+_active$/,
  /^immich_jobs_\.\+_(success|failed|skipped)_total$/,
  /^immich_users_total$/,
];

describe('metrics', () => {
  test('the combined server exports all metrics on metrics-api and metrics-ms, on its Service too', () => {
    const server = findOne(combined, 'Deployment', 'immich-server');
    expect(envOf(mainContainer(server)).IMMICH_TELEMETRY_INCLUDE).toBe('all');
    expect(mainContainer(server).ports).toEqual([
      { name: 'http', containerPort: 2283 },
      { name: 'metrics-api', containerPort: 8081 },
      { name: 'metrics-ms', containerPort: 8082 },
    ]);
    expect(findOne(combined, 'Service', 'immich-server').spec.ports.map((p: any) => p.name)).toEqual([
      'http',
      'metrics-api',
      'metrics-ms',
    ]);
  });

  test('split, the API exports on metrics-api and the workers on metrics-ms behind a Service of their own', () => {
    expect(findOne(split, 'Service', 'immich-server').spec.ports.map((p: any) => p.name)).toEqual([
      'http',
      'metrics-api',
    ]);
    const workers = findOne(split, 'Service', 'immich-microservices');
    expect(workers.spec.ports).toEqual([{ name: 'metrics-ms', port: 8082, targetPort: 'metrics-ms' }]);
    expect(envOf(mainContainer(findOne(split, 'Deployment', 'immich-microservices'))).IMMICH_TELEMETRY_INCLUDE).toBe(
      'all',
    );
  });

  test('without monitoring no metrics port is exposed and telemetry stays off', () => {
    const server = findOne(synth(), 'Deployment', 'immich-server');
    expect(envOf(mainContainer(server))).not.toHaveProperty('IMMICH_TELEMETRY_INCLUDE');
    expect(synth().filter((m) => m.object.apiVersion.startsWith('monitoring.coreos.com'))).toEqual([]);
  });

  test('a ServiceMonitor scrapes both ports of the Immich Services, with the labels Prometheus selects by', () => {
    const monitor = findOne(split, 'ServiceMonitor', 'immich');
    expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    expect(monitor.spec.endpoints.map((e: any) => e.port)).toEqual(['metrics-api', 'metrics-ms']);
    const selected = split
      .map((m) => m.object)
      .filter((o: any) => o.kind === 'Service' && o.metadata.labels?.['app.kubernetes.io/part-of'] === 'immich');
    for (const port of ['metrics-api', 'metrics-ms']) {
      expect(selected.some((s: any) => s.spec.ports.some((p: any) => p.name === port))).toBe(true);
    }
  });

  test('CloudNativePG instances are scraped by a PodMonitor on their metrics port', () => {
    const monitor = findOne(split, 'PodMonitor', 'immich-pg');
    expect(monitor.spec).toEqual({
      selector: { matchLabels: { 'cnpg.io/cluster': 'immich-pg' } },
      podMetricsEndpoints: [{ port: 'metrics', interval: '30s' }],
    });
    expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    expect(combined.filter((m) => m.object.kind === 'PodMonitor')).toEqual([]);
  });
});

describe('alerts', () => {
  const rules = findOne(split, 'PrometheusRule', 'immich').spec.groups[0].rules;

  test.each([
    'ImmichComponentDown',
    'ImmichPodCrashLooping',
    'ImmichJobsFailing',
    'ImmichQueueNotDraining',
    'ImmichVolumeFillingUp',
    'ImmichDatabaseReplicationLag',
    'ImmichDatabaseBackupTooOld',
  ])('%s has a summary, a description and a severity', (name) => {
    const rule = rules.find((r: any) => r.alert === name);
    expect(rule.annotations.summary.length).toBeGreaterThan(10);
    expect(rule.annotations.description.length).toBeGreaterThan(20);
    expect(['warning', 'critical']).toContain(rule.labels.severity);
  });

  test('every expression parses with the PromQL parser', () => {
    for (const rule of rules)
      expect({ alert: rule.alert, errors: promqlErrors(rule.expr) }).toEqual({ alert: rule.alert, errors: [] });
  });

  test('the parser check can fail', () => {
    expect(promqlErrors('sum(rate(x[5m])')).not.toEqual([]);
  });

  test('every Immich metric name used is one v3 exports', () => {
    const scope = {
      namespace: 'immich',
      workloads: ['immich-server'],
      cloudnativePg: { name: 'immich-pg', backups: true },
    };
    const exprs = [
      ...alertRules(scope).map((r) => r.expr),
      ...dashboardPanels(scope).flatMap((p) => p.targets.map((t) => t.expr)),
    ];
    const names = exprs.flatMap((e) =>
      [...e.matchAll(/__name__=~"([^"]+)"|\b(immich_[a-z_.+]+)/g)].map((m) => m[1] ?? m[2]!),
    );
    expect(names.length).toBeGreaterThan(3);
    for (const name of names)
      expect({ name, known: IMMICH_NAMES.some((re) => re.test(name)) }).toEqual({ name, known: true });
  });

  test('without CloudNativePG there are no database alerts; the PVC alert fires above 85%', () => {
    const plain = findOne(combined, 'PrometheusRule', 'immich').spec.groups[0].rules.map((r: any) => r.alert);
    expect(plain).not.toContain('ImmichDatabaseReplicationLag');
    const volume = rules.find((r: any) => r.alert === 'ImmichVolumeFillingUp');
    expect(volume.expr).toContain('> 0.85');
  });
});

describe('the dashboard', () => {
  const configMap = findOne(combined, 'ConfigMap', 'immich-dashboard');
  const dashboard = JSON.parse(configMap.data['immich.json']);

  test('is a ConfigMap with the label the Grafana sidecar watches, configurable', () => {
    expect(configMap.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
    const custom = synth({ monitoring: { enabled: true, dashboard: { labels: { grafana: 'yes' } } } });
    expect(findOne(custom, 'ConfigMap', 'immich-dashboard').metadata.labels).toMatchObject({ grafana: 'yes' });
    expect(
      synth({ monitoring: { enabled: true, dashboard: { enabled: false } } }).filter(
        (m) => m.object.metadata.name === 'immich-dashboard',
      ),
    ).toEqual([]);
  });

  test('has panels for requests, latency, jobs, queues, CPU, memory, GPU and volumes, each parsing', () => {
    const titles = dashboard.panels.map((p: any) => p.title).join(' | ');
    for (const topic of ['requests', 'latency', 'Jobs', 'queue', 'CPU', 'Memory', 'GPU', 'Volume'])
      expect(titles).toContain(topic);
    for (const panel of dashboard.panels) {
      for (const target of panel.targets)
        expect({ panel: panel.title, errors: promqlErrors(target.expr) }).toEqual({ panel: panel.title, errors: [] });
    }
  });
});

describe('network paths', () => {
  const objects = split.map((m) => m.object);
  const namespaceLabels = { 'kubernetes.io/metadata.name': 'immich' };
  const app = (podLabels: Record<string, string>): Peer => ({
    kind: 'pod',
    namespace: 'immich',
    namespaceLabels,
    podLabels,
  });
  const prometheus: Peer = {
    kind: 'pod',
    namespace: 'monitoring',
    namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
    podLabels: { 'app.kubernetes.io/name': 'prometheus' },
  };
  const other: Peer = {
    ...prometheus,
    namespace: 'media',
    namespaceLabels: { 'kubernetes.io/metadata.name': 'media' },
  };
  const server = app({ 'app.kubernetes.io/name': 'immich-server', 'app.kubernetes.io/instance': 'immich' });
  const workers = app({ 'app.kubernetes.io/name': 'immich-microservices', 'app.kubernetes.io/instance': 'immich' });
  const instance = app({ 'cnpg.io/cluster': 'immich-pg' });

  test('only the monitoring namespace reaches the metrics ports', () => {
    expect(allowed(objects, prometheus, server, 8081)).toBe(true);
    expect(allowed(objects, prometheus, workers, 8082)).toBe(true);
    expect(allowed(objects, prometheus, instance, 9187)).toBe(true);
    expect(allowed(objects, other, server, 8081)).toBe(false);
    expect(allowed(objects, other, instance, 9187)).toBe(false);
    expect(allowed(objects, prometheus, server, 2283)).toBe(false);
  });
});

test('fails on monitoring labels that are not valid label keys and values', () => {
  const message = configError(
    `${EXAMPLE_YAML}monitoring: { enabled: true, labels: { "bad key!": x, release: "no spaces" } }\n`,
  );
  expect(message).toContain('monitoring.labels.bad key!: must be a label key');
  expect(message).toContain('monitoring.labels.release: must be a label value');
});
