/**
 * Renames every construct id of the tree (charts, components, API objects) and checks that the
 * manifests do not change: no name, label, selector or claim may derive from a construct path.
 */
import type * as constructs from 'constructs';
import { buildCharts } from '../src/chart';
import { renderCharts } from '../src/output';
import { SCENARIOS, type Scenario, scenarioConfig } from './support/modes';

/** While set, every construct but the root App gets a different id. */
const renaming = { on: false };

jest.mock('constructs', () => {
  const actual = jest.requireActual<typeof constructs>('constructs');
  class RenamedConstruct extends actual.Construct {
    constructor(scope: constructs.Construct, id: string) {
      // The root App has no scope.
      super(scope, scope && renaming.on ? `refactored-${id}` : id);
    }
  }
  return { ...actual, Construct: RenamedConstruct };
});

/** The scenario's charts, built with or without renamed ids. */
function build(scenario: Scenario, rename: boolean) {
  const config = scenarioConfig(scenario);
  renaming.on = rename;
  try {
    return buildCharts(config);
  } finally {
    renaming.on = false;
  }
}

describe.each(Object.entries(SCENARIOS))('%s', (_name, scenario) => {
  const reference = build(scenario, false);
  const charts = build(scenario, true);

  test('every construct id in the tree was renamed, and only in the renamed build', () => {
    const ids = charts.app.node.findAll().map((c) => c.node.id);
    expect(ids.length).toBeGreaterThan(30);
    expect(ids.every((id) => id.startsWith('refactored-'))).toBe(true);
    expect(reference.app.node.findAll().some((c) => c.node.id.startsWith('refactored-'))).toBe(false);
  });

  test('renamed construct ids leave every object, name, selector and claim unchanged', () => {
    const files = (built: typeof charts) => Object.fromEntries(renderCharts(built).map((m) => [m.file, m.object]));
    expect(files(charts)).toEqual(files(reference));
  });
});
