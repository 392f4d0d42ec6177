/**
 * The stack as a library for other cdk8s apps:
 *
 *   const config = parseConfig(yamlTextOrObject, process.env);
 *   new ImmichChart(app, 'immich', { config });
 *
 * parseConfig validates exactly as `npm run synth` does and throws the same ConfigError.
 */
export { ArgoCdChart, ImmichChart, buildCharts } from './chart';
export type { ImmichChartProps, ImmichCharts } from './chart';
export { ConfigError, ENV_OVERRIDES, loadConfig, parseConfig } from './config';
export type { Config } from './config';
export { renderCharts, renderManifests } from './output';
export type { Manifest } from './lib/manifest';
export { renderArchitecture } from './architecture';
