/**
 * Alerts and dashboard queries. Immich v3 names each job and queue metric after it
 * (`immich.jobs.<job>.failed`, `immich.queues.<queue>.active`); the Prometheus exporter turns dots
 * into underscores and adds `_total` to counters. v3 exports no queue depth and no HTTP server
 * metrics, so requests, errors and latency come from Traefik, which sees every request.
 * @see https://immich.app/docs/features/monitoring
 */
import type { TraefikService } from './lib/traefik';

/**
 * The exporters the alerts and the dashboard read besides Immich, each with the metrics used from
 * it; without one, the alerts and panels on its metrics stay empty.
 */
export const EXPORTERS = {
  'kube-state-metrics': [
    'kube_deployment_spec_replicas',
    'kube_deployment_status_replicas_available',
    'kube_pod_container_status_restarts_total',
    'kube_cronjob_status_last_successful_time',
    'kube_cronjob_created',
  ],
  'kubelet volume stats': ['kubelet_volume_stats_used_bytes', 'kubelet_volume_stats_capacity_bytes'],
  'kubelet cAdvisor': ['container_cpu_usage_seconds_total', 'container_memory_working_set_bytes'],
  'NVIDIA DCGM exporter': ['DCGM_FI_DEV_GPU_UTIL'],
  Traefik: ['traefik_service_requests_total', 'traefik_service_request_duration_seconds_bucket'],
  CloudNativePG: ['cnpg_pg_replication_lag'],
  'Barman Cloud plugin': ['barman_cloud_cloudnative_pg_io_last_available_backup_timestamp'],
} as const satisfies Record<string, readonly string[]>;

/** One alert: an expression that holds for a while, and what to tell the operator. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly severity: 'warning' | 'critical';
  readonly summary: string;
  readonly description: string;
}

/** What the rules are about. */
export interface RuleScope {
  readonly namespace: string;
  /** Deployments and StatefulSets of the app. */
  readonly workloads: readonly string[];
  /** The Traefik service routing to the server: the `service` label of Traefik's metrics. */
  readonly ingressService: TraefikService;
  /** The CloudNativePG cluster, when there is one. */
  readonly cloudnativePg?: { readonly name: string; readonly backups: boolean };
  /** The CronJob of the logical database dumps, when there is one. */
  readonly logicalBackup?: { readonly cronJob: string };
}

/** PromQL selectors of the app's metrics. */
export function selectors(scope: RuleScope) {
  const ns = `namespace="${scope.namespace}"`;
  const { value, regex } = scope.ingressService;
  const service = `service${regex ? '=~' : '='}"${value}"`;
  return {
    ns,
    jobsFailed: `{__name__=~"immich_jobs_.+_failed_total", ${ns}}`,
    jobsSucceeded: `{__name__=~"immich_jobs_.+_success_total", ${ns}}`,
    queuesActive: `{__name__=~"immich_queues_.+_active", ${ns}}`,
    requests: `traefik_service_requests_total{${service}}`,
    serverErrors: `traefik_service_requests_total{${service}, code=~"5.."}`,
    requestBuckets: `traefik_service_request_duration_seconds_bucket{${service}}`,
  } as const;
}

/** Alerts an operator acts on, each with a summary, a description and a severity. */
export function alertRules(scope: RuleScope): AlertRule[] {
  const s = selectors(scope);
  const workloads = scope.workloads.join('|');
  const rules: AlertRule[] = [
    {
      alert: 'ImmichComponentDown',
      expr: `max by (deployment) (kube_deployment_spec_replicas{${s.ns}, deployment=~"${workloads}"}) > 0 and on (deployment) max by (deployment) (kube_deployment_status_replicas_available{${s.ns}, deployment=~"${workloads}"}) == 0`,
      for: '5m',
      severity: 'critical',
      summary: 'An Immich component has no pod available',
      description:
        'Deployment {{ $labels.deployment }} has had no available pod for 5 minutes. Check `kubectl -n ' +
        scope.namespace +
        " describe deployment {{ $labels.deployment }}` and its pods' events.",
    },
    {
      alert: 'ImmichPodCrashLooping',
      expr: `increase(kube_pod_container_status_restarts_total{${s.ns}}[15m]) > 3`,
      for: '5m',
      severity: 'warning',
      summary: 'An Immich container keeps restarting',
      description:
        'Container {{ $labels.container }} of pod {{ $labels.pod }} restarted more than 3 times in 15 minutes. Read its previous log with `kubectl logs --previous`.',
    },
    {
      alert: 'ImmichJobsFailing',
      expr: `sum by (__name__) (rate(${s.jobsFailed}[30m])) > 0 and sum by (__name__) (rate(${s.jobsFailed}[30m])) > sum by (__name__) (rate(${s.jobsSucceeded}[30m]))`,
      for: '30m',
      severity: 'warning',
      summary: 'An Immich job type fails more often than it succeeds',
      description:
        '{{ $labels.__name__ }} has counted more failures than successes for 30 minutes. The server log names the assets and the error.',
    },
    {
      alert: 'ImmichQueueNotDraining',
      expr: `min_over_time(${s.queuesActive}[6h]) > 0`,
      for: '30m',
      severity: 'warning',
      summary: 'An Immich queue has been busy without a break for 6 hours',
      description:
        "{{ $labels.__name__ }} has had active jobs for 6 hours without ever emptying: the backlog keeps growing or a job hangs. Check the job page in the admin settings and the workers' resources.",
    },
    {
      alert: 'ImmichServerErrors',
      // Only with some traffic (6 requests a minute): a few failed requests of an idle server are no outage.
      expr: `sum(rate(${s.serverErrors}[5m])) / sum(rate(${s.requests}[5m])) > 0.05 and sum(rate(${s.requests}[5m])) > 0.1`,
      for: '10m',
      severity: 'critical',
      summary: 'Immich answers more than 5% of requests with a server error',
      description:
        '{{ $value | humanizePercentage }} of the requests Traefik sent to the Immich server got a 5xx response for 10 minutes (Traefik answers 502 or 503 itself when no server pod takes the request). Read `kubectl -n ' +
        scope.namespace +
        ' logs deployment/immich-server` and check its database and Redis.',
    },
    {
      alert: 'ImmichVolumeFillingUp',
      expr: `kubelet_volume_stats_used_bytes{${s.ns}} / kubelet_volume_stats_capacity_bytes{${s.ns}} > 0.85`,
      for: '15m',
      severity: 'warning',
      summary: 'An Immich volume is over 85% full',
      description:
        'PVC {{ $labels.persistentvolumeclaim }} is {{ $value | humanizePercentage }} full. Grow it (storage.<volume>.size, with a StorageClass that allows expansion) before uploads or the database stop.',
    },
  ];
  if (scope.cloudnativePg) {
    const cluster = `${s.ns}, pod=~"${scope.cloudnativePg.name}-[0-9]+"`;
    rules.push({
      alert: 'ImmichDatabaseReplicationLag',
      expr: `max by (pod) (cnpg_pg_replication_lag{${cluster}}) > 300`,
      for: '10m',
      severity: 'warning',
      summary: 'A database replica is more than 5 minutes behind',
      description:
        'Replica {{ $labels.pod }} lags {{ $value | humanizeDuration }} behind the primary. A failover now would lose that much. Check its node, disk and network.',
    });
    if (scope.cloudnativePg.backups) {
      rules.push({
        alert: 'ImmichDatabaseBackupTooOld',
        expr: `time() - max(barman_cloud_cloudnative_pg_io_last_available_backup_timestamp{${cluster}}) > 2 * 86400`,
        for: '1h',
        severity: 'critical',
        summary: 'The newest database base backup is more than 2 days old',
        description:
          'No base backup of the CloudNativePG cluster has completed for {{ $value | humanizeDuration }}. Check `kubectl -n ' +
          scope.namespace +
          ' get backups` and the object store credentials.',
      });
    }
  }
  if (scope.logicalBackup) {
    const cronJob = `${s.ns}, cronjob="${scope.logicalBackup.cronJob}"`;
    const lastSuccess = `max(kube_cronjob_status_last_successful_time{${cronJob}})`;
    rules.push({
      alert: 'ImmichDatabaseDumpTooOld',
      // A CronJob that never succeeded has no last success at all: then its age counts.
      expr: `(time() - ${lastSuccess} > 2 * 86400) or (time() - max(kube_cronjob_created{${cronJob}}) > 2 * 86400 unless ${lastSuccess})`,
      for: '1h',
      severity: 'critical',
      summary: 'No logical database dump has succeeded for 2 days',
      description:
        `CronJob ${scope.logicalBackup.cronJob} has not completed a pg_dump for {{ $value | humanizeDuration }}. Read the log of its last Job: \`kubectl -n ` +
        scope.namespace +
        ` get jobs -l app.kubernetes.io/name=${scope.logicalBackup.cronJob}\` and \`kubectl logs job/<name>\`.`,
    });
  }
  return rules;
}

/** One panel of the dashboard: a title, its queries and a unit. */
export interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly targets: readonly { readonly expr: string; readonly legend: string }[];
}

/** The dashboard's panels; they use the same selectors as the alerts. */
export function dashboardPanels(scope: RuleScope): Panel[] {
  const s = selectors(scope);
  const container = `${s.ns}, container!="", container!="POD"`;
  return [
    {
      title: 'Requests per second by status (Traefik)',
      unit: 'reqps',
      targets: [{ expr: `sum by (code) (rate(${s.requests}[5m]))`, legend: '{{code}}' }],
    },
    {
      title: 'Share of server errors (5xx, Traefik)',
      unit: 'percentunit',
      // Traefik has no 5xx series until the first one: count that as none rather than no data.
      targets: [
        { expr: `(sum(rate(${s.serverErrors}[5m])) or vector(0)) / sum(rate(${s.requests}[5m]))`, legend: '5xx' },
      ],
    },
    {
      title: 'Request latency, p95 (Traefik, uploads included)',
      unit: 's',
      targets: [{ expr: `histogram_quantile(0.95, sum by (le) (rate(${s.requestBuckets}[5m])))`, legend: 'p95' }],
    },
    {
      title: 'Jobs per second',
      unit: 'ops',
      targets: [
        { expr: `sum by (__name__) (rate(${s.jobsSucceeded}[5m]))`, legend: '{{__name__}}' },
        { expr: `sum by (__name__) (rate(${s.jobsFailed}[5m]))`, legend: '{{__name__}}' },
      ],
    },
    {
      title: 'Active jobs per queue',
      unit: 'short',
      targets: [{ expr: `sum by (__name__) (${s.queuesActive})`, legend: '{{__name__}}' }],
    },
    {
      title: 'CPU per pod',
      unit: 'short',
      targets: [
        { expr: `sum by (pod) (rate(container_cpu_usage_seconds_total{${container}}[5m]))`, legend: '{{pod}}' },
      ],
    },
    {
      title: 'Memory per pod',
      unit: 'bytes',
      targets: [{ expr: `sum by (pod) (container_memory_working_set_bytes{${container}})`, legend: '{{pod}}' }],
    },
    {
      title: 'GPU use per pod (NVIDIA DCGM)',
      unit: 'percent',
      targets: [{ expr: `avg by (pod) (DCGM_FI_DEV_GPU_UTIL{${s.ns}})`, legend: '{{pod}}' }],
    },
    {
      title: 'Volume usage',
      unit: 'percentunit',
      targets: [
        {
          expr: `kubelet_volume_stats_used_bytes{${s.ns}} / kubelet_volume_stats_capacity_bytes{${s.ns}}`,
          legend: '{{persistentvolumeclaim}}',
        },
      ],
    },
  ];
}

/** The Grafana dashboard JSON for the panels, on the default Prometheus data source. */
export function grafanaDashboard(scope: RuleScope): string {
  const panels = dashboardPanels(scope).map((panel, i) => ({
    id: i + 1,
    type: 'timeseries',
    title: panel.title,
    datasource: { type: 'prometheus', uid: '${datasource}' },
    gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
    fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
    targets: panel.targets.map((t, j) => ({
      refId: String.fromCharCode(65 + j),
      expr: t.expr,
      legendFormat: t.legend,
    })),
  }));
  const dashboard = {
    uid: `immich-${scope.namespace}`,
    title: `Immich (${scope.namespace})`,
    tags: ['immich'],
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [{ name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Data source' }],
    },
    panels,
  };
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
