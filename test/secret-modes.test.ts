import { Yaml } from 'cdk8s';
import { SECRET_MODES, type SecretMode, parseConfig } from '../src/config';
import {
  CNPG_BACKUP,
  EXTERNAL_CLIENT_ID,
  EXTERNAL_REFS,
  MODES,
  PLAINTEXT,
  SEALED,
  SEALED_CLIENT_ID,
  SPLIT,
  VOLUME_BACKUPS,
} from './support/modes';
import { referenceProblems } from './support/references';
import { EXAMPLE, configError, findOne, synth } from './support/synth';
import type { Manifest } from '../src/output';

const EXTERNAL = MODES['external-secrets'];
const SEALED_MODE = MODES['sealed-secrets'];
const MINIMAL = 'domain: example.com\noauth: { clientId: immich }\n';
/** The Go template actions the config file template may hold: the client secret, and a stored client id. */
const CLIENT_SECRET_ACTION = '{{ index . "oauth-client-secret" | toJson }}';
const CLIENT_ID_ACTION = '{{ index . "oauth-client-id" | toJson }}';

/** Renders the config template as the operators do for the actions it uses: toJson of each value. */
function renderTemplate(template: string, clientSecret: string, clientId?: string): any {
  const actions = template.match(/\{\{.*?\}\}/g) ?? [];
  expect(actions).toEqual(clientId === undefined ? [CLIENT_SECRET_ACTION] : [CLIENT_ID_ACTION, CLIENT_SECRET_ACTION]);
  return JSON.parse(
    template
      .replace(CLIENT_SECRET_ACTION, () => JSON.stringify(clientSecret))
      .replace(CLIENT_ID_ACTION, () => JSON.stringify(clientId)),
  );
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

/** Every Secret the stack can read, at once: OAuth, a kept bundled postgres, object store backups, a Redis password, a restic repository. */
const EVERYTHING = {
  oauth: { clientId: 'immich' },
  database: { engine: 'cloudnative-pg', cloudnativePg: { backup: CNPG_BACKUP, keepBundled: true } },
  backup: { database: { enabled: false }, volumes: VOLUME_BACKUPS },
  valkey: SPLIT.valkey,
};
const EVERY_SECRET = [
  'immich-db',
  'immich-config',
  CNPG_BACKUP.credentialsSecret,
  'immich-redis',
  VOLUME_BACKUPS.repositorySecret,
].sort();
const SECRET_KINDS = ['Secret', 'ExternalSecret', 'SealedSecret'];
const KIND_OF: Record<SecretMode, string | undefined> = {
  existing: undefined,
  inline: 'Secret',
  'external-secrets': 'ExternalSecret',
  'sealed-secrets': 'SealedSecret',
};
const secretObjects = (objects: readonly any[]) =>
  objects
    .filter((o) => SECRET_KINDS.includes(o.kind))
    .map((o) => `${o.kind}/${o.metadata.name}`)
    .sort();

describe.each(SECRET_MODES)('every Secret the stack reads, in %s mode', (mode) => {
  const objects = synth({ ...EVERYTHING, ...MODES[mode].overrides }, PLAINTEXT).map((m) => m.object);
  const kind = KIND_OF[mode];

  test('is synthesized by the mode, or yours in existing mode, and every reference to it and its keys resolves', () => {
    expect(secretObjects(objects)).toEqual(kind ? EVERY_SECRET.map((name) => `${kind}/${name}`) : []);
    expect(referenceProblems(objects, { secrets: kind ? [] : EVERY_SECRET })).toEqual([]);
  });

  test('is left to you when listed in secrets.existing', () => {
    const secrets = { ...(MODES[mode].overrides.secrets as object), existing: EVERY_SECRET };
    const mine = synth({ ...EVERYTHING, ...MODES[mode].overrides, secrets }, PLAINTEXT).map((m) => m.object);
    expect(secretObjects(mine)).toEqual([]);
    expect(referenceProblems(mine, { secrets: EVERY_SECRET })).toEqual([]);
    expect(referenceProblems(mine)).not.toEqual([]);
  });

  test('leaves no secret value in the output unless inline', () => {
    const out = JSON.stringify(objects);
    const leaked = Object.entries(PLAINTEXT).filter(([, value]) => out.includes(value));
    expect(leaked.map(([name]) => name)).toEqual(mode === 'inline' ? Object.keys(PLAINTEXT) : []);
  });
});

describe('the restic repository Secret', () => {
  const objectsOf = (overrides: Record<string, unknown>) =>
    synth({ backup: { volumes: VOLUME_BACKUPS }, ...overrides }, PLAINTEXT).map((m) => m.object);
  const one = (objects: readonly any[], kind: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === VOLUME_BACKUPS.repositorySecret);

  test('inline mode writes the repository, its password and the S3 access keys from the environment', () => {
    const secret = one(objectsOf(MODES.inline.overrides), 'Secret');
    expect(secret.stringData).toEqual({
      RESTIC_REPOSITORY: PLAINTEXT.IMMICH_RESTIC_REPOSITORY,
      RESTIC_PASSWORD: PLAINTEXT.IMMICH_RESTIC_PASSWORD,
      AWS_ACCESS_KEY_ID: PLAINTEXT.IMMICH_RESTIC_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: PLAINTEXT.IMMICH_RESTIC_SECRET_ACCESS_KEY,
    });
  });

  test('external-secrets mode copies each key from the store, the access keys only when named', () => {
    const external = one(objectsOf(MODES['external-secrets'].overrides), 'ExternalSecret');
    expect(external.spec.target).toMatchObject({ name: 'immich-data-restic', creationPolicy: 'Owner' });
    expect(external.spec.data).toEqual([
      { secretKey: 'RESTIC_REPOSITORY', remoteRef: EXTERNAL_REFS.resticRepository },
      { secretKey: 'RESTIC_PASSWORD', remoteRef: EXTERNAL_REFS.resticPassword },
      { secretKey: 'AWS_ACCESS_KEY_ID', remoteRef: EXTERNAL_REFS.resticAccessKeyId },
      { secretKey: 'AWS_SECRET_ACCESS_KEY', remoteRef: EXTERNAL_REFS.resticSecretAccessKey },
    ]);
    const withoutS3 = Object.fromEntries(
      Object.entries(EXTERNAL_REFS).filter(([name]) => !['resticAccessKeyId', 'resticSecretAccessKey'].includes(name)),
    );
    const rest = one(
      objectsOf({ secrets: { mode: 'external-secrets', externalSecrets: withoutS3 } }),
      'ExternalSecret',
    );
    expect(rest.spec.data.map((d: any) => d.secretKey)).toEqual(['RESTIC_REPOSITORY', 'RESTIC_PASSWORD']);
  });

  test('sealed-secrets mode holds the sealed values under the keys VolSync reads', () => {
    const sealed = one(objectsOf(MODES['sealed-secrets'].overrides), 'SealedSecret');
    expect(sealed.spec.encryptedData).toEqual({
      RESTIC_REPOSITORY: SEALED.resticRepository,
      RESTIC_PASSWORD: SEALED.resticPassword,
      AWS_ACCESS_KEY_ID: SEALED.resticAccessKeyId,
      AWS_SECRET_ACCESS_KEY: SEALED.resticSecretAccessKey,
    });
  });

  test('Argo CD never prunes it: its password is the only key to the backups', () => {
    for (const mode of ['inline', 'external-secrets', 'sealed-secrets'] as const) {
      const object = one(objectsOf(MODES[mode].overrides), KIND_OF[mode]!);
      expect([mode, object.metadata.annotations['argocd.argoproj.io/sync-options']]).toEqual([
        mode,
        expect.stringContaining('Prune=false,Delete=false'),
      ]);
    }
  });
});

describe('the OAuth client id from the secret store', () => {
  test('external-secrets mode reads it from the store into the config file', () => {
    const out = synth({
      oauth: { clientId: undefined },
      secrets: { mode: 'external-secrets', externalSecrets: { ...EXTERNAL_REFS, oauthClientId: EXTERNAL_CLIENT_ID } },
    });
    const config = findOne(out, 'ExternalSecret', 'immich-config');
    expect(config.spec.data).toEqual([
      { secretKey: 'oauth-client-secret', remoteRef: EXTERNAL_REFS.oauthClientSecret },
      { secretKey: 'oauth-client-id', remoteRef: EXTERNAL_CLIENT_ID },
    ]);
    const file = renderTemplate(config.spec.target.template.data['immich-config.json'], 'cs', 'id "from" store');
    expect(file.oauth).toMatchObject({ clientId: 'id "from" store', clientSecret: 'cs' });
  });

  test('sealed-secrets mode seals it beside the client secret', () => {
    const out = synth({
      oauth: { clientId: undefined },
      secrets: { mode: 'sealed-secrets', sealedSecrets: { ...SEALED, oauthClientId: SEALED_CLIENT_ID } },
    });
    const config = findOne(out, 'SealedSecret', 'immich-config');
    expect(config.spec.encryptedData).toEqual({
      'oauth-client-secret': SEALED.oauthClientSecret,
      'oauth-client-id': SEALED_CLIENT_ID,
    });
    expect(renderTemplate(config.spec.template.data['immich-config.json'], 'cs', 'cid').oauth.clientId).toBe('cid');
  });

  test('fails when both oauth.clientId and the store name a client id', () => {
    expect(
      configError(
        `${MINIMAL}secrets: { mode: external-secrets, externalSecrets: { storeRef: { name: v }, dbPassword: { key: d }, oauthClientSecret: { key: s }, oauthClientId: { key: i } } }\n`,
      ),
    ).toContain('oauth.clientId: set it or secrets.externalSecrets.oauthClientId, not both, got "immich"');
  });

  test('fails without any client id, naming the store key as one way', () => {
    expect(
      configError(
        'domain: example.com\nsecrets: { mode: sealed-secrets, sealedSecrets: { dbPassword: AAAA, oauthClientSecret: AAAA } }\n',
      ),
    ).toContain(
      'oauth.clientId: required while oauth.enabled is true; set it in the file or with IMMICH_OAUTH_CLIENT_ID, or as secrets.sealedSecrets.oauthClientId, got nothing',
    );
  });
});

describe('secret sources that do nothing', () => {
  const warningsOf = (overrides: Record<string, unknown>) =>
    parseConfig({ ...EXAMPLE, ...overrides }, PLAINTEXT, 'test').warnings.filter((w) => w.startsWith('secrets.'));
  const onCloudnativePg = {
    database: { engine: 'cloudnative-pg', cloudnativePg: {} },
    backup: { database: { enabled: false } },
  };

  test('a database password on CloudNativePG draws a warning that says the operator makes it', () => {
    const external = { mode: 'external-secrets', externalSecrets: { ...EXTERNAL_REFS } };
    expect(warningsOf({ ...onCloudnativePg, secrets: external })).toContainEqual(
      expect.stringMatching(
        /^secrets\.externalSecrets\.dbPassword: does nothing: on CloudNativePG the operator makes the database password \(Secret immich-pg-app\)/,
      ),
    );
    const sealed = warningsOf({ ...onCloudnativePg, secrets: { mode: 'sealed-secrets', sealedSecrets: SEALED } });
    expect(sealed).toContainEqual(expect.stringMatching(/^secrets\.sealedSecrets\.dbPassword: does nothing/));
    // While a bundled postgres is kept beside the cluster, it reads the password.
    const kept = { ...onCloudnativePg, database: { engine: 'cloudnative-pg', cloudnativePg: { keepBundled: true } } };
    expect(warningsOf({ ...kept, secrets: external }).filter((w) => w.includes('dbPassword'))).toEqual([]);
  });

  test('keys of the other mode, values for unused Secrets and unknown existing names draw warnings', () => {
    const warnings = warningsOf({
      secrets: {
        mode: 'external-secrets',
        externalSecrets: EXTERNAL_REFS,
        sealedSecrets: { dbPassword: SEALED.dbPassword },
        existing: ['immich-restic'],
      },
    });
    expect(warnings).toContain(
      'secrets.sealedSecrets: does nothing while secrets.mode is "external-secrets" (it sets dbPassword); remove it',
    );
    expect(warnings).toContainEqual(
      expect.stringMatching(
        /^secrets\.externalSecrets\.resticPassword: does nothing: it is read only when backup\.volumes\.enabled/,
      ),
    );
    expect(warnings).toContain(
      'secrets.existing: "immich-restic" is no Secret this configuration reads (it reads "immich-db", "immich-config"); remove it',
    );
  });

  test('the shipped example and each mode with only what it uses draw none', () => {
    expect(warningsOf({})).toEqual([]);
    const needed = { storeRef: { name: 'vault' }, dbPassword: { key: 'd' }, oauthClientSecret: { key: 's' } };
    expect(warningsOf({ secrets: { mode: 'external-secrets', externalSecrets: needed } })).toEqual([]);
  });
});

describe('bad backup Secret settings', () => {
  const withVolumes = `${MINIMAL}backup: { volumes: { enabled: true, repositorySecret: restic } }\n`;

  test('fails when a mode lacks the restic repository values, pointing at secrets.existing', () => {
    const message = configError(
      `${withVolumes}secrets: { mode: external-secrets, externalSecrets: { storeRef: { name: v }, dbPassword: { key: d }, oauthClientSecret: { key: s } } }\n`,
    );
    expect(message).toContain(
      'secrets.externalSecrets.resticRepository: required when secrets.mode is "external-secrets" and backup.volumes.enabled or backup.volumes.restore.enabled is true, unless "restic" is listed in secrets.existing, got nothing',
    );
    expect(message).toContain(
      'secrets.externalSecrets.resticPassword: required when secrets.mode is "external-secrets"',
    );
  });

  test('fails on one S3 access key without the other', () => {
    const message = configError(`${withVolumes}secrets: { mode: inline }\n`, {
      IMMICH_DB_PASSWORD: 'x',
      IMMICH_OAUTH_CLIENT_SECRET: 'x',
      IMMICH_RESTIC_REPOSITORY: 'x',
      IMMICH_RESTIC_PASSWORD: 'x',
      IMMICH_RESTIC_ACCESS_KEY_ID: 'x',
    });
    expect(message).toContain(
      'IMMICH_RESTIC_SECRET_ACCESS_KEY: required with IMMICH_RESTIC_ACCESS_KEY_ID: S3 access keys come in pairs, got nothing',
    );
  });

  test('fails on object store credential keys that are no Secret keys or name the same key', () => {
    const message = configError(
      `${MINIMAL}database: { engine: cloudnative-pg, cloudnativePg: { backup: { destinationPath: "s3://b/i", credentialsSecret: c, credentialsKeys: { accessKeyId: "a key", secretAccessKey: "a key" } } } }\n`,
    );
    expect(message).toContain(
      'database.cloudnativePg.backup.credentialsKeys.accessKeyId: must be a Secret key like "ACCESS_KEY_ID" (letters, digits, "-", "_" and "."), got "a key"',
    );
    const same = configError(
      `${MINIMAL}database: { engine: cloudnative-pg, cloudnativePg: { backup: { destinationPath: "s3://b/i", credentialsSecret: c, credentialsKeys: { accessKeyId: K, secretAccessKey: K } } } }\n`,
    );
    expect(same).toContain(
      'database.cloudnativePg.backup.credentialsKeys.secretAccessKey: must differ from accessKeyId, which names the same key, got "K"',
    );
  });
});
