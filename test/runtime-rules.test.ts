/**
 * What a running cluster would find, as rules over every scenario: rollouts that cannot hang on a
 * GPU, stops that drop no request, a first start that waits for the database, probes on every
 * container and one mode for every secret file.
 */
import { podSpecOf, podTemplateOf } from '../src/lib/pss';
import { selectorMatches } from '../src/lib/kube-json';
import { quantityValue } from '../src/lib/quantity';
import { renderCharts } from '../src/output';
import { buildCharts } from '../src/chart';
import { SCENARIOS, scenarioConfig } from './support/modes';
import { envOf, findOne, synth } from './support/synth';

/** Seconds a stopping pod must stay in the endpoints for every node to drop it (measured: 5 s dropped nothing). */
const ENDPOINT_PROPAGATION_SECONDS = 5;
/** Seconds Immich, valkey and postgres need after SIGTERM to close connections and flush. */
const MIN_SHUTDOWN_SECONDS = 20;

const rendered = Object.entries(SCENARIOS).map(([name, scenario]) => {
  const objects = renderCharts(buildCharts(scenarioConfig(scenario))).map((m) => m.object as any);
  return [name, objects] as const;
});

/** `Kind/name` of each object holding a pod template, with that template. */
function podOwners(objects: readonly any[]): { ref: string; object: any; template: any }[] {
  return objects
    .filter((o) => podSpecOf(o))
    .map((o) => ({ ref: `${o.kind}/${o.metadata.name}`, object: o, template: podTemplateOf(o) }));
}

/** Extended resources (device plugins name theirs `<vendor>/<name>`) a pod asks for. */
function deviceResources(spec: any): string[] {
  return spec.containers.flatMap((c: any) =>
    Object.keys({ ...c.resources?.limits, ...c.resources?.requests }).filter((name) => name.includes('/')),
  );
}

/** Seconds a container waits in preStop, from an exec `sleep N` or the kubelet's sleep action. */
function preStopWait(container: any): number {
  const preStop = container.lifecycle?.preStop;
  if (preStop?.sleep) return Number(preStop.sleep.seconds);
  const command: string[] = preStop?.exec?.command ?? [];
  return command[0] === 'sleep' && command.length === 2 ? Number(command[1]) : 0;
}

/** Pods an owner runs at most during a rollout: its replicas, plus one when it may surge. */
function podsAtOnce(object: any): number {
  const replicas = object.spec.replicas ?? 1;
  const strategy = object.spec.strategy ?? object.spec.updateStrategy ?? {};
  const surge = strategy.type === 'RollingUpdate' ? Number(strategy.rollingUpdate?.maxSurge ?? 1) : 0;
  return replicas + (replicas > 0 ? surge : 0);
}

/** The claim behind each mount path of a container, as `path → claim`. */
function mountedClaims(container: any, spec: any): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const mount of container.volumeMounts ?? []) {
    const claim = spec.volumes.find((v: any) => v.name === mount.name)?.persistentVolumeClaim?.claimName;
    if (claim) claims[mount.mountPath] = claim;
  }
  return claims;
}

/** Where a container's database connection goes, as `host:port`, or undefined when it has none. */
function databaseTarget(container: any, spec: any): string | undefined {
  const env = envOf(container);
  if (env.DB_HOSTNAME) return `${env.DB_HOSTNAME}:${env.DB_PORT ?? '5432'}`;
  // libpq's own variables, as pg_dump reads them.
  if (env.PGHOST) return `${env.PGHOST}:${env.PGPORT ?? '5432'}`;
  if (!env.DB_URL && !env.DB_URL_FILE) return undefined;
  // DB_URL comes from the CloudNativePG `<cluster>-app` Secret, whose `uri` names `<cluster>-rw:5432`.
  const sources = spec.volumes.flatMap((v: any) => v.projected?.sources ?? []);
  const secret =
    env.DB_URL?.replace(/^secret:([^/]+)\/.*/, '$1') ??
    sources.find((s: any) => s.secret?.items?.some((i: any) => i.path === 'DB_URL'))?.secret.name;
  return `${String(secret).replace(/-app$/, '-rw')}:5432`;
}

describe.each(rendered)('%s', (_name, objects) => {
  const owners = podOwners(objects);

  test('a pod that holds a device never surges: one replica is recreated, several go one by one', () => {
    const holders = owners.filter((o) => deviceResources(o.template.spec).length > 0);
    for (const { ref, object } of holders) {
      const strategy = object.spec.strategy ?? object.spec.updateStrategy;
      const surge = strategy.type === 'Recreate' || strategy.type === 'OnDelete' ? 0 : strategy.rollingUpdate?.maxSurge;
      expect({ ref, surge }).toEqual({ ref, surge: 0 });
      if (object.spec.replicas > 1)
        expect({ ref, maxUnavailable: strategy.rollingUpdate?.maxUnavailable }).toEqual({ ref, maxUnavailable: 1 });
    }
  });

  test('every container behind a Service waits for endpoint removal before it stops, within its grace period', () => {
    const services = objects.filter((o) => o.kind === 'Service' && o.spec.selector);
    const served = owners.filter(({ template }) =>
      services.some((s) => selectorMatches({ matchLabels: s.spec.selector }, template.metadata.labels ?? {})),
    );
    expect(served.length).toBeGreaterThanOrEqual(2);
    for (const { ref, template } of served) {
      const grace = template.spec.terminationGracePeriodSeconds ?? 30;
      for (const container of template.spec.containers) {
        const wait = preStopWait(container);
        expect({ ref, container: container.name, waits: wait >= ENDPOINT_PROPAGATION_SECONDS }).toEqual({
          ref,
          container: container.name,
          waits: true,
        });
        expect({ ref, shutdownAfterWait: grace - wait >= MIN_SHUTDOWN_SECONDS }).toEqual({
          ref,
          shutdownAfterWait: true,
        });
      }
    }
  });

  test('every pod that connects to the database waits for it in an init container first', () => {
    let connecting = 0;
    for (const { ref, template } of owners) {
      const spec = template.spec;
      const direct = spec.containers.map((c: any) => databaseTarget(c, spec)).filter(Boolean) as string[];
      if (direct.length === 0) continue;
      connecting++;
      // A CloudNativePG Pooler accepts connections before its cluster does: the primary comes first.
      const poolers = objects.filter((o) => o.kind === 'Pooler');
      const behind = (target: string) => {
        const pooler = poolers.find((p) => target.startsWith(`${p.metadata.name}:`));
        return pooler ? [`${pooler.spec.cluster.name}-rw:5432`, target] : [target];
      };
      const targets = [...new Set(direct.flatMap(behind))];
      // The wait's arguments after its script (and after `sh -c`'s `$0`): host port [host port ...], in order.
      const waits = (spec.initContainers ?? []).flatMap((c: any) => {
        const command: string[] = c.command ?? [];
        const args = command.slice(command[1] === '-c' ? 4 : 3);
        return args.flatMap((host, i) => (i % 2 === 0 ? [`${host}:${args[i + 1]}`] : []));
      });
      expect({ ref, waits: targets.filter((t) => !waits.includes(t)) }).toEqual({ ref, waits: [] });
      expect({ ref, order: waits.filter((w: string) => targets.includes(w)) }).toEqual({ ref, order: targets });
    }
    expect(connecting).toBeGreaterThanOrEqual(1);
  });

  test('every claim that pods may mount at once, rollout surges counted, allows it by its access modes', () => {
    const claims = objects.filter((o) => o.kind === 'PersistentVolumeClaim');
    for (const claim of claims) {
      const users = owners.flatMap(({ ref, object, template }) => {
        const volume = (template.spec.volumes ?? []).find(
          (v: any) => v.persistentVolumeClaim?.claimName === claim.metadata.name,
        );
        if (!volume) return [];
        const mounts = template.spec.containers.flatMap((c: any) =>
          (c.volumeMounts ?? []).filter((m: any) => m.name === volume.name),
        );
        const readOnly = volume.persistentVolumeClaim.readOnly || mounts.every((m: any) => m.readOnly);
        return [{ ref, pods: podsAtOnce(object), readOnly }];
      });
      const pods = users.reduce((sum, u) => sum + u.pods, 0);
      if (pods <= 1) continue;
      const modes: string[] = claim.spec.accessModes ?? [];
      const shared =
        modes.includes('ReadWriteMany') || (modes.includes('ReadOnlyMany') && users.every((u) => u.readOnly));
      expect({ claim: claim.metadata.name, modes, users, shared }).toEqual({
        claim: claim.metadata.name,
        modes,
        users,
        shared: true,
      });
    }
  });

  test('every pod of the Immich server image mounts the same claims at the same paths, and each folder its variables name', () => {
    const immich = owners.filter(({ template }) =>
      template.spec.containers[0].image.startsWith('ghcr.io/immich-app/immich-server:'),
    );
    expect(immich.length).toBeGreaterThanOrEqual(1);
    const claims = immich.map(({ template }) => mountedClaims(template.spec.containers[0], template.spec));
    for (const [i, { ref }] of immich.entries()) expect({ ref, claims: claims[i] }).toEqual({ ref, claims: claims[0] });
    for (const { ref, template } of immich) {
      const container = template.spec.containers[0];
      const env = envOf(container);
      const folders = [env.IMMICH_MEDIA_LOCATION, env.IMMICH_PLUGINS_INSTALL_FOLDER].filter(Boolean);
      const mounted = (container.volumeMounts ?? []).map((m: any) => m.mountPath);
      expect({ ref, unmounted: folders.filter((f) => !mounted.includes(f)) }).toEqual({ ref, unmounted: [] });
      // Everything Immich keeps below its media location is on a claim, never on a pod's scratch volume.
      const media = env.IMMICH_MEDIA_LOCATION!;
      const below = mounted.filter((path: string) => path === media || path.startsWith(`${media}/`));
      expect({ ref, notClaims: below.filter((path: string) => !claims[0]?.[path]) }).toEqual({ ref, notClaims: [] });
      if (env.IMMICH_ALLOW_EXTERNAL_PLUGINS === 'true')
        expect({ ref, pluginsOnClaim: Boolean(claims[0]?.[env.IMMICH_PLUGINS_INSTALL_FOLDER!]) }).toEqual({
          ref,
          pluginsOnClaim: true,
        });
    }
  });

  test('every Dragonfly starts within its limits: --maxmemory leaves headroom and holds 256 MiB per thread', () => {
    for (const { ref, template } of owners) {
      for (const c of template.spec.containers.filter((c: any) => c.image.includes('/dragonflydb/dragonfly:'))) {
        const arg = (name: string) => Number(c.args.find((a: string) => a.startsWith(`--${name}=`))?.split('=')[1]);
        const maxmemory = arg('maxmemory');
        const limit = quantityValue(c.resources.limits.memory);
        expect({ ref, headroom: maxmemory > 0 && maxmemory <= 0.9 * limit }).toEqual({ ref, headroom: true });
        expect({
          ref,
          threads: arg('proactor_threads') >= 1,
          fits: maxmemory >= arg('proactor_threads') * 2 ** 28,
        }).toEqual({ ref, threads: true, fits: true });
      }
    }
  });

  test('every long-running container has startup, readiness and liveness probes', () => {
    for (const { ref, object, template } of owners) {
      if (object.kind === 'Job' || object.kind === 'CronJob') continue;
      for (const c of template.spec.containers) {
        const probes = ['startupProbe', 'readinessProbe', 'livenessProbe'].filter((p) => !c[p]);
        expect({ ref, container: c.name, missing: probes }).toEqual({ ref, container: c.name, missing: [] });
      }
    }
  });

  test('every file that carries a secret is mounted readable by the pod group only (0440)', () => {
    for (const { ref, template } of owners) {
      for (const volume of template.spec.volumes ?? []) {
        const fromSecret = volume.secret || volume.projected?.sources?.some((s: any) => s.secret);
        if (!fromSecret) continue;
        const modes = [
          (volume.secret ?? volume.projected).defaultMode,
          ...(volume.secret?.items ?? []).map((i: any) => i.mode ?? 0o440),
          ...(volume.projected?.sources ?? []).flatMap((s: any) =>
            (s.secret?.items ?? []).map((i: any) => i.mode ?? 0o440),
          ),
        ];
        expect({ ref, volume: volume.name, modes: [...new Set(modes)] }).toEqual({
          ref,
          volume: volume.name,
          modes: [0o440],
        });
      }
    }
  });
});

test('the scenarios hold what the rules check: a Dragonfly, ReadWriteOnce claims, external plugins', () => {
  const objects = rendered.flatMap(([, os]) => os);
  // A pod holding a GPU whose volumes would let it surge: without the rule, its rollout would.
  const surgeable = rendered.flatMap(([, scenario]) => {
    const shared = new Set(
      scenario
        .filter((o) => o.kind === 'PersistentVolumeClaim' && o.spec.accessModes.includes('ReadWriteMany'))
        .map((o) => o.metadata.name),
    );
    return podOwners(scenario).filter(
      ({ template }) =>
        deviceResources(template.spec).length > 0 &&
        (template.spec.volumes ?? []).some((v: any) => shared.has(v.persistentVolumeClaim?.claimName)),
    );
  });
  expect(surgeable.map((o) => o.ref)).toEqual(expect.arrayContaining(['Deployment/immich-microservices']));
  const images = objects.flatMap((o) => (podSpecOf(o)?.containers ?? []).map((c: any) => c.image as string));
  expect(images.filter((image) => image.includes('/dragonflydb/dragonfly:')).length).toBeGreaterThanOrEqual(1);
  const claims = objects.filter((o) => o.kind === 'PersistentVolumeClaim');
  expect(claims.filter((c) => c.spec.accessModes.includes('ReadWriteOnce')).length).toBeGreaterThanOrEqual(1);
  expect(claims.filter((c) => c.metadata.name === 'immich-plugins').length).toBeGreaterThanOrEqual(1);
});

test('some scenario runs several Immich pods on claims of their own below /data, so the volume rules bite', () => {
  const immichPods = (objects: readonly any[]) =>
    podOwners(objects).filter(({ template }) =>
      template.spec.containers.some((c: any) => envOf(c).IMMICH_MEDIA_LOCATION),
    );
  const below = ({ template }: { template: any }) =>
    template.spec.containers.some((c: any) =>
      (c.volumeMounts ?? []).some((m: any) => m.mountPath.startsWith('/data/')),
    );
  const tiered = rendered.filter(([, objects]) => immichPods(objects).length > 1 && immichPods(objects).every(below));
  expect(tiered.length).toBeGreaterThanOrEqual(1);
});

describe('defaults', () => {
  const manifests = synth();
  const split = synth({ server: { workers: 'split' }, storage: { data: { accessModes: ['ReadWriteMany'] } } });
  /** Working sets measured on a real cluster (cgroup, as the kubelet counts it), Immich v3.1.0, no photos, in MiB. */
  const MEASURED = [
    ['combined server at start-up', findOne(manifests, 'Deployment', 'immich-server'), 900],
    ['split API pod', findOne(split, 'Deployment', 'immich-server'), 606],
    ['split worker at its peak', findOne(split, 'Deployment', 'immich-microservices'), 606],
    ['postgres', findOne(manifests, 'StatefulSet', 'immich-postgres'), 110],
    ['valkey', findOne(manifests, 'Deployment', 'valkey'), 10],
  ] as const;

  test.each(MEASURED)('the memory request of the %s covers its measured working set', (_what, workload, mib) => {
    const request = workload.spec.template.spec.containers[0].resources.requests.memory;
    expect(quantityValue(request)).toBeGreaterThanOrEqual(mib * 2 ** 20);
  });

  test('the worker gets the same start-up budget as the server, per Immich pod of the configuration', () => {
    const two = synth({
      server: { workers: 'split', replicas: 2 },
      storage: { data: { accessModes: ['ReadWriteMany'] } },
    });
    const budget = (name: string) => {
      const probe = findOne(two, 'Deployment', name).spec.template.spec.containers[0].startupProbe;
      return probe.periodSeconds * probe.failureThreshold;
    };
    // Three Immich pods start at once: 15 minutes each for their migrations, one after another.
    expect(budget('immich-server')).toBe(3 * 15 * 60);
    expect(budget('immich-microservices')).toBe(budget('immich-server'));
  });
});
