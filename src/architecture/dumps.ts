/**
 * Immich's own database dumps, read from the config file's backup settings, and the volume they
 * land on.
 */
import { DATABASE_DUMPS, IMMICH_ENV } from '../constants';
import { type Container, type PodSpec, ofKind } from '../lib/kube-json';
import { COMPONENT_LABEL } from '../lib/labels';
import { code } from '../lib/markdown';
import { databaseBehind, dependenciesOf } from './dependencies';
import { type FileSource, type Model, type Workload, containersOf, fileSource } from './model';

/** Immich's own dump of a database into its media folder. */
export interface DatabaseDump {
  /** The database dumped. */
  readonly database: Workload;
  /** Whether the config file enables it; undefined when the file is not in the manifests. */
  readonly enabled?: boolean;
  readonly text: string;
}

/**
 * Immich's own database dumps: each Immich workload (it names its system config file) dumps the
 * database it connects to, per `backup.database` of that file, into `<media location>/backups`.
 */
export function databaseDumps(model: Model): DatabaseDump[] {
  const dumps = new Map<string, DatabaseDump>();
  for (const w of model.workloads) {
    const spec = w.template?.spec;
    for (const { container } of containersOf(spec).filter((c) => !c.init)) {
      const env = new Map((container.env ?? []).map((e) => [e.name, e.value]));
      const configPath = env.get(IMMICH_ENV.configFile);
      if (!configPath || !spec) continue;
      const source = fileSource(spec, container, configPath);
      const settings = source ? dumpSettings(model, source) : undefined;
      const media = env.get(IMMICH_ENV.mediaLocation);
      const folder = media ? `${media}/${DATABASE_DUMPS.folder}` : undefined;
      const claim = folder ? claimAt(spec, container, folder) : undefined;
      const where = `${folder ? code(folder) : 'the media folder'}${claim ? ` on PVC ${code(claim)}` : ''}`;
      const from = source ? `${source.kind} ${code(`${source.name}/${source.key}`)}` : 'the config file';
      const text =
        settings === undefined
          ? `Immich's database dump to ${where}, if ${code('backup.database.enabled')} in ${from} (created outside these manifests; Immich enables it by default)`
          : settings.enabled
            ? `Immich's database dump to ${where} at ${code(settings.cronExpression)}, keeps ${settings.keepLastAmount} (${from})`
            : `Immich's database dump is disabled in ${from}`;
      for (const dep of dependenciesOf(model, w)) {
        // A pooler passes the connections on to its cluster, whose volumes the dump is about.
        const target = dep.target && databaseBehind(model, dep.target);
        if (!target || !(target.kind === 'Cluster' || target.labels[COMPONENT_LABEL] === 'database')) continue;
        if (!dumps.has(target.key)) {
          dumps.set(target.key, { database: target, text, ...(settings ? { enabled: settings.enabled } : {}) });
        }
      }
    }
  }
  return [...dumps.values()];
}

/** The claim mounted where a path lies in a container. */
function claimAt(spec: PodSpec, container: Container, path: string): string | undefined {
  const mount = (container.volumeMounts ?? [])
    .filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  return spec.volumes?.find((v) => v.name === mount?.name)?.persistentVolumeClaim?.claimName;
}

/** `backup.database` of the Immich config file. */
interface DumpSettings {
  readonly enabled: boolean;
  readonly cronExpression: string;
  readonly keepLastAmount: number;
}

/**
 * `backup.database` of an Immich config file held in the manifests (a ConfigMap, an inline
 * Secret or the template of a SealedSecret or ExternalSecret), with Immich's defaults; undefined
 * when the file is not in the manifests. Only these three settings leave this function.
 */
function dumpSettings(model: Model, source: FileSource): DumpSettings | undefined {
  const text = configFileText(model, source);
  if (text === undefined) return undefined;
  let json: { backup?: { database?: Partial<DumpSettings> } };
  try {
    // Secret operators' templates insert values with {{ ... }}; none of them is read here.
    json = JSON.parse(text.replaceAll(/\{\{.*?\}\}/g, 'null')) as typeof json;
  } catch {
    // The parser's message quotes the text, which may hold a secret: name the file only.
    throw new Error(`the Immich config file ${source.kind} ${source.name}/${source.key} is not JSON`);
  }
  const { enabled, cronExpression, keepLastAmount } = { ...DATABASE_DUMPS.defaults, ...json.backup?.database };
  return { enabled, cronExpression, keepLastAmount };
}

/** The text of a config file held in the manifests, from whichever object carries it. */
function configFileText(model: Model, source: FileSource): string | undefined {
  const { name, key } = source;
  if (source.kind === 'configmap') {
    return ofKind(model.objects, 'ConfigMap').find((c) => c.metadata.name === name)?.data?.[key];
  }
  const secret = ofKind(model.objects, 'Secret').find((s) => s.metadata.name === name);
  if (secret) {
    const encoded = secret.data?.[key];
    return (
      secret.stringData?.[key] ?? (encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8'))
    );
  }
  const sealed = ofKind(model.objects, 'SealedSecret').find(
    (s) => (s.spec.template?.metadata?.name ?? s.metadata.name) === name,
  );
  if (sealed) return sealed.spec.template?.data?.[key];
  const external = ofKind(model.objects, 'ExternalSecret').find(
    (s) => (s.spec.target?.name ?? s.metadata.name) === name,
  );
  return external?.spec.target?.template?.data?.[key];
}
