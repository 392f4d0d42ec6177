import { createHash } from 'node:crypto';
import { Yaml } from 'cdk8s';
import { findOne, synth } from './support/synth';
import type { Manifest } from '../src/output';

const SECRETS = { IMMICH_DB_PASSWORD: 'db-pa55-word', IMMICH_OAUTH_CLIENT_SECRET: 'oauth-s3cret' };
const INLINE = { secrets: { mode: 'inline' }, argocd: { allowInlineSecrets: true } };

const text = (manifests: readonly Manifest[]) => manifests.map((m) => Yaml.stringify(m.object)).join('---\n');
const immichConfig = (manifests: readonly Manifest[]): any =>
  JSON.parse(findOne(manifests, 'Secret', 'immich-config').stringData['immich-config.json'] as string);
const configChecksum = (manifests: readonly Manifest[]): string =>
  findOne(manifests, 'Deployment', 'immich-server').spec.template.metadata.annotations['checksum/immich-config'];

describe('secrets mode existing', () => {
  const manifests = synth({}, SECRETS);

  test('existing mode synthesizes no Secret', () => {
    expect(manifests.filter((m) => m.object.kind === 'Secret')).toEqual([]);
  });

  test.each(Object.entries(SECRETS))('existing mode output never contains the %s value', (_name, value) => {
    expect(text(manifests)).not.toContain(value);
  });

  test('existing mode checksum does not depend on the client secret in the environment', () => {
    expect(configChecksum(manifests)).toBe(configChecksum(synth()));
  });
});

describe('secrets mode inline', () => {
  const manifests = synth(INLINE, SECRETS);
  const db = findOne(manifests, 'Secret', 'immich-db');
  const file = immichConfig(manifests);

  test('inline immich-db Secret holds only the password', () => {
    expect(db.type).toBe('Opaque');
    expect(db.stringData).toEqual({ password: 'db-pa55-word' });
  });

  test('IMMICH_SECRETS_MODE=inline selects inline mode', () => {
    const out = synth({ argocd: { allowInlineSecrets: true } }, { ...SECRETS, IMMICH_SECRETS_MODE: 'inline' });
    expect(findOne(out, 'Secret', 'immich-db').stringData.password).toBe('db-pa55-word');
    expect(findOne(out, 'Secret', 'immich-config').kind).toBe('Secret');
  });

  test('inline immich-config Secret holds only immich-config.json', () => {
    expect(Object.keys(findOne(manifests, 'Secret', 'immich-config').stringData)).toEqual(['immich-config.json']);
  });

  test('immich config enables OAuth against the Authentik issuer', () => {
    expect(file.oauth.enabled).toBe(true);
    expect(file.oauth.issuerUrl).toBe('https://auth.example.com/application/o/immich/');
  });

  test('immich config carries the client id and client secret', () => {
    expect(file.oauth.clientId).toBe('immich');
    expect(file.oauth.clientSecret).toBe('oauth-s3cret');
  });

  test('immich config client id follows IMMICH_OAUTH_CLIENT_ID', () => {
    const out = synth(INLINE, { ...SECRETS, IMMICH_OAUTH_CLIENT_ID: 'photos-client' });
    expect(immichConfig(out).oauth.clientId).toBe('photos-client');
  });

  test('immich config uses the default OAuth scope, auto-registration and button text', () => {
    expect(file.oauth).toMatchObject({
      scope: 'openid email profile',
      autoRegister: true,
      buttonText: 'Login with Authentik',
    });
  });

  test('immich config points machine learning at http://immich-machine-learning:3003', () => {
    expect(file.machineLearning.urls).toEqual(['http://immich-machine-learning:3003']);
  });

  test('immich config sets the external domain to https://immich.example.com', () => {
    expect(file.server.externalDomain).toBe('https://immich.example.com');
  });

  test('immich config external domain follows host', () => {
    const out = synth({ ...INLINE, host: 'photos.example.org' }, SECRETS);
    expect(immichConfig(out).server.externalDomain).toBe('https://photos.example.org');
  });

  test('immich config leaves allowInsecureRequests out for an https issuer', () => {
    expect(file.oauth).not.toHaveProperty('allowInsecureRequests');
  });

  test('immich config allows insecure requests for a plain-http issuer', () => {
    const http = immichConfig(
      synth({ ...INLINE, oauth: { issuerUrl: 'http://auth.lan/application/o/immich/' } }, SECRETS),
    );
    expect(http.oauth.allowInsecureRequests).toBe(true);
  });

  test('disabled OAuth renders oauth.enabled false into a ConfigMap, with no config Secret', () => {
    const out = synth({ ...INLINE, oauth: { enabled: false } }, { IMMICH_DB_PASSWORD: 'db-pa55-word' });
    const file = JSON.parse(findOne(out, 'ConfigMap', 'immich-config').data['immich-config.json'] as string);
    expect(file.oauth).toEqual({ enabled: false });
    expect(out.filter((m) => m.object.kind === 'Secret').map((m) => m.object.metadata.name)).toEqual(['immich-db']);
  });

  test('immich config turns on the nightly database dump, keeping 14', () => {
    expect(file.backup.database).toEqual({ enabled: true, cronExpression: '0 02 * * *', keepLastAmount: 14 });
  });

  test('immich config backup follows backup.database', () => {
    const out = synth(
      { ...INLINE, backup: { database: { cronExpression: '30 3 * * 0', keepLastAmount: 4 } } },
      SECRETS,
    );
    expect(immichConfig(out).backup.database).toEqual({
      enabled: true,
      cronExpression: '30 3 * * 0',
      keepLastAmount: 4,
    });
  });
});

describe('checksum/immich-config', () => {
  test('checksum is the SHA-256 of the synthesized config file', () => {
    const manifests = synth(INLINE, SECRETS);
    const content = findOne(manifests, 'Secret', 'immich-config').stringData['immich-config.json'] as string;
    expect(configChecksum(manifests)).toBe(createHash('sha256').update(content).digest('hex'));
  });

  test('checksum is stable for identical input', () => {
    expect(configChecksum(synth(INLINE, SECRETS))).toBe(configChecksum(synth(INLINE, SECRETS)));
    expect(configChecksum(synth())).toBe(configChecksum(synth()));
  });

  test('checksum changes when the OAuth button text changes', () => {
    const changed = { oauth: { buttonText: 'Sign in' } };
    expect(configChecksum(synth(changed))).not.toBe(configChecksum(synth()));
    expect(configChecksum(synth({ ...INLINE, ...changed }, SECRETS))).not.toBe(configChecksum(synth(INLINE, SECRETS)));
  });

  test('inline checksum changes when the client secret changes', () => {
    const rotated = { ...SECRETS, IMMICH_OAUTH_CLIENT_SECRET: 'rotated' };
    expect(configChecksum(synth(INLINE, rotated))).not.toBe(configChecksum(synth(INLINE, SECRETS)));
  });
});
