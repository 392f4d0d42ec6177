import { App, Chart, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { ArgoCdApplication } from './components/argocd-application';
import { ImmichIngressRoute } from './components/ingress-route';
import { ImmichServer } from './components/immich-server';
import { MachineLearning } from './components/machine-learning';
import { NetworkPolicies } from './components/network-policies';
import { Postgres } from './components/postgres';
import { ImmichSecrets } from './components/secrets';
import { Valkey } from './components/valkey';
import type { Config } from './config';
import { PART_OF } from './constants';
import { CLIENT_SECRET_PLACEHOLDER, checksum, renderImmichConfig, renderImmichConfigTemplate } from './immich-config';
import { SYNC_WAVES, syncPolicy } from './lib/argocd';
import { commonLabels } from './lib/labels';
import { httpUrl } from './lib/pod';

/** Kubernetes version whose Pod Security Standards the namespace enforces; pinned so upgrades never reject pods. */
const PSS_VERSION = 'v1.28';

export interface ImmichChartProps {
  /** The validated configuration. */
  readonly config: Config;
}

/** The whole Immich stack in one namespace: each component is one construct. */
export class ImmichChart extends Chart {
  /** URL of the machine-learning Service, as written to the Immich config file. */
  readonly machineLearningUrl: string;

  constructor(scope: Construct, id: string, props: ImmichChartProps) {
    const { config } = props;
    const instance = PART_OF;
    // Chart labels reach every object's metadata (not pod templates), so they are applied once here.
    super(scope, id, { namespace: config.namespace, labels: commonLabels(instance), disableResourceNameHashes: true });

    const namespace = new k8s.KubeNamespace(this, 'namespace', {
      metadata: {
        name: config.namespace,
        labels: {
          'pod-security.kubernetes.io/enforce': config.podSecurity.enforce,
          'pod-security.kubernetes.io/enforce-version': PSS_VERSION,
          // Warnings and audit entries name whatever keeps a pod from the strictest level.
          'pod-security.kubernetes.io/warn': 'restricted',
          'pod-security.kubernetes.io/warn-version': PSS_VERSION,
          'pod-security.kubernetes.io/audit': 'restricted',
          'pod-security.kubernetes.io/audit-version': PSS_VERSION,
        },
      },
    });
    // The chart stamps its namespace on every object; a Namespace is cluster-scoped and must not carry one.
    namespace.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
    // Deleting the namespace would delete every PVC in it.
    syncPolicy(namespace, { wave: SYNC_WAVES.prerequisites, keep: true });

    const machineLearning = new MachineLearning(this, 'machine-learning', {
      instance,
      version: config.immich.version,
      backend: config.machineLearning.backend,
      gpu: config.machineLearning.gpu,
      storage: config.storage.mlCache,
      resources: config.resources.machineLearning,
      timezone: config.timezone,
    });

    this.machineLearningUrl = httpUrl(machineLearning.endpoint);
    // Outside inline mode the real client secret never reaches the output; the placeholder feeds the checksum.
    const immichConfig = renderImmichConfig(config, {
      machineLearningUrl: this.machineLearningUrl,
      oauthClientSecret: config.secretValues?.oauthClientSecret ?? CLIENT_SECRET_PLACEHOLDER,
    });
    const secrets = new ImmichSecrets(this, 'secrets', {
      secrets: config.secrets,
      oauth: config.oauth.enabled,
      values: config.secretValues,
      immichConfig,
      immichConfigTemplate: (secretKey) => renderImmichConfigTemplate(config, this.machineLearningUrl, secretKey),
    });

    const postgres = new Postgres(this, 'postgres', {
      instance,
      database: config.database,
      dbSecretName: secrets.dbSecretName,
      storage: config.storage.postgres,
      storageType: config.database.storageType,
      resources: config.resources.postgres,
    });
    const valkey = new Valkey(this, 'valkey', {
      instance,
      storage: config.storage.valkey,
      resources: config.resources.valkey,
    });
    const server = new ImmichServer(this, 'server', {
      instance,
      version: config.immich.version,
      timezone: config.timezone,
      logLevel: config.immich.logLevel,
      postgres: postgres.endpoint,
      valkey: valkey.endpoint,
      machineLearning: machineLearning.endpoint,
      database: config.database,
      dbSecretName: secrets.dbSecretName,
      configFile: secrets.configFile,
      configChecksum: checksum(immichConfig),
      storage: config.storage.data,
      library: config.library,
      resources: config.resources.server,
    });

    new ImmichIngressRoute(this, 'ingress', {
      host: config.host,
      entryPoints: config.ingress.entryPoints,
      tls: config.ingress.tls,
      server: server.endpoint,
    });

    if (config.networkPolicy.enabled) {
      new NetworkPolicies(this, 'network-policies', {
        policy: config.networkPolicy,
        issuerPort: config.oauth.enabled ? urlPort(config.oauth.issuerUrl) : undefined,
        server: server.endpoint,
        machineLearning: machineLearning.endpoint,
        postgres: postgres.endpoint,
        valkey: valkey.endpoint,
      });
    }
  }
}

/** The Argo CD Application, in Argo CD's namespace and its own output folder. */
export class ArgoCdChart extends Chart {
  constructor(scope: Construct, id: string, props: ImmichChartProps) {
    const { config } = props;
    super(scope, id, { labels: commonLabels(PART_OF), disableResourceNameHashes: true });
    new ArgoCdApplication(this, 'application', { argocd: config.argocd, destinationNamespace: config.namespace });
  }
}

/** The charts of one configuration. */
export interface ImmichCharts {
  /** The app's manifests. */
  readonly app: ImmichChart;
  /** The Argo CD Application, when `argocd.enabled`. */
  readonly argocd?: ArgoCdChart;
}

/** Builds the charts for a configuration in a fresh app; nothing is written until the caller renders them. */
export function buildCharts(config: Config): ImmichCharts {
  const app = new App();
  return {
    app: new ImmichChart(app, 'immich', { config }),
    ...(config.argocd.enabled ? { argocd: new ArgoCdChart(app, 'argocd', { config }) } : {}),
  };
}

/** The TCP port of an http(s) URL. */
function urlPort(url: string): number {
  const parsed = new URL(url);
  return parsed.port ? Number(parsed.port) : parsed.protocol === 'http:' ? 80 : 443;
}
