import { App, Chart, JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import { ImmichIngressRoute } from './components/ingress-route';
import { ImmichServer } from './components/immich-server';
import { MachineLearning } from './components/machine-learning';
import { Postgres } from './components/postgres';
import { ImmichSecrets } from './components/secrets';
import { Valkey } from './components/valkey';
import type { Config } from './config';
import { PART_OF } from './constants';
import { CLIENT_SECRET_PLACEHOLDER, checksum, renderImmichConfig } from './immich-config';
import { commonLabels } from './lib/labels';
import { httpUrl } from './lib/pod';

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

    const namespace = new k8s.KubeNamespace(this, 'namespace', { metadata: { name: config.namespace } });
    // The chart stamps its namespace on every object; a Namespace is cluster-scoped and must not carry one.
    namespace.addJsonPatch(JsonPatch.remove('/metadata/namespace'));

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
    // In existing mode the real client secret lives only in the user's Secret.
    const immichConfig = renderImmichConfig(config, {
      machineLearningUrl: this.machineLearningUrl,
      oauthClientSecret: config.secretValues?.oauthClientSecret ?? CLIENT_SECRET_PLACEHOLDER,
    });
    const secrets = new ImmichSecrets(this, 'secrets', {
      mode: config.secrets.mode,
      database: config.database,
      values: config.secretValues,
      immichConfig,
    });

    const postgres = new Postgres(this, 'postgres', {
      instance,
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
      dbSecretName: secrets.dbSecretName,
      configSecretName: secrets.configSecretName,
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
  }
}

/** Builds the chart for a configuration in a fresh app; nothing is written until the caller renders it. */
export function buildChart(config: Config): ImmichChart {
  return new ImmichChart(new App(), 'immich', { config });
}
