import { isIP } from 'node:net';
import { DEFAULT_IMMICH_VERSION } from '../src/constants';
import { ipFamily } from '../src/config/primitives';
import { ENV_FALLBACKS, ENV_OVERRIDES, parseConfig } from '../src/config';
import { EXAMPLE_YAML, config, configError } from './support/synth';

const MINIMAL = 'domain: example.com\noauth: { clientId: immich }\n';

describe('defaults', () => {
  test('a configuration with only domain and client id takes every documented default', () => {
    const c = parseConfig(MINIMAL, {});
    expect(c.namespace).toBe('immich');
    expect(c.host).toBe('immich.example.com');
    expect(c.immich.version).toBe(DEFAULT_IMMICH_VERSION);
    expect(c.timezone).toBe('UTC');
    expect(c.secrets.mode).toBe('existing');
    expect(c.database).toMatchObject({ engine: 'bundled', username: 'postgres', name: 'immich', storageType: 'SSD' });
    expect(c.database.cloudnativePg).toMatchObject({ instances: 3, owner: 'immich', bootstrap: 'initdb' });
    expect(c.database.cloudnativePg.backup).toBeUndefined();
    expect(c.backup.volumes).toMatchObject({ enabled: false, copyMethod: 'Direct', schedule: '0 3 * * *' });
    expect(c.oauth.issuerUrl).toBe('https://auth.example.com/application/o/immich/');
    expect(c.ingress).toEqual({
      kind: 'ingressroute',
      entryPoints: ['websecure'],
      readTimeoutRaised: false,
      tls: { certResolver: 'letsencrypt' },
    });
    expect(c.library).toEqual({ source: 'none' });
    expect(c.machineLearning.backend).toBe('cuda');
    expect(c.machineLearning.gpu.count).toBe(1);
    expect(c.storage.data.size).toBe('100Gi');
  });

  test('the default Immich version is a pinned release', () => {
    expect(DEFAULT_IMMICH_VERSION).toMatch(/^v\d+\.\d+\.\d+$/);
  });

  test('the shipped example parses without any environment variable', () => {
    expect(() => parseConfig(EXAMPLE_YAML, {})).not.toThrow();
  });
});

describe('environment overrides', () => {
  test('the reference deployment variables override their keys', () => {
    const c = config(
      {},
      {
        BASE_DOMAIN: 'photos.test',
        IMMICH_VERSION: 'v3.1.0',
        IMMICH_DB_USERNAME: 'immich',
        IMMICH_DB_DATABASE_NAME: 'photos',
        IMMICH_OAUTH_CLIENT_ID: 'from-env',
      },
    );
    expect(c.domain).toBe('photos.test');
    expect(c.host).toBe('immich.photos.test');
    expect(c.immich.version).toBe('v3.1.0');
    expect(c.database.username).toBe('immich');
    expect(c.database.name).toBe('photos');
    expect(c.oauth.clientId).toBe('from-env');
  });

  test('IMMICH_SECRETS_MODE selects inline secrets read from the environment', () => {
    const c = config(
      { argocd: { allowInlineSecrets: true } },
      { IMMICH_SECRETS_MODE: 'inline', IMMICH_DB_PASSWORD: 'pw', IMMICH_OAUTH_CLIENT_SECRET: 'cs' },
    );
    expect(c.secrets.mode).toBe('inline');
    expect(c.secretValues).toEqual({ dbPassword: 'pw', oauthClientSecret: 'cs' });
  });

  test('secret values are ignored in existing mode', () => {
    expect(config({}, { IMMICH_DB_PASSWORD: 'pw' }).secretValues).toBeUndefined();
  });

  test('plain numbers are accepted as quantities, as Kubernetes does', () => {
    const c = config({ resources: { server: { requests: { cpu: 1 }, limits: { cpu: 2 } } } });
    expect(c.resources.server.requests.cpu).toBe('1');
    expect(c.resources.server.limits.cpu).toBe('2');
  });

  test('an explicit host wins over the derived one', () => {
    expect(config({ host: 'photos.example.org' }).host).toBe('photos.example.org');
  });

  test('floating tags are accepted with the explicit opt-in', () => {
    expect(config({ immich: { version: 'release', allowFloatingTag: true } }).immich.version).toBe('release');
  });
});

describe('environment overrides are never silent', () => {
  /** A file that sets every key a variable overrides. */
  const FULL = [
    'domain: example.com',
    'timezone: Europe/Berlin',
    'immich: { version: v3.3.1, logLevel: log }',
    'database: { engine: bundled, username: postgres, name: immich }',
    'oauth: { clientId: immich }',
    'secrets: { mode: existing }',
    '',
  ].join('\n');
  const SECRETS = { IMMICH_DB_PASSWORD: 'pw-never-shown', IMMICH_OAUTH_CLIENT_SECRET: 'cs-never-shown' };
  /** Each overriding variable, a valid value other than the file's, and the one note it gives. */
  const OVERRIDES: [keyof typeof ENV_OVERRIDES, string, string][] = [
    ['BASE_DOMAIN', 'photos.home.arpa', 'BASE_DOMAIN=photos.home.arpa overrides domain (the file says "example.com")'],
    ['IMMICH_VERSION', 'v3.2.0', 'IMMICH_VERSION=v3.2.0 overrides immich.version (the file says "v3.3.1")'],
    ['IMMICH_LOG_LEVEL', 'debug', 'IMMICH_LOG_LEVEL=debug overrides immich.logLevel (the file says "log")'],
    [
      'IMMICH_DB_ENGINE',
      'cloudnative-pg',
      'IMMICH_DB_ENGINE=cloudnative-pg overrides database.engine (the file says "bundled")',
    ],
    [
      'IMMICH_DB_USERNAME',
      'immich',
      'IMMICH_DB_USERNAME=immich overrides database.username (the file says "postgres")',
    ],
    [
      'IMMICH_DB_DATABASE_NAME',
      'photos',
      'IMMICH_DB_DATABASE_NAME=photos overrides database.name (the file says "immich")',
    ],
    [
      'IMMICH_OAUTH_CLIENT_ID',
      'from-env',
      'IMMICH_OAUTH_CLIENT_ID=from-env overrides oauth.clientId (the file says "immich")',
    ],
    ['IMMICH_SECRETS_MODE', 'inline', 'IMMICH_SECRETS_MODE=inline overrides secrets.mode (the file says "existing")'],
  ];
  const valueAt = (root: unknown, path: readonly string[]) =>
    path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], root);

  test('every overriding variable is covered here, and TZ is the only fallback', () => {
    expect(ENV_FALLBACKS).toEqual(['TZ']);
    expect(OVERRIDES.map(([name]) => name).sort()).toEqual(
      Object.keys(ENV_OVERRIDES)
        .filter((name) => name !== 'TZ')
        .sort(),
    );
  });

  test.each(OVERRIDES)('%s=%s overrides its key and gives one note naming the file value', (name, value, note) => {
    const c = parseConfig(FULL, { [name]: value, ...SECRETS });
    expect(valueAt(c, ENV_OVERRIDES[name])).toBe(value);
    expect(c.notes).toEqual([note]);
  });

  test('a variable sets a key the file leaves out, and says so', () => {
    const c = parseConfig(MINIMAL, { IMMICH_VERSION: 'v3.2.0' });
    expect(c.immich.version).toBe('v3.2.0');
    expect(c.notes).toEqual(['IMMICH_VERSION=v3.2.0 sets immich.version (the file leaves it out)']);
  });

  test('TZ beside a file that sets timezone changes nothing and notes nothing', () => {
    const c = parseConfig(FULL, { TZ: 'America/New_York' });
    expect(c.timezone).toBe('Europe/Berlin');
    expect(c.notes).toEqual([]);
  });

  test('TZ fills a timezone the file leaves out, with one note', () => {
    const c = parseConfig(MINIMAL, { TZ: 'America/New_York' });
    expect(c.timezone).toBe('America/New_York');
    expect(c.notes).toEqual(['TZ=America/New_York sets timezone (the file leaves it out)']);
  });

  test('a variable equal to the file value changes nothing and notes nothing', () => {
    const env = { BASE_DOMAIN: 'example.com', IMMICH_OAUTH_CLIENT_ID: 'immich', TZ: 'Europe/Berlin' };
    expect(parseConfig(FULL, env).notes).toEqual([]);
  });

  test('notes never show a secret value, whatever the environment holds', () => {
    const env = Object.fromEntries(OVERRIDES.map(([name, value]) => [name, value]));
    const c = parseConfig(FULL, { ...env, ...SECRETS, TZ: 'America/New_York' });
    expect(c.notes).toHaveLength(OVERRIDES.length);
    expect(c.notes.join('\n')).not.toMatch(/never-shown/);
  });

  test('a value with a line break is quoted, so a note stays one line', () => {
    const c = parseConfig(MINIMAL, { IMMICH_OAUTH_CLIENT_ID: 'my\nclient' });
    expect(c.notes).toEqual(['IMMICH_OAUTH_CLIENT_ID="my\\nclient" overrides oauth.clientId (the file says "immich")']);
  });
});

describe('bad input', () => {
  test('fails when the YAML is malformed, naming the line', () => {
    expect(configError('domain: [example.com\n')).toMatch(/test\.yaml: malformed YAML: .* at line \d+, column \d+/);
  });

  test('fails when a key is repeated, naming it and both lines', () => {
    expect(configError('domain: a.com\ndomain: b.com\n')).toContain(
      'domain: set twice, at lines 1 and 2 of test.yaml; keep one',
    );
  });

  test('fails when the file is not a mapping', () => {
    expect(configError('- domain\n')).toContain('must be a YAML mapping of keys, got ["domain"]');
  });

  test('fails on an unknown top-level key, listing the allowed ones', () => {
    expect(configError(`${MINIMAL}colour: blue\n`)).toContain(
      'colour: unknown key; allowed keys here: namespace, domain, host,',
    );
  });

  test('fails on an unknown nested key, suggesting the key it is close to', () => {
    expect(configError(`${MINIMAL}storage: { data: { sise: 1Gi } }\n`)).toContain(
      'storage.data.sise: unknown key; did you mean "size"? allowed keys here: size, storageClass, accessModes, existingClaim, got "sise"',
    );
  });

  test('fails when domain is missing', () => {
    expect(configError('oauth: { clientId: x }\n')).toContain('domain: required, got nothing');
  });

  test('fails on a domain that is not a DNS name', () => {
    expect(configError('domain: photos_example\noauth: { clientId: x }\n')).toContain(
      'domain: must be a lower-case DNS name like "example.com", got "photos_example"',
    );
  });

  test('fails on a host that is not a DNS name', () => {
    expect(configError(`${MINIMAL}host: "https://photos.example.com"\n`)).toContain(
      'host: must be a lower-case DNS name like "photos.example.com", got "https://photos.example.com"',
    );
  });

  test('fails on an unknown time zone, naming the environment variable', () => {
    expect(configError(MINIMAL, { TZ: 'Mars/Olympus' })).toContain(
      'TZ (timezone): must be an IANA time zone like "Europe/Berlin" or "UTC", got "Mars/Olympus"',
    );
  });

  test('fails on a malformed version from IMMICH_VERSION', () => {
    expect(configError(MINIMAL, { IMMICH_VERSION: '3.0' })).toContain(
      `IMMICH_VERSION (immich.version): must be a release tag like "${DEFAULT_IMMICH_VERSION}", got "3.0"`,
    );
  });

  test('fails on a floating tag without the opt-in', () => {
    expect(configError(`${MINIMAL}immich: { version: latest }\n`)).toContain(
      'immich.version: is a floating tag that lets server and machine learning drift apart',
    );
  });

  test('fails on a release older than v2', () => {
    expect(configError(`${MINIMAL}immich: { version: v1.135.0 }\n`)).toContain(
      'immich.version: must be v2.0.0 or newer',
    );
  });

  test('fails on a quantity with a space', () => {
    expect(configError(`${MINIMAL}storage: { postgres: { size: 10 GB } }\n`)).toContain(
      'storage.postgres.size: must be a Kubernetes quantity like "10Gi" (a number with an optional unit: Ki, Mi, Gi, Ti, Pi, Ei, m, k, M, G, T, P, E or an exponent like e3; no spaces), got "10 GB"',
    );
  });

  test('fails on a resource quantity that is not a number', () => {
    expect(configError(`${MINIMAL}resources: { server: { limits: { memory: lots } } }\n`)).toContain(
      'resources.server.limits.memory: must be a Kubernetes quantity like "4Gi"',
    );
  });

  test('fails when a request exceeds its limit, which would leave the pods uncreatable', () => {
    const message = configError(
      `${MINIMAL}resources: { server: { requests: { memory: 8Gi, cpu: 3 }, limits: { memory: 4Gi, cpu: 2500m } } }\n`,
    );
    expect(message).toContain('resources.server.requests.memory: must not exceed the memory limit "4Gi", got "8Gi"');
    expect(message).toContain('resources.server.requests.cpu: must not exceed the cpu limit "2500m", got "3"');
  });

  test('fails on a zero or negative quantity', () => {
    const message = configError(`${MINIMAL}storage: { valkey: { size: 0 }, data: { size: -1Gi } }\n`);
    expect(message).toContain('storage.valkey.size: must be greater than zero, got "0"');
    expect(message).toContain('storage.data.size: must be a Kubernetes quantity like "10Gi"');
  });

  test.each([
    ['0', 'must be at least 1, got 0'],
    ['1.5', 'must be a whole number, got 1.5'],
    ['"two"', 'must be a whole number, got "two"'],
  ])('fails when the GPU count is %s', (count, message) => {
    expect(configError(`${MINIMAL}machineLearning: { gpu: { count: ${count} } }\n`)).toContain(
      `machineLearning.gpu.count: ${message}`,
    );
  });

  test('fails on an unknown machine-learning backend', () => {
    expect(configError(`${MINIMAL}machineLearning: { backend: tpu }\n`)).toContain(
      'machineLearning.backend: must be one of "cuda", "openvino", "rocm", "cpu", "armnn", "rknn", got "tpu"',
    );
  });

  test('fails on an unknown secrets mode from IMMICH_SECRETS_MODE', () => {
    expect(configError(MINIMAL, { IMMICH_SECRETS_MODE: 'vault' })).toContain(
      'IMMICH_SECRETS_MODE (secrets.mode): must be one of "existing", "inline", "external-secrets", "sealed-secrets", got "vault"',
    );
  });

  test('fails on an unknown library source', () => {
    expect(configError(`${MINIMAL}library: { source: smb }\n`)).toContain(
      'library.source: must have source "none", "pvc", "nfs" or "hostPath", got "smb"',
    );
  });

  test('fails on an NFS library without a path', () => {
    expect(configError(`${MINIMAL}library: { source: nfs, server: nas }\n`)).toContain('library.path: required');
  });

  test('fails when TLS names both a cert resolver and a secret', () => {
    expect(configError(`${MINIMAL}ingress: { tls: { certResolver: le, secretName: tls } }\n`)).toContain(
      'ingress.tls: set certResolver or secretName, not both',
    );
  });

  test('fails when a toleration with operator Exists has a value', () => {
    expect(
      configError(
        `${MINIMAL}machineLearning: { gpu: { tolerations: [{ key: gpu, operator: Exists, value: "true" }] } }\n`,
      ),
    ).toContain('machineLearning.gpu.tolerations.0: value is only allowed with operator "Equal"');
  });

  test('fails when OAuth is on without a client id', () => {
    expect(configError('domain: example.com\n')).toContain(
      'oauth.clientId: required while oauth.enabled is true; set it in the file or with IMMICH_OAUTH_CLIENT_ID',
    );
  });

  test('fails when inline secrets are chosen without their values', () => {
    const message = configError(`${MINIMAL}secrets: { mode: inline }\n`);
    expect(message).toContain('IMMICH_DB_PASSWORD: required when secrets.mode is "inline", got nothing');
    expect(message).toContain('IMMICH_OAUTH_CLIENT_SECRET: required when secrets.mode is "inline"');
  });

  test('lists every problem of a configuration in one message', () => {
    const message = configError('domain: bad_domain\ntimezone: Nowhere\nstorage: { data: { size: big } }\n');
    expect(message.split('\n').filter((line) => line.startsWith('  - '))).toHaveLength(4);
    expect(message).toMatch(/^Invalid configuration \(test\.yaml\):/);
  });

  test('never echoes a secret value in an error', () => {
    const message = configError(`${MINIMAL}secrets: { mode: inline }\nextra: 1\n`, {
      IMMICH_OAUTH_CLIENT_SECRET: 'sup3r-s3cret',
    });
    expect(message).not.toContain('sup3r-s3cret');
  });

  test('fails on a malformed CIDR in networkPolicy.serverEgress.cidrs', () => {
    expect(configError(`${MINIMAL}networkPolicy: { serverEgress: { cidrs: [10.0.0.0/33, "0.0.0.0"] } }\n`)).toContain(
      'networkPolicy.serverEgress.cidrs.0: must be an IPv4 or IPv6 CIDR like "10.0.0.0/8" or "::/0", got "10.0.0.0/33"',
    );
  });

  test('reads IP addresses as net.isIP does, but refuses IPv6 zones, which no CIDR may hold', () => {
    const addresses = [
      ...['10.0.0.0', '0.0.0.0', '255.255.255.255', '256.0.0.0', '010.0.0.1', '01.2.3.4', '1.2.3.04'],
      ...['1.2.3', '1.2.3.4.5', '0x1.2.3.4', ' 1.2.3.4', '1.2.3.4\n', '1.2.3.4:80', 'abc', ''],
      ...['::', '::1', '1::', 'fe80::', 'FE80::ABCD', '2001:db8::', '1:2:3:4:5:6:7:8', '0:0:0:0:0:0:0:0'],
      ...['::ffff:1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '::ffff:1.2.3.256', '::ffff:010.1.2.3', '1:2:3:4:5:6:7:1.2.3.4'],
      ...['1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::', ':::', '[::1]', '::/0', 'fe80::1%eth0'],
    ];
    const differences = addresses.filter((a) => ipFamily(a) !== isIP(a));
    expect(differences).toEqual(['fe80::1%eth0']);
    expect(ipFamily('fe80::1%eth0')).toBe(0);
    expect(addresses.filter((a) => ipFamily(a) === 4)).toHaveLength(3);
    expect(addresses.filter((a) => ipFamily(a) === 6)).toHaveLength(10);
  });

  test('fails on a port outside 1-65535 in networkPolicy.serverEgress.ports', () => {
    expect(configError(`${MINIMAL}networkPolicy: { serverEgress: { ports: [0] } }\n`)).toContain(
      'networkPolicy.serverEgress.ports.0: must be between 1 and 65535, got 0',
    );
  });

  test('fails on an empty or malformed ingress controller selector', () => {
    const message = configError(
      `${MINIMAL}networkPolicy: { ingressController: { namespaceSelector: {}, podSelector: { "bad key!": x } } }\n`,
    );
    expect(message).toContain(
      'networkPolicy.ingressController.namespaceSelector: must name at least one label, got {}',
    );
    expect(message).toContain(
      'networkPolicy.ingressController.podSelector.bad key!: must be a label key like "app.kubernetes.io/name"',
    );
  });

  test('fails on a backup schedule that is not a cron expression', () => {
    expect(configError(`${MINIMAL}backup: { database: { cronExpression: daily } }\n`)).toContain(
      'backup.database.cronExpression: must be a five-field cron expression like "0 02 * * *", got "daily"',
    );
  });
});

describe('hardening defaults', () => {
  test('network policies are on, letting Traefik in and DNS and HTTPS out', () => {
    const c = config();
    expect(c.networkPolicy).toMatchObject({
      enabled: true,
      ingressController: {
        namespaceSelector: { 'kubernetes.io/metadata.name': 'traefik' },
        podSelector: { 'app.kubernetes.io/name': 'traefik' },
      },
      dns: {
        namespaceSelector: { 'kubernetes.io/metadata.name': 'kube-system' },
        podSelector: { 'k8s-app': 'kube-dns' },
      },
      serverEgress: { cidrs: ['0.0.0.0/0', '::/0'], ports: [443] },
      modelDownloads: true,
    });
  });

  test('the nightly database dump is on by default, keeping 14 dumps', () => {
    expect(config({ backup: undefined }).backup.database).toEqual({
      enabled: true,
      cronExpression: '0 02 * * *',
      keepLastAmount: 14,
    });
  });
});

describe('warnings', () => {
  test('the shared websecure entry point warns about the 60 s upload read timeout, naming the fix', () => {
    expect(parseConfig(MINIMAL, {}).warnings).toContainEqual(
      'ingress.entryPoints: "websecure" keeps Traefik\'s default 60 s readTimeout, which cuts large video uploads; raise transport.respondingTimeouts.readTimeout of that entry point (see docs/routes.md#ingressroute) and set ingress.readTimeoutRaised: true, or use an entry point of its own',
    );
  });

  test('a dedicated entry point, or a raised timeout, gives no warning', () => {
    const own = 'domain: photos.home.arpa\noauth: { clientId: immich }\n';
    expect(parseConfig(`${own}ingress: { entryPoints: [immich] }\n`, {}).warnings).toEqual([]);
    expect(parseConfig(`${own}ingress: { readTimeoutRaised: true }\n`, {}).warnings).toEqual([]);
  });
});

describe('newcomer guards', () => {
  test('fails on a time zone in the wrong case, suggesting the tz database spelling', () => {
    expect(configError(MINIMAL, { TZ: 'europe/berlin' })).toContain(
      'TZ (timezone): must be spelled as in the tz database: "Europe/Berlin", got "europe/berlin"',
    );
    expect(parseConfig(MINIMAL, { TZ: 'Europe/Berlin' }).timezone).toBe('Europe/Berlin');
  });

  test('accepts zone names outside ICU canonical list, and refuses their wrong case too', () => {
    // ICU lists Asia/Calcutta and Etc/UTC; the tz database also has these names.
    for (const zone of ['UTC', 'Etc/UTC', 'Asia/Kolkata', 'Asia/Calcutta', 'US/Eastern']) {
      expect(parseConfig(MINIMAL, { TZ: zone }).timezone).toBe(zone);
    }
    expect(configError(MINIMAL, { TZ: 'asia/kolkata' })).toContain(
      'TZ (timezone): must be spelled as in the tz database, each part starting with a capital letter ("Asia/Calcutta" names the same zone), got "asia/kolkata"',
    );
    expect(configError(MINIMAL, { TZ: 'utc' })).toContain('"UTC", got "utc"');
  });

  test('IMMICH_LOG_LEVEL overrides immich.logLevel, and bad values name the variable', () => {
    expect(parseConfig(MINIMAL, { IMMICH_LOG_LEVEL: 'debug' }).immich.logLevel).toBe('debug');
    expect(configError(MINIMAL, { IMMICH_LOG_LEVEL: 'loud' })).toContain(
      'IMMICH_LOG_LEVEL (immich.logLevel): must be one of',
    );
  });

  test('units Kubernetes accepts beyond the binary ones are accepted, and canonicalized', () => {
    expect(parseConfig(`${MINIMAL}storage: { data: { size: 4000M } }\n`, {}).storage.data.size).toBe('4G');
  });
});

describe('placeholder warnings', () => {
  test('the example configuration warns about each placeholder by key', () => {
    const warnings = parseConfig(EXAMPLE_YAML, {}).warnings;
    expect(warnings).toContain('domain: "example.com" is the example\'s placeholder; set your own');
    expect(warnings).toContain('library.server: "nas.example.com" is the example\'s placeholder; set your own');
    expect(warnings).toContain(
      'argocd.repoURL: "https://git.example.com/home/immich-k8s.git" is the example\'s placeholder; set your own',
    );
  });

  test('real values give no placeholder warning', () => {
    const own = parseConfig(
      'domain: photos.home.arpa\noauth: { clientId: immich }\ningress: { readTimeoutRaised: true }\n',
      {},
    );
    expect(own.warnings).toEqual([]);
  });
});
