import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import {
  PodMonitor,
  PrometheusRule,
  PrometheusRuleSpecGroupsRulesExpr,
  ServiceMonitor,
} from '../../imports/monitoring.coreos.com';
import type { MonitoringConfig } from '../config';
import { CLOUDNATIVE_PG, HEALTH_PATHS, PART_OF } from '../constants';
import { SYNC_WAVES, syncPolicy } from '../lib/argocd';
import { type RuleScope, alertRules, grafanaDashboard } from '../monitoring-rules';

export interface MonitoringProps {
  /** `monitoring` of the configuration. */
  readonly config: MonitoringConfig;
  /** Names of the metrics ports the Immich Services expose. */
  readonly metricsPorts: readonly string[];
  /** What the alerts and the dashboard cover. */
  readonly scope: RuleScope;
  /** Name of the CloudNativePG Pooler, whose PgBouncer pods export metrics too. @default none */
  readonly pooler?: string;
}

/**
 * Metrics, alerts and a dashboard for the Prometheus Operator and Grafana's sidecar: a
 * ServiceMonitor for Immich's metrics ports, a PodMonitor each for CloudNativePG's instances and
 * its PgBouncer pooler (the operator's own `enablePodMonitor` is deprecated for both), a
 * PrometheusRule, and the dashboard as a ConfigMap.
 * @see https://prometheus-operator.dev/docs/developer/getting-started/
 */
export class Monitoring extends Construct {
  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { config } = props;
    const name = PART_OF;
    // The Prometheus picks monitors and rules by these labels, besides the chart's own.
    const metadata = (objectName: string) => ({ name: objectName, labels: { ...config.labels } });
    const custom = { wave: SYNC_WAVES.ingress, customResource: true };

    const services = new ServiceMonitor(this, 'service-monitor', {
      metadata: metadata(name),
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/part-of': PART_OF } },
        endpoints: props.metricsPorts.map((port) => ({ port, path: HEALTH_PATHS.metrics, interval: '30s' })),
      },
    });
    syncPolicy(services, custom);

    if (props.scope.cloudnativePg) {
      const cluster = new PodMonitor(this, 'pod-monitor', {
        metadata: metadata(props.scope.cloudnativePg.name),
        spec: {
          // Pooler pods carry the cluster label and a `metrics` port too: they have a monitor of their own.
          selector: {
            matchLabels: {
              [CLOUDNATIVE_PG.clusterLabel]: props.scope.cloudnativePg.name,
              [CLOUDNATIVE_PG.podRoleLabel]: 'instance',
            },
          },
          podMetricsEndpoints: [{ port: 'metrics', interval: '30s' }],
        },
      });
      syncPolicy(cluster, custom);
    }
    if (props.pooler) {
      const pooler = new PodMonitor(this, 'pooler-pod-monitor', {
        metadata: metadata(props.pooler),
        spec: {
          selector: { matchLabels: { [CLOUDNATIVE_PG.poolerLabel]: props.pooler } },
          podMetricsEndpoints: [{ port: 'metrics', interval: '30s' }],
        },
      });
      syncPolicy(pooler, custom);
    }

    const rules = new PrometheusRule(this, 'rules', {
      metadata: metadata(name),
      spec: {
        groups: [
          {
            name: 'immich',
            rules: alertRules(props.scope).map((rule) => ({
              alert: rule.alert,
              expr: PrometheusRuleSpecGroupsRulesExpr.fromString(rule.expr),
              for: rule.for,
              labels: { severity: rule.severity },
              annotations: { summary: rule.summary, description: rule.description },
            })),
          },
        ],
      },
    });
    syncPolicy(rules, custom);

    if (config.dashboard.enabled) {
      const dashboard = new k8s.KubeConfigMap(this, 'dashboard', {
        metadata: {
          name: `${name}-dashboard`,
          // Where the Grafana sidecar looks; the chart's namespace otherwise.
          namespace: config.dashboard.namespace,
          labels: { ...config.dashboard.labels },
        },
        data: { 'immich.json': grafanaDashboard(props.scope) },
      });
      syncPolicy(dashboard, { wave: SYNC_WAVES.ingress });
    }
  }
}
