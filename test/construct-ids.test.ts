/**
 * Renames every construct id of the tree (charts, components, API objects) and checks that the
 * manifests do not change: no name, label, selector or claim may derive from a construct path.
 */
import { rmSync } from 'node:fs';
import type * as constructs from 'constructs';
import { join } from 'node:path';
import { buildCharts } from '../src/chart';
import { parse, stringify } from 'yaml';
import { parseConfig } from '../src/config';
import { renderCharts } from '../src/output';
import { readManifests } from './support/files';
import { PLAINTEXT, SCENARIOS, synthScenarioToDir } from './support/modes';
import { EXAMPLE_YAML } from './support/synth';

jest.mock('constructs', () => {
  const actual = jest.requireActual<typeof constructs>('constructs');
  class RenamedConstruct extends actual.Construct {
    constructor(scope: constructs.Construct, id: string) {
      // The root App has no scope; every other construct gets a different id.
      super(scope, scope ? `refactored-${id}` : id);
    }
  }
  return { ...actual, Construct: RenamedConstruct };
});

describe.each(Object.entries(SCENARIOS))('%s', (_name, scenario) => {
  // The same configuration the bundled app reads: the example with the scenario's sections.
  const example = parse(EXAMPLE_YAML) as Record<string, unknown>;
  const charts = buildCharts(parseConfig(stringify({ ...example, ...scenario.overrides }), PLAINTEXT));
  let reference: Record<string, unknown>;
  beforeAll(() => {
    // The bundled app carries its own, unmocked constructs: its output is the reference.
    const dir = synthScenarioToDir(scenario);
    reference = Object.fromEntries(readManifests(join(dir, 'dist')).map((m) => [m.file, m.object]));
    rmSync(dir, { recursive: true, force: true });
  });

  test('every construct id in the tree was renamed', () => {
    const ids = charts.app.node.findAll().map((c) => c.node.id);
    expect(ids.length).toBeGreaterThan(30);
    expect(ids.every((id) => id.startsWith('refactored-'))).toBe(true);
  });

  test('renamed construct ids leave every object, name, selector and claim unchanged', () => {
    const renamed = Object.fromEntries(renderCharts(charts).map((m) => [m.file, m.object]));
    expect(JSON.parse(JSON.stringify(renamed))).toEqual(reference);
  });
});
