import { configError, EXAMPLE_YAML, findOne, mainContainer, synth } from './support/synth';

const SERVER = `sha256:${'a'.repeat(64)}`;
const ML = `sha256:${'b'.repeat(64)}`;

test('images are pinned by tag alone unless digests are given', () => {
  expect(mainContainer(findOne(synth(), 'Deployment', 'immich-server')).image).toMatch(
    /^ghcr\.io\/immich-app\/immich-server:v\d+\.\d+\.\d+$/,
  );
});

test('given digests pin the server and the backend image beside the tag', () => {
  const manifests = synth({ immich: { digests: { server: SERVER, machineLearning: ML } } });
  expect(mainContainer(findOne(manifests, 'Deployment', 'immich-server')).image).toMatch(
    new RegExp(`:v\\d+\\.\\d+\\.\\d+@${SERVER}$`),
  );
  expect(mainContainer(findOne(manifests, 'Deployment', 'immich-machine-learning')).image).toMatch(
    new RegExp(`-cuda@${ML}$`),
  );
});

test('split workers run the same pinned server image', () => {
  const manifests = synth({
    immich: { digests: { server: SERVER } },
    server: { workers: 'split' },
    storage: { data: { accessModes: ['ReadWriteMany'] } },
  });
  expect(mainContainer(findOne(manifests, 'Deployment', 'immich-microservices')).image).toMatch(
    new RegExp(`@${SERVER}$`),
  );
});

test('fails on a digest that is not sha256: and 64 hex characters', () => {
  const message = configError(
    EXAMPLE_YAML.replace(
      /^immich:\n/m,
      `immich:\n  digests: { server: "sha256:abc", machineLearning: "${'c'.repeat(64)}" }\n`,
    ),
  );
  expect(message).toContain('immich.digests.server: must be "sha256:" and 64 lower-case hex characters');
  expect(message).toContain('immich.digests.machineLearning: must be "sha256:" and 64 lower-case hex characters');
});
