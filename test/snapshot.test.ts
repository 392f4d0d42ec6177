import { Yaml } from 'cdk8s';
import { synth } from './support/synth';

// The backstop that shows reviewers every manifest change; intent is asserted in the other tests.
test('the example configuration renders the reviewed manifests', () => {
  const rendered = synth()
    .map((m) => `# ${m.file}\n${Yaml.stringify(m.object)}`)
    .join('---\n');
  expect(rendered).toMatchSnapshot();
});
