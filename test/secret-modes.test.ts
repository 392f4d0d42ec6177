import { Yaml } from 'cdk8s';
import { MODES, PLAINTEXT, SEALED } from './support/modes';
import { configError, findOne, synth } from './support/synth';
import type { Manifest } from '../src/output';

const EXTERNAL = MODES['external-secrets'];
const SEALED_MODE = MODES['sealed-secrets'];
const MINIMAL = 'domain: example.com\noauth: { clientId: immich }\n';
/** The one Go template action the config file template may hold. */
const CLIENT_SECRET_ACTION = '{{ index . "oauth-client-secret" | toJson }}';

/** Renders the config template as the operators do for the action it uses: toJson of the value. */
function renderTemplate(template: string, clientSecret: string): any {
  const actions = template.match(/\{\{.*?\}\}/g) ?? [];
  expect(actions).toEqual([CLIENT_SECRET_ACTION]);
  return JSON.parse(template.replace(CLIENT_SECRET_ACTION, () => JSON.stringify(clientSecret)));
}

const text = (manifests: readonly Manifest[]) => manifests.map((m) => Yaml.stringify(m.object)).join('---\n');

describe('secrets mode external-secrets', () => {
  const manifests = synth(EXTERNAL.overrides, EXTERNAL.env);
  const db = findOne(manifests, 'ExternalSecret', 'immich-db');
  const config = findOne(manifests, 'ExternalSecret', 'immich-config');

  test('immich-db ExternalSecret fills the password key of Secret immich-db from the store', () => {
    expect(db.apiVersion).toBe('external-secrets.io/v1');
    expect(db.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: 'vault' });
    expect(db.spec.target).toMatchObject({ name: 'immich-db', creationPolicy: 'Owner', deletionPolicy: 'Retain' });
    expect(db.spec.data).toEqual([
      { secretKey: 'password', remoteRef: { key: 'immich/database', property: 'password' } },
    ]);
  });

  test('both ExternalSecrets refresh hourly by default and follow refreshInterval', () => {
    expect([db.spec.refreshInterval, config.spec.refreshInterval]).toEqual(['1h', '1h']);
    const custom = synth({
      secrets: {
        ...(EXTERNAL.overrides.secrets as object),
        externalSecrets: { ...externalSettings(), refreshInterval: '15m' },
      },
    });
    expect(findOne(custom, 'ExternalSecret', 'immich-db').spec.refreshInterval).toBe('15m');
  });

  test('storeRef.kind SecretStore selects a namespaced store', () => {
    const custom = synth({
      secrets: {
        mode: 'external-secrets',
        externalSecrets: { ...externalSettings(), storeRef: { name: 'local', kind: 'SecretStore' } },
      },
    });
    expect(findOne(custom, 'ExternalSecret', 'immich-db').spec.secretStoreRef).toEqual({
      kind: 'SecretStore',
      name: 'local',
    });
  });

  test('immich-config ExternalSecret templates immich-config.json with the client secret from the store', () => {
    expect(config.spec.target).toMatchObject({ name: 'immich-config', creationPolicy: 'Owner' });
    expect(config.spec.target.template).toMatchObject({ engineVersion: 'v2', type: 'Opaque' });
    expect(Object.keys(config.spec.target.template.data)).toEqual(['immich-config.json']);
    expect(config.spec.data).toEqual([
      { secretKey: 'oauth-client-secret', remoteRef: { key: 'immich/oauth', property: 'client-secret' } },
    ]);
  });

  test('the rendered template is the Immich config file with the client secret in place', () => {
    const secret = 'a"quote\\and<html>&';
    const file = renderTemplate(config.spec.target.template.data['immich-config.json'], secret);
    expect(file.oauth).toMatchObject({ enabled: true, clientId: 'immich', clientSecret: secret });
    expect(file.machineLearning.urls).toEqual(['http://immich-machine-learning:3003']);
  });

  test('braces in configuration text never open a template action', () => {
    const out = synth({ ...EXTERNAL.overrides, oauth: { buttonText: 'Sign in {{ .x }}' } });
    const template = findOne(out, 'ExternalSecret', 'immich-config').spec.target.template.data['immich-config.json'];
    expect(renderTemplate(template, 's').oauth.buttonText).toBe('Sign in {{ .x }}');
  });

  test('without OAuth only the DB password comes from the store and the config file is a ConfigMap', () => {
    const out = synth({ ...EXTERNAL.overrides, oauth: { enabled: false } });
    expect(out.filter((m) => m.object.kind === 'ExternalSecret').map((m) => m.object.metadata.name)).toEqual([
      'immich-db',
    ]);
    expect(findOne(out, 'ConfigMap', 'immich-config').data['immich-config.json']).toContain('"enabled": false');
  });
});

describe('secrets mode sealed-secrets', () => {
  const manifests = synth(SEALED_MODE.overrides, SEALED_MODE.env);
  const db = findOne(manifests, 'SealedSecret', 'immich-db');
  const config = findOne(manifests, 'SealedSecret', 'immich-config');

  test('immich-db SealedSecret holds the sealed password under the key password', () => {
    expect(db.apiVersion).toBe('bitnami.com/v1alpha1');
    expect(db.spec.encryptedData).toEqual({ password: SEALED.dbPassword });
    expect(db.spec.template).toEqual({ type: 'Opaque' });
  });

  test('SealedSecrets keep strict scope: fixed name and namespace, no scope annotation', () => {
    for (const sealed of [db, config]) {
      expect(sealed.metadata.namespace).toBe('immich');
      expect(JSON.stringify(sealed.metadata.annotations ?? {})).not.toContain('sealedsecrets.bitnami.com');
    }
  });

  test('immich-config SealedSecret templates immich-config.json from the sealed client secret', () => {
    expect(config.spec.encryptedData).toEqual({ 'oauth-client-secret': SEALED.oauthClientSecret });
    const file = renderTemplate(config.spec.template.data['immich-config.json'], 'cs');
    expect(file.oauth.clientSecret).toBe('cs');
  });
});

describe('secret values never reach the output outside inline mode', () => {
  test.each(['existing', 'external-secrets', 'sealed-secrets'] as const)(
    '%s mode output holds no plaintext',
    (mode) => {
      const out = text(synth(MODES[mode].overrides, PLAINTEXT));
      for (const value of Object.values(PLAINTEXT)) expect(out).not.toContain(value);
      expect(out).not.toMatch(/^kind: Secret$/m);
    },
  );

  test('IMMICH_SECRETS_MODE selects external-secrets and sealed-secrets', () => {
    const external = synth(
      { secrets: { externalSecrets: externalSettings() } },
      { IMMICH_SECRETS_MODE: 'external-secrets' },
    );
    expect(findOne(external, 'ExternalSecret', 'immich-db').kind).toBe('ExternalSecret');
    const sealed = synth({ secrets: { sealedSecrets: SEALED } }, { IMMICH_SECRETS_MODE: 'sealed-secrets' });
    expect(findOne(sealed, 'SealedSecret', 'immich-db').kind).toBe('SealedSecret');
  });
});

describe('bad secrets settings', () => {
  test('fails when external-secrets mode lacks the store and remote keys', () => {
    const message = configError(`${MINIMAL}secrets: { mode: external-secrets }\n`);
    expect(message).toContain(
      'secrets.externalSecrets.storeRef.name: required when secrets.mode is "external-secrets", got nothing',
    );
    expect(message).toContain('secrets.externalSecrets.dbPassword: required when secrets.mode is "external-secrets"');
    expect(message).toContain(
      'secrets.externalSecrets.oauthClientSecret: required when secrets.mode is "external-secrets" and oauth.enabled is true',
    );
  });

  test('fails on an unknown store kind', () => {
    expect(configError(`${MINIMAL}secrets: { externalSecrets: { storeRef: { name: v, kind: Vault } } }\n`)).toContain(
      'secrets.externalSecrets.storeRef.kind: must be one of "ClusterSecretStore", "SecretStore", got "Vault"',
    );
  });

  test('fails on a remote key without its key', () => {
    expect(configError(`${MINIMAL}secrets: { externalSecrets: { dbPassword: { property: password } } }\n`)).toContain(
      'secrets.externalSecrets.dbPassword.key: required',
    );
  });

  test('fails on a malformed refresh interval', () => {
    expect(configError(`${MINIMAL}secrets: { externalSecrets: { refreshInterval: hourly } }\n`)).toContain(
      'secrets.externalSecrets.refreshInterval: must be a duration like "1h" or "15m", got "hourly"',
    );
  });

  test('fails when sealed-secrets mode lacks its sealed values', () => {
    const message = configError(`${MINIMAL}secrets: { mode: sealed-secrets }\n`);
    expect(message).toContain(
      'secrets.sealedSecrets.dbPassword: required when secrets.mode is "sealed-secrets", got nothing',
    );
    expect(message).toContain(
      'secrets.sealedSecrets.oauthClientSecret: required when secrets.mode is "sealed-secrets" and oauth.enabled is true',
    );
  });

  test('fails on a plaintext password given as a sealed value, without printing it', () => {
    const message = configError(`${MINIMAL}secrets: { sealedSecrets: { dbPassword: hunter2hunter2 } }\n`);
    expect(message).toContain('secrets.sealedSecrets.dbPassword: must be the output of "kubeseal --raw"');
    expect(message).toContain('got a 14-character value (not shown)');
    expect(message).not.toContain('hunter2');
  });
});

function externalSettings() {
  return (EXTERNAL.overrides.secrets as { externalSecrets: Record<string, unknown> }).externalSecrets;
}
