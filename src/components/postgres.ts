import { ApiObject, type ApiObjectProps } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { DatabaseIdentity, Resources, VolumeConfig } from '../config';
import { DB_SECRET_KEYS, IMAGES, NAMES, PATHS, PORTS } from '../constants';
import {
  CONTAINER_SECURITY_CONTEXT,
  type DatabaseConnection,
  type Endpoint,
  type PostgresSource,
  claimSpec,
  execProbe,
  resourceRequirements,
  scratchVolume,
  secretFiles,
} from '../lib/pod';
import { SYNC_WAVES, syncPolicy } from '../lib/argocd';
import { componentIdentity, componentService, componentServiceAccount, podTemplate } from '../lib/workload';

/** uid/gid of the `postgres` user in the Debian-based image. */
const POSTGRES_UID = 999;

export interface PostgresProps {
  /** Label `app.kubernetes.io/instance`. */
  readonly instance: string;
  /** Database user and database created on first start. */
  readonly database: DatabaseIdentity;
  /** Secret with the `password` key. */
  readonly dbSecretName: string;
  /** Data volume of the single replica. */
  readonly storage: VolumeConfig;
  /** `DB_STORAGE_TYPE` read by the image's entrypoint to pick its tuning. */
  readonly storageType: 'SSD' | 'HDD';
  readonly resources: Resources;
  /** @default none */
  readonly priorityClassName?: string;
}

/**
 * Postgres with VectorChord, as a one-replica StatefulSet whose volumeClaimTemplate keeps the
 * data PVC (`data-immich-postgres-0`) across restarts, deletions and reschedules.
 * @see https://immich.app/docs/install/environment-variables#database
 */
export class Postgres extends Construct {
  /** Where the server reaches the database. */
  readonly endpoint: Endpoint;
  /** Its address and login, for an import into another cluster. */
  readonly source: PostgresSource;
  /** How the server connects: host, port, user, database and the password from the DB Secret. */
  readonly connection: DatabaseConnection;

  constructor(scope: Construct, id: string, props: PostgresProps) {
    super(scope, id);
    const identity = componentIdentity(NAMES.postgres, 'database', props.instance, SYNC_WAVES.backends);

    const port = { name: 'postgres', port: PORTS.postgres };
    componentService(this, 'headless', { ...identity, name: NAMES.postgresHeadless }, { ...port, headless: true });
    componentService(this, 'service', identity, port);

    const readiness = [
      'sh',
      '-c',
      `pg_isready -h 127.0.0.1 -p ${PORTS.postgres} -U "$POSTGRES_USER" -d "$POSTGRES_DB"`,
    ];
    componentServiceAccount(this, identity);
    // The image's entrypoint reads POSTGRES_PASSWORD_FILE.
    const passwordFile = secretFiles([
      { variable: 'POSTGRES_PASSWORD', secretName: props.dbSecretName, key: DB_SECRET_KEYS.password },
    ]);
    const statefulSet = statefulSetWithTypedClaims(this, 'statefulset', {
      metadata: { name: identity.name, labels: identity.labels },
      spec: {
        serviceName: NAMES.postgresHeadless,
        replicas: 1,
        selector: { matchLabels: identity.selector },
        // Deleting or scaling the StatefulSet must never delete the database volume.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        volumeClaimTemplates: [
          { metadata: { name: NAMES.postgresVolumeClaim, labels: identity.labels }, spec: claimSpec(props.storage) },
        ],
        template: podTemplate(identity, {
          uid: POSTGRES_UID,
          // Give postgres time for a clean shutdown checkpoint.
          shutdownSeconds: 60,
          spec: { priorityClassName: props.priorityClassName },
          containers: [
            {
              name: 'postgres',
              image: IMAGES.postgres,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'postgres', containerPort: PORTS.postgres }],
              env: [
                { name: 'POSTGRES_USER', value: props.database.username },
                ...passwordFile.env,
                { name: 'POSTGRES_DB', value: props.database.name },
                { name: 'POSTGRES_INITDB_ARGS', value: '--data-checksums' },
                // A fresh volume's lost+found breaks initdb in the mount root.
                { name: 'PGDATA', value: `${PATHS.postgresData}/pgdata` },
                { name: 'DB_STORAGE_TYPE', value: props.storageType },
              ],
              resources: resourceRequirements(props.resources),
              securityContext: CONTAINER_SECURITY_CONTEXT,
              startupProbe: execProbe(readiness, { periodSeconds: 10, failureThreshold: 60 }),
              readinessProbe: execProbe(readiness, { periodSeconds: 10, failureThreshold: 3 }),
              livenessProbe: execProbe(readiness, { periodSeconds: 30, failureThreshold: 5 }),
              volumeMounts: [
                { name: NAMES.postgresVolumeClaim, mountPath: PATHS.postgresData },
                // The entrypoint renders postgresql.conf here from /var/postgresql-conf-tpl at every start.
                { name: 'config', mountPath: '/etc/postgresql' },
                { name: 'run', mountPath: '/var/run/postgresql' },
                { name: 'tmp', mountPath: '/tmp' },
                // Parallel queries need more shared memory than the runtime's 64Mi default.
                { name: 'shm', mountPath: '/dev/shm' },
                ...(passwordFile.mount ? [passwordFile.mount] : []),
              ],
            },
          ],
          volumes: [
            scratchVolume('config', '1Mi'),
            scratchVolume('run', '1Mi'),
            scratchVolume('tmp', '256Mi'),
            scratchVolume('shm', '128Mi', 'Memory'),
            ...(passwordFile.volume ? [passwordFile.volume] : []),
          ],
        }),
      },
    });

    // The database lives in the claim this StatefulSet creates: Argo CD must never delete it.
    syncPolicy(statefulSet, { wave: identity.wave, keep: true });

    this.endpoint = { host: identity.name, port: PORTS.postgres, pods: identity.selector };
    const { username, name } = props.database;
    const password = { secretName: props.dbSecretName, key: DB_SECRET_KEYS.password };
    this.source = { endpoint: this.endpoint, username, database: name, password };
    this.connection = {
      endpoint: this.endpoint,
      env: [
        { name: 'DB_HOSTNAME', value: this.endpoint.host },
        { name: 'DB_PORT', value: String(this.endpoint.port) },
        { name: 'DB_USERNAME', value: username },
        { name: 'DB_DATABASE_NAME', value: name },
      ],
      files: [{ variable: 'DB_PASSWORD', secretName: password.secretName, key: password.key }],
    };
  }
}

/**
 * A StatefulSet whose volumeClaimTemplates carry `apiVersion` and `kind`. The API server stores
 * them, and without them in the manifest Argo CD's server-side diff shows the StatefulSet out of
 * sync forever (argo-cd#11143). `KubeStatefulSet` drops any field its props type lacks, JSON
 * patches included, so the object is built from its rendered manifest instead.
 */
function statefulSetWithTypedClaims(scope: Construct, id: string, props: k8s.KubeStatefulSetProps): ApiObject {
  const manifest = k8s.KubeStatefulSet.manifest(props) as ApiObjectProps & { spec: { volumeClaimTemplates: object[] } };
  for (const claim of manifest.spec.volumeClaimTemplates) {
    Object.assign(claim, { apiVersion: 'v1', kind: 'PersistentVolumeClaim' });
  }
  return new ApiObject(scope, id, manifest);
}
