/**
 * The complete configurations of config/examples/: each is a scenario of the gate (and of every
 * other test that walks SCENARIOS), read from its file as a user's copy would be, and the README
 * shows each one.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../src/config';
import { SCENARIOS } from './support/modes';
import { relativeLinks } from './support/markdown';
import { EXAMPLE_YAML, ROOT } from './support/synth';

const EXAMPLES = readdirSync(join(ROOT, 'config', 'examples'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `config/examples/${f}`);
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** What a user must change in any copy: the placeholders, and Traefik's read timeout on a shared entry point. */
const EXPECTED_WARNINGS = [
  /is the example's placeholder; set your own$/,
  /is a documentation domain \(RFC 2606\); set your own$/,
  /^ingress\.entryPoints: "websecure" keeps Traefik's default 60 s readTimeout/,
];

test('the common setups each have an example', () => {
  expect(EXAMPLES).toEqual(
    expect.arrayContaining([
      'config/examples/one-node.yaml',
      'config/examples/home-ha.yaml',
      'config/examples/external-secrets.yaml',
    ]),
  );
});

test.each(EXAMPLES)('%s is a gate scenario, read from the file itself', (file) => {
  expect(Object.values(SCENARIOS).filter((s) => s.file === file)).toHaveLength(1);
});

test.each(EXAMPLES)(
  '%s synthesizes with no secret in the environment, warning only about what every copy changes',
  (file) => {
    const { warnings } = parseConfig(read(file), {}, file);
    expect(warnings.filter((w) => !EXPECTED_WARNINGS.some((re) => re.test(w)))).toEqual([]);
  },
);

test('one-node.yaml configures exactly what config/example.yaml, the file synth reads by default, does', () => {
  expect(parseConfig(read('config/examples/one-node.yaml'), {}, 'config.yaml')).toEqual(
    parseConfig(EXAMPLE_YAML, {}, 'config.yaml'),
  );
});

test('the README links every example', () => {
  const linked = relativeLinks(read('README.md'));
  expect(EXAMPLES.filter((file) => !linked.includes(file))).toEqual([]);
});
