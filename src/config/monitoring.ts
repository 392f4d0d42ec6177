/** The `monitoring` section: Prometheus Operator objects, alerts and a Grafana dashboard. */
import * as v from 'valibot';
import { bool, dnsLabel, labelSelector, labels, section } from './primitives';

export const monitoringSection = section({
  /**
   * Immich's metrics (`IMMICH_TELEMETRY_INCLUDE=all`) on ports `metrics-api` (8081) and
   * `metrics-ms` (8082), a ServiceMonitor, a PodMonitor for CloudNativePG, a PrometheusRule and a
   * dashboard. @default false
   */
  enabled: v.optional(bool(), false),
  /** Labels the Prometheus selects its monitors and rules by, e.g. `{ release: kube-prometheus-stack }`. @default {} */
  labels: v.optional(labels('release: kube-prometheus-stack'), {}),
  /** The Prometheus pods allowed to scrape the metrics ports. */
  prometheus: section({
    /** Labels of the namespace it runs in. @default { kubernetes.io/metadata.name: monitoring } */
    namespaceSelector: v.optional(labelSelector('kubernetes.io/metadata.name: monitoring'), {
      'kubernetes.io/metadata.name': 'monitoring',
    }),
    /** Labels of its pods. @default { app.kubernetes.io/name: prometheus } */
    podSelector: v.optional(labelSelector('app.kubernetes.io/name: prometheus'), {
      'app.kubernetes.io/name': 'prometheus',
    }),
  }),
  /** A Grafana dashboard as a ConfigMap for the Grafana sidecar. */
  dashboard: section({
    /** Render the dashboard ConfigMap. @default true (with monitoring) */
    enabled: v.optional(bool(), true),
    /** Labels the sidecar watches. @default { grafana_dashboard: "1" } */
    labels: v.optional(labelSelector('grafana_dashboard: "1"'), { grafana_dashboard: '1' }),
    /**
     * Namespace of the ConfigMap. The kube-prometheus-stack sidecar only reads its own namespace
     * unless `sidecar.dashboards.searchNamespace` names others or `ALL`. @default the app's namespace
     */
    namespace: v.optional(dnsLabel('monitoring')),
  }),
});

export type MonitoringConfig = v.InferOutput<typeof monitoringSection>;
