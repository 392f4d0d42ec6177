import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCharts } from '../src/chart';
import { traefikGatewayService, traefikIngressServiceName, traefikServiceName } from '../src/lib/traefik';
import { EXPORTERS } from '../src/monitoring-rules';
import { type Manifest, renderCharts } from '../src/output';
import { CNPG_BACKUP, SCENARIOS, SPLIT, scenarioConfig } from './support/modes';
import { allowed, type Peer } from './support/netpol';
import { type Selector, promqlErrors, selectorsOf, selectsName } from './support/promql';
import { configError, EXAMPLE_YAML, ROOT, envOf, findOne, mainContainer, synth } from './support/synth';

const MONITORING = { monitoring: { enabled: true, labels: { release: 'kube-prometheus-stack' } } };
const combined = synth(MONITORING);
const cnpg = {
  database: { engine: 'cloudnative-pg', cloudnativePg: { backup: CNPG_BACKUP } },
  backup: { database: { enabled: false } },
};
const split = synth({ ...SPLIT, ...cnpg, ...MONITORING });

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
      selector: { matchLabels: { 'cnpg.io/cluster': 'immich-pg', 'cnpg.io/podRole': 'instance' } },
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
    'ImmichServerErrors',
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

  test('sits in the app namespace, or in monitoring.dashboard.namespace for a Grafana sidecar elsewhere', () => {
    expect(configMap.metadata.namespace).toBe('immich');
    const elsewhere = synth({ monitoring: { enabled: true, dashboard: { namespace: 'monitoring' } } });
    expect(findOne(elsewhere, 'ConfigMap', 'immich-dashboard').metadata.namespace).toBe('monitoring');
    // Only the dashboard moves: the monitors and rules stay beside what they watch.
    expect(findOne(elsewhere, 'PrometheusRule', 'immich').metadata.namespace).toBe('immich');
  });

  test('fails on a dashboard namespace that is not a DNS label', () => {
    expect(
      configError(`${EXAMPLE_YAML}monitoring: { enabled: true, dashboard: { namespace: Monitoring_NS } }\n`),
    ).toContain(
      'monitoring.dashboard.namespace: must be a lower-case DNS label like "monitoring", got "Monitoring_NS"',
    );
  });

  test('has panels for requests, server errors, latency, jobs, queues, CPU, memory, GPU and volumes, each parsing', () => {
    const titles = dashboard.panels.map((p: any) => p.title).join(' | ');
    for (const topic of ['Requests', 'server errors', 'latency', 'Jobs', 'queue', 'CPU', 'Memory', 'GPU', 'Volume'])
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

/** Every sample name the real Immich v3.1.0 server exported: a histogram as its `_bucket`, `_sum` and `_count`. */
const IMMICH_EXPORTED = ['metrics-8081.txt', 'metrics-8082.txt', 'metrics-8082-from-source.txt'].flatMap((file) =>
  readFileSync(join(ROOT, 'test', 'fixtures', 'immich-v3.1.0', file), 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      const [name, type] = line.split(' ') as [string, string];
      return type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
    }),
);

/** Who exports what a selector reads: Immich (by the real server's lists) or a named exporter; undefined for nobody. */
function sourceOf(selector: Selector): string | undefined {
  if (IMMICH_EXPORTED.some((name) => selectsName(selector, name))) return 'Immich';
  return Object.entries(EXPORTERS).find(([, names]) => names.some((name) => selectsName(selector, name)))?.[0];
}

/** The PromQL of the synthesized PrometheusRule and dashboard, each with where it comes from. */
function queriesOf(manifests: readonly Manifest[]): { where: string; expr: string }[] {
  const rules = findOne(manifests, 'PrometheusRule', 'immich').spec.groups.flatMap((g: any) => g.rules);
  const dashboard = JSON.parse(findOne(manifests, 'ConfigMap', 'immich-dashboard').data['immich.json']);
  return [
    ...rules.map((r: any) => ({ where: `alert ${r.alert}`, expr: r.expr })),
    ...dashboard.panels.flatMap((p: any) => p.targets.map((t: any) => ({ where: `panel ${p.title}`, expr: t.expr }))),
  ];
}

/** Every gate scenario that turns monitoring on, and the example with it in another namespace. */
const MONITORED: [string, Manifest[]][] = [
  ...Object.entries(SCENARIOS)
    .map(([name, scenario]) => [name, scenarioConfig(scenario)] as const)
    .filter(([, config]) => config.monitoring.enabled)
    .map(([name, config]): [string, Manifest[]] => [name, renderCharts(buildCharts(config))]),
  ['the example with monitoring in namespace photos', synth({ ...MONITORING, namespace: 'photos' })],
];

describe.each(MONITORED)('metric names: %s', (_name, manifests) => {
  const queries = queriesOf(manifests);
  const selectors = queries.flatMap(({ where, expr }) => selectorsOf(expr).map((selector) => ({ where, selector })));

  test('every metric the alerts and the dashboard read is one Immich v3.1.0 exported or one of a named exporter', () => {
    expect(selectors.length).toBeGreaterThan(15);
    for (const { where, selector } of selectors) {
      expect({ where, metric: selector.metric, source: sourceOf(selector) }).toEqual({
        where,
        metric: selector.metric,
        source: expect.any(String),
      });
    }
  });

  test("requests, server errors and latency are Traefik's, for the service Traefik makes for the rendered route", () => {
    const expected = traefikServiceOf(manifests);
    const traefik = selectors.filter(({ selector }) => selector.metric?.startsWith('traefik_'));
    expect(new Set(traefik.map((t) => t.where)).size).toBeGreaterThanOrEqual(4);
    for (const { where, selector } of traefik)
      expect({ where, matchers: selector.matchers }).toEqual({
        where,
        matchers: expect.arrayContaining([{ label: 'service', ...expected }]),
      });
  });
});

/**
 * The `service` matcher of Traefik's metrics for the one route among the manifests, worked out
 * from the route as Traefik reads it: `=` a name, or `=~` a pattern where the Gateway's entry point
 * is the cluster's to decide.
 */
function traefikServiceOf(manifests: readonly Manifest[]): { op: string; value: string } {
  const routes = manifests
    .map((m) => m.object as any)
    .filter((o) => ['IngressRoute', 'HTTPRoute', 'Ingress'].includes(o.kind));
  expect(routes).toHaveLength(1);
  const [route] = routes;
  const namespace = route.metadata.namespace;
  switch (route.kind) {
    case 'IngressRoute': {
      // Traefik names a route's service by the route only when it sends to one Kubernetes Service.
      expect(route.spec.routes).toHaveLength(1);
      expect(route.spec.routes[0].services).toHaveLength(1);
      expect(route.spec.routes[0].services[0].kind ?? 'Service').toBe('Service');
      return { op: '=', value: traefikServiceName(namespace, route.metadata.name, route.spec.routes[0].match) };
    }
    case 'HTTPRoute': {
      // One parent, hostname, rule, match and backend: one service per listener the route attaches to.
      const [parent] = route.spec.parentRefs;
      const [rule] = route.spec.rules;
      expect(
        [route.spec.parentRefs, route.spec.hostnames, route.spec.rules, rule.matches, rule.backendRefs].map(
          (l) => l.length,
        ),
      ).toEqual([1, 1, 1, 1, 1]);
      const { path } = rule.matches[0];
      expect(path.type).toBe('PathPrefix');
      const gateway = { namespace: parent.namespace ?? namespace, name: parent.name };
      const traefikRule = `Host("${route.spec.hostnames[0]}") && PathPrefix("${path.value}")`;
      const service = traefikGatewayService(
        namespace,
        route.metadata.name,
        gateway,
        traefikRule,
        rule.backendRefs[0].name,
      );
      expect(service.regex).toBe(true);
      return { op: '=~', value: service.value };
    }
    default: {
      const { backend } = route.spec.rules[0].http.paths[0];
      return {
        op: '=',
        value: traefikIngressServiceName(namespace, backend.service.name, backend.service.port.number),
      };
    }
  }
}

describe('metric sources', () => {
  const selectors = MONITORED.flatMap(([, manifests]) => queriesOf(manifests).flatMap((q) => selectorsOf(q.expr)));

  test('the check fails for a metric Immich does not export and no named exporter provides', () => {
    for (const expr of [
      'rate(http_server_duration_count{namespace="immich"}[5m])',
      'rate({__name__=~"immich_jobs_.+_faild_total"}[5m])',
      'immich_queues_thumbnail_generation_waiting',
    ])
      expect(selectorsOf(expr).map(sourceOf)).toEqual([undefined]);
    expect(selectorsOf('{__name__=~"immich_queues_.+_active"}').map(sourceOf)).toEqual(['Immich']);
    expect(selectorsOf('sum(rate(traefik_service_requests_total[5m]))').map(sourceOf)).toEqual(['Traefik']);
  });

  test('every named exporter is read by some alert or panel', () => {
    const used = new Set(selectors.map(sourceOf));
    expect(Object.keys(EXPORTERS).filter((exporter) => !used.has(exporter))).toEqual([]);
  });

  test('the monitoring guide names every exporter', () => {
    const guide = readFileSync(join(ROOT, 'docs', 'monitoring.md'), 'utf8');
    expect(Object.keys(EXPORTERS).filter((exporter) => !guide.includes(exporter))).toEqual([]);
  });
});

describe('the Traefik service name', () => {
  test("matches Traefik's own examples for an IngressRoute route with one Service", () => {
    // pkg/provider/kubernetes/crd: kubernetes_test.go ("Simple Ingress Route") and naming_test.go.
    expect(traefikServiceName('default', 'test.route', 'Host(`foo.com`)')).toBe(
      'default-test-route-6f97418635c7e18853da@kubernetescrd',
    );
    expect(traefikServiceName('default', 'test-route', 'Host(`foo.com`) && PathPrefix(`/bar`)')).toBe(
      'default-test-route-6b204d94623b3df4370c@kubernetescrd',
    );
  });

  test("matches Traefik's own examples for an HTTPRoute rule with one backend, on any entry point of the Gateway", () => {
    // pkg/provider/kubernetes/gateway/kubernetes_test.go: the services of route http-app-1.
    const rule = 'Host("example.org") && PathPrefix("/")';
    const web = 'httproute-default-http-app-1-gw-default-my-gateway-ep-web-0-3be6c6c1abd7a2aec50c-svc-default-whoami-0';
    const gateway = { namespace: 'default', name: 'my-gateway' };
    expect(traefikGatewayService('default', 'http-app-1', { ...gateway, entryPoint: 'web' }, rule, 'whoami')).toEqual({
      value: `${web}@kubernetesgateway`,
      regex: false,
    });
    const any = new RegExp(`^(?:${traefikGatewayService('default', 'http-app-1', gateway, rule, 'whoami').value})$`);
    expect(any.test(`${web}@kubernetesgateway`)).toBe(true);
    expect(any.test(`${web.replace('-ep-web-', '-ep-websecure-')}@kubernetesgateway`)).toBe(true);
    expect(any.test(`${web.replace('-my-gateway-', '-other-gateway-')}@kubernetesgateway`)).toBe(false);
    expect(any.test(`${web}@kubernetescrd`)).toBe(false);
  });

  test("matches Traefik's own examples for an Ingress path, by port number or name", () => {
    // pkg/provider/kubernetes/ingress/kubernetes_test.go: "Ingress with a basic rule on one path", and a named port.
    expect(traefikIngressServiceName('testing', 'service1', 80)).toBe('testing-service1-80@kubernetes');
    expect(traefikIngressServiceName('testing', 'service1', 'tchouk')).toBe('testing-service1-tchouk@kubernetes');
  });

  test('follows the namespace and the host', () => {
    const serviceOf = (manifests: readonly Manifest[]) =>
      queriesOf(manifests)
        .flatMap((q) => selectorsOf(q.expr))
        .flatMap((s) => s.matchers.filter((m) => m.label === 'service').map((m) => m.value));
    const [photos] = MONITORED.filter(([name]) => name.includes('namespace photos')).map(([, m]) => serviceOf(m));
    expect(new Set(photos)).toEqual(new Set([expect.stringMatching(/^photos-immich-[0-9a-f]{20}@kubernetescrd$/)]));
    const [ours, otherHost] = [combined, synth({ ...MONITORING, domain: 'example.org' })].map((m) => serviceOf(m)[0]);
    expect(ours).toMatch(/^immich-immich-[0-9a-f]{20}@kubernetescrd$/);
    expect(otherHost).not.toBe(ours);
  });
});

describe('the server error alert', () => {
  const rule = findOne(split, 'PrometheusRule', 'immich').spec.groups[0].rules.find(
    (r: any) => r.alert === 'ImmichServerErrors',
  );

  test('fires on more than 5% 5xx responses for 10 minutes, only with some traffic', () => {
    expect(rule.for).toBe('10m');
    expect(selectorsOf(rule.expr).filter((s) => s.matchers.some((m) => m.label === 'code'))).toEqual([
      expect.objectContaining({
        metric: 'traefik_service_requests_total',
        matchers: expect.arrayContaining([{ label: 'code', op: '=~', value: '5..' }]),
      }),
    ]);
    expect(rule.expr).toMatch(/> 0\.05 and sum\(rate\(traefik_service_requests_total\{[^}]*\}\[5m\]\)\) > 0\.1$/);
  });
});
