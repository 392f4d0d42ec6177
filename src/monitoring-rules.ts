/**
 * Alerts and dashboard queries over the metrics Immich v3 exports. Immich names each job and queue
 * metric after it (`immich.jobs.<job>.failed`, `immich.queues.<queue>.active`); the Prometheus
 * exporter turns dots into underscores and adds `_total` to counters. v3 exports no queue depth.
 * @see https://immich.app/docs/features/monitoring
 */

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
  /** The CloudNativePG cluster, when there is one. */
  readonly cloudnativePg?: { readonly name: string; readonly backups: boolean };
}

/** PromQL selectors of the app's metrics. */
export function selectors(namespace: string) {
  const ns = `namespace="${namespace}"`;
  return {
    ns,
    jobsFailed: `{__name__=~"immich_jobs_.+_failed_total", ${ns}}`,
    jobsSucceeded: `{__name__=~"immich_jobs_.+_success_total", ${ns}}`,
    queuesActive: `{__name__=~"immich_queues_.+_active", ${ns}}`,
    requests: `http_server_duration_count{${ns}}`,
    requestBuckets: `http_server_duration_bucket{${ns}}`,
  } as const;
}

/** Alerts an operator acts on, each with a summary, a description and a severity. */
export function alertRules(scope: RuleScope): AlertRule[] {
  const s = selectors(scope.namespace);
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
  return rules;
}

/** One panel of the dashboard: a title, its queries and a unit. */
export interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly targets: readonly { readonly expr: string; readonly legend: string }[];
}

/** The dashboard's panels; the Immich queries use the same metric names as the alerts. */
export function dashboardPanels(scope: RuleScope): Panel[] {
  const s = selectors(scope.namespace);
  const container = `${s.ns}, container!="", container!="POD"`;
  return [
    {
      title: 'API requests per second',
      unit: 'reqps',
      targets: [{ expr: `sum by (http_route) (rate(${s.requests}[5m]))`, legend: '{{http_route}}' }],
    },
    {
      title: 'API latency (p95)',
      unit: 'ms',
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
