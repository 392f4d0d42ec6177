/**
 * The validation gate: each scenario (every secrets mode, CloudNativePG with backups, import and
 * recovery, volume backups and restore) is synthesized into a temp folder as the app writes it,
 * and every file is checked against the Kubernetes and CRD schemas, for references
 * that resolve, for the Pod Security level its namespace enforces, for drift and for leaked secrets.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { preUpgradeBackupName } from '../src/components/cloudnative-pg';
import { IMAGES } from '../src/constants';
import { SYNC_WAVE_ANNOTATION } from '../src/lib/argocd';
import { namespaceLevelFor, podSpecOf, podTemplateOf, pssViolations } from '../src/lib/pss';
import { urlPort } from '../src/lib/pod';
import { driftProblems } from './support/drift';
import { readManifests } from './support/files';
import { PLAINTEXT, SCENARIOS, type Scenario, scenarioConfig, synthScenarioToDir } from './support/modes';
import { allowed, type Peer } from './support/netpol';
import { operatorPodsOf } from './support/operator-pods';
import { referenceProblems } from './support/references';
import { routeBackends } from './support/routes';
import { ROOT } from './support/synth';
import { schemaProblems, unknownFieldProblems } from './support/validate';

const GATES: [string, Scenario, () => string][] = [
  ...Object.entries(SCENARIOS).map(([name, scenario]): [string, Scenario, () => string] => [
    name,
    scenario,
    () => synthScenarioToDir(scenario),
  ]),
  ['the committed dist/', SCENARIOS['secrets mode existing']!, () => ROOT],
];

describe.each(GATES)('%s', (_name, scenario, makeDir) => {
  let dir: string;
  let files: { file: string; object: any }[];
  let objects: any[];
  beforeAll(() => {
    dir = makeDir();
    files = readManifests(join(dir, 'dist'));
    objects = files.map((f) => f.object);
  });
  afterAll(() => {
    if (dir !== ROOT) rmSync(dir, { recursive: true, force: true });
  });

  test('every file holds one object that passes the Kubernetes and CRD schemas', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(schemaProblems(objects)).toEqual([]);
  });

  test('no object has a field the API server would reject as unknown', () => {
    expect(unknownFieldProblems(objects)).toEqual([]);
  }, 30_000);

  test('no object holds an empty list or a non-canonical quantity, which a second apply would rewrite', () => {
    expect(driftProblems(objects)).toEqual([]);
  });

  test('every selector, Secret, ConfigMap, PVC, ServiceAccount and custom resource reference resolves', () => {
    expect(referenceProblems(objects, scenario.external)).toEqual([]);
  });

  test('every pod, operator pods included, meets the Pod Security level its namespace enforces, the strongest they all meet', () => {
    const namespace = objects.find((o) => o.kind === 'Namespace');
    const level = namespace.metadata.labels['pod-security.kubernetes.io/enforce'];
    const pods = [
      ...objects
        .filter((o) => podSpecOf(o))
        .map((o) => ({
          ref: `${o.kind}/${o.metadata.name}`,
          spec: podSpecOf(o),
          annotations: podTemplateOf(o).metadata?.annotations ?? {},
        })),
      ...operatorPodsOf(objects).map((pod) => ({ ...pod, annotations: {} })),
    ];
    expect(pods.length).toBeGreaterThanOrEqual(3);
    expect(level).toBe(namespaceLevelFor(pods.map((p) => p.spec)));
    if (level === 'privileged') return;
    for (const pod of pods) {
      expect({ pod: pod.ref, violations: pssViolations(pod.spec, level, pod.annotations) }).toEqual({
        pod: pod.ref,
        violations: [],
      });
    }
  });

  test('no container takes a secret as an environment variable but REDIS_URL, which Immich reads from no file', () => {
    const fromSecrets = objects
      .filter((o) => podSpecOf(o))
      .flatMap((o) =>
        [...(podSpecOf(o).containers ?? []), ...(podSpecOf(o).initContainers ?? [])].flatMap((c: any) =>
          (c.env ?? []).filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => `${o.metadata.name} ${e.name}`),
        ),
      );
    expect(fromSecrets.filter((entry) => !entry.endsWith(' REDIS_URL'))).toEqual([]);
  });

  test('custom resources, and only they, skip the Argo CD dry run while their CRD is missing', () => {
    const core = /^(v1|apps\/v1|batch\/v1|networking\.k8s\.io\/v1|policy\/v1)$/;
    const app = files.filter((f) => !f.file.includes('/')).map((f) => f.object);
    const skipping = (o: any) =>
      (o.metadata.annotations?.['argocd.argoproj.io/sync-options'] ?? '').includes('SkipDryRunOnMissingResource=true');
    expect(
      app.filter((o) => skipping(o) !== !core.test(o.apiVersion)).map((o) => `${o.kind}/${o.metadata.name}`),
    ).toEqual([]);
  });

  test('Argo CD moves Immich to a release only after a base backup named after that release has completed', () => {
    const { database } = scenarioConfig(scenario);
    const cluster = objects.find((o) => o.kind === 'Cluster');
    const expected = database.engine === 'cloudnative-pg' && database.cloudnativePg.backup?.beforeUpgrade === true;
    const backups = objects.filter((o) => o.kind === 'Backup');
    expect(backups.length).toBe(expected ? 1 : 0);
    if (!expected) return;
    const backup = backups[0];
    const wave = (o: any) => Number(o.metadata.annotations?.[SYNC_WAVE_ANNOTATION] ?? 0);
    const immich = objects.filter((o) =>
      (podSpecOf(o)?.containers ?? []).some((c: any) =>
        [IMAGES.server, IMAGES.machineLearning].some((repo) => c.image.startsWith(`${repo}:`)),
      ),
    );
    const server = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'immich-server');
    const release = /:([^:@]+)(@|$)/.exec(server.spec.template.spec.containers[0].image)![1]!;
    expect(immich.length).toBeGreaterThanOrEqual(2);
    // One object per release: a sync that keeps the version re-applies the completed backup, not a new one.
    expect(backup.metadata.name).toBe(preUpgradeBackupName(release));
    expect(backup.spec).toEqual({
      cluster: { name: cluster.metadata.name },
      method: 'plugin',
      pluginConfiguration: { name: cluster.spec.plugins.find((p: any) => p.isWALArchiver).name },
    });
    // A plain object in a wave, not a hook: Argo CD re-creates hooks, and so re-runs them, on every sync.
    expect(Object.keys(backup.metadata.annotations).filter((key) => key.startsWith('argocd.argoproj.io/hook'))).toEqual(
      [],
    );
    expect(wave(backup)).toBeGreaterThanOrEqual(wave(cluster));
    expect(immich.filter((o) => wave(o) <= wave(backup)).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
  });

  test('the app manifests sit at the top of dist/, the Argo CD Application below it', () => {
    const nested = files.filter((f) => f.file.includes('/'));
    expect(nested.map((f) => `${f.file} ${f.object.kind}`)).toEqual(['argocd/90-application-immich.yaml Application']);
    expect(nested[0]!.object.spec.source).toMatchObject({ path: 'dist', directory: { recurse: false } });
  });

  test('every pod that runs jobs reaches each outside peer and port the server calls out to, but the OIDC issuer port', () => {
    const { networkPolicy, oauth } = scenarioConfig(scenario);
    const { ingressController, serverEgress } = networkPolicy;
    const namespace = objects.find((o) => o.kind === 'Namespace');
    const namespaceLabels = { ...namespace.metadata.labels, 'kubernetes.io/metadata.name': namespace.metadata.name };
    const podsOf = (name: string): Peer | undefined => {
      const workload = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
      return (
        workload && {
          kind: 'pod',
          namespace: namespace.metadata.name,
          namespaceLabels,
          podLabels: workload.spec.template.metadata.labels,
        }
      );
    };
    const server = podsOf('immich-server')!;
    // Queue jobs (mail, webhooks, the version check) run in the workers when split, else in the server.
    const jobs = podsOf('immich-microservices') ?? server;
    const controller: Peer = {
      kind: 'pod',
      namespace: ingressController.namespaceSelector['kubernetes.io/metadata.name'] ?? 'ingress',
      namespaceLabels: ingressController.namespaceSelector,
      podLabels: ingressController.podSelector,
    };
    const addresses = [
      ...serverEgress.cidrs.map((cidr) => cidr.split('/')[0]!),
      '140.82.112.3',
      '192.168.1.10',
      '2606:4700:4700::1111',
    ];
    const outside: Peer[] = [controller, ...addresses.map((ip): Peer => ({ kind: 'ip', ip }))];
    const policyPorts = objects
      .filter((o) => o.kind === 'NetworkPolicy')
      .flatMap((o) => (o.spec.egress ?? []).flatMap((rule: any) => (rule.ports ?? []).map((p: any) => p.port)))
      .filter((port: unknown): port is number => typeof port === 'number');
    const issuerPort = oauth.enabled ? urlPort(oauth.issuerUrl) : undefined;
    // Logging in through OAuth is an API request: the issuer's own port is opened for the server alone.
    const issuerOnly = issuerPort !== undefined && !serverEgress.ports.includes(issuerPort) ? issuerPort : undefined;
    const ports = [...new Set([...policyPorts, 25, 465, 587, ...(issuerPort ? [issuerPort] : [])])];
    const missing: string[] = [];
    let reached = 0;
    const expectReach = (to: Peer, port: number) => {
      if (!allowed(objects, jobs, to, port)) missing.push(`${to.kind === 'ip' ? to.ip : 'ingress controller'} ${port}`);
    };
    for (const to of outside) {
      for (const port of ports) {
        if (port === issuerOnly || !allowed(objects, server, to, port)) continue;
        reached++;
        expectReach(to, port);
      }
    }
    // What the configuration grants for outbound calls, whatever the server's policy says.
    for (const cidr of serverEgress.cidrs)
      for (const port of serverEgress.ports) expectReach({ kind: 'ip', ip: cidr.split('/')[0]! }, port);
    for (const port of ingressController.ports) expectReach(controller, port);
    expect(missing).toEqual([]);
    expect(reached).toBeGreaterThan(0);
    if (jobs !== server && issuerOnly !== undefined) {
      expect(allowed(objects, jobs, { kind: 'ip', ip: '140.82.112.3' }, issuerOnly)).toBe(false);
    }
  });

  test('the ingress controller or gateway pods reach the server port the route sends to, and no other peer does', () => {
    const { ingressController } = scenarioConfig(scenario).networkPolicy;
    const namespace = objects.find((o) => o.kind === 'Namespace');
    const name = namespace.metadata.name;
    const namespaceLabels = { ...namespace.metadata.labels, 'kubernetes.io/metadata.name': name };
    const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
    const podOf = (w: any): Peer => ({
      kind: 'pod',
      namespace: name,
      namespaceLabels,
      podLabels: w.spec.template.metadata.labels,
    });
    // The route's one backend, down to the container port of the pods behind its Service (the references rule checks it resolves).
    const backends = objects.flatMap(routeBackends);
    expect(backends).toHaveLength(1);
    const [{ service, port }] = backends as [(typeof backends)[number]];
    const serviceObject = objects.find((o) => o.kind === 'Service' && o.metadata.name === service);
    const servicePort = serviceObject?.spec.ports.find((p: any) => p.port === port || p.name === port);
    expect(servicePort).toBeDefined();
    const served = workloads.filter((w) =>
      Object.entries(serviceObject.spec.selector).every(([k, v]) => w.spec.template.metadata.labels[k] === v),
    );
    const target = servicePort.targetPort ?? servicePort.port;
    const containerPort: number | undefined = served
      .flatMap((w) => w.spec.template.spec.containers.flatMap((c: any) => c.ports ?? []))
      .find((p: any) => p.name === target || p.containerPort === target)?.containerPort;
    expect(containerPort).toBeDefined();
    const controllerNamespace = ingressController.namespaceSelector['kubernetes.io/metadata.name'] ?? 'ingress';
    const controller: Peer = {
      kind: 'pod',
      namespace: controllerNamespace,
      namespaceLabels: ingressController.namespaceSelector,
      podLabels: ingressController.podSelector,
    };
    const others: [string, Peer][] = [
      [
        'its labels in another namespace',
        {
          kind: 'pod',
          namespace: 'elsewhere',
          namespaceLabels: { 'kubernetes.io/metadata.name': 'elsewhere' },
          podLabels: ingressController.podSelector,
        },
      ],
      ['another pod of its namespace', { ...controller, podLabels: { 'app.kubernetes.io/name': 'whoami' } }],
      ['an address on the internet', { kind: 'ip', ip: '140.82.112.3' }],
      ['an address in the cluster network', { kind: 'ip', ip: '10.1.2.3' }],
      ...workloads.map((w): [string, Peer] => [`${w.kind}/${w.metadata.name}`, podOf(w)]),
    ];
    expect(served.length).toBeGreaterThanOrEqual(1);
    for (const w of served) {
      expect({ to: w.metadata.name, allowed: allowed(objects, controller, podOf(w), containerPort!) }).toEqual({
        to: w.metadata.name,
        allowed: true,
      });
      const intruders = others
        .filter(([, peer]) => allowed(objects, peer, podOf(w), containerPort!))
        .map(([who]) => who);
      expect({ to: w.metadata.name, intruders }).toEqual({ to: w.metadata.name, intruders: [] });
    }
    // Nor does the controller reach any other pod of the namespace on the ports they listen on.
    const reached = workloads
      .filter((w) => !served.includes(w))
      .flatMap((w) =>
        w.spec.template.spec.containers
          .flatMap((c: any) => c.ports ?? [])
          .filter((p: any) => allowed(objects, controller, podOf(w), p.containerPort))
          .map((p: any) => `${w.metadata.name}:${p.containerPort}`),
      );
    expect(reached).toEqual([]);
  });

  if (scenario.mode === 'inline') return;

  test('no synthesized Secret carries data', () => {
    const secrets = objects.filter((o) => o.kind === 'Secret');
    expect(secrets.filter((s) => s.data || s.stringData)).toEqual([]);
  });

  test.each(Object.keys(PLAINTEXT))('no file contains the %s value', (name) => {
    const value = PLAINTEXT[name as keyof typeof PLAINTEXT];
    for (const { file, object } of files)
      expect({ file, leak: JSON.stringify(object).includes(value) }).toEqual({ file, leak: false });
  });
});
