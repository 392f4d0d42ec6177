import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { LogicalBackupConfig } from '../config';
import { CLOUDNATIVE_PG, NAMES } from '../constants';
import { syncPolicy } from '../lib/argocd';
import {
  CONTAINER_SECURITY_CONTEXT,
  type Endpoint,
  podSecurityContext,
  resourceRequirements,
  scratchVolume,
  secretFiles,
} from '../lib/pod';
import { componentIdentity, componentServiceAccount, persistentClaim } from '../lib/workload';

/** Where the dumps volume is mounted in the dump pod. */
const DUMPS_DIR = '/dumps';
/** The password file libpq reads: a private copy of the Secret's, on a memory volume. */
const PGPASS_DIR = '/run/pgpass';

/**
 * How each run is held to account. A run that cannot start within an hour (controller down,
 * cluster off) is skipped rather than run at noon; one that hangs (a lock, a lost replica) is
 * stopped after 3 hours, so the next night can run. Each of the three tries gets a pod of its own,
 * and the last 3 failed Jobs stay with their logs: no `ttlSecondsAfterFinished`, which would
 * delete the failed Job whose log explains the alert. Each try first waits up to 10 minutes for
 * the database, so that a restart or switchover at dump time costs a delay, not a failed night
 * (whose alert would come only 2 days later).
 */
export const DUMP_RUNS = {
  startingDeadlineSeconds: 3600,
  activeDeadlineSeconds: 3 * 3600,
  backoffLimit: 2,
  successfulJobsHistoryLimit: 3,
  failedJobsHistoryLimit: 3,
  databaseWaitSeconds: 600,
} as const;

/**
 * Waits until each host:port (arguments after `$0`: host port [host port ...]) accepts
 * connections, in order, asking every 2 s with `pg_isready` (in every operand image beside
 * pg_dump; it needs no password), and fails once `WAIT_SECONDS` have passed. POSIX sh.
 */
export const WAIT_FOR_POSTGRES = `set -eu
deadline=$(( $(date +%s) + WAIT_SECONDS ))
while [ "$#" -ge 2 ]; do
  waiting=
  until pg_isready --quiet --host="$1" --port="$2" --timeout=5; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "gave up waiting for $1:$2 after $WAIT_SECONDS s" >&2
      exit 1
    fi
    [ -n "$waiting" ] || echo "waiting for $1:$2"
    waiting=yes
    sleep 2
  done
  echo "reached $1:$2"
  shift 2
done
`;

/**
 * The dump pod's script, POSIX sh with no pipeline, so that any failing command ends it with a
 * non-zero exit (sh has no `pipefail`). A dump counts only once complete: pg_dump writes a hidden
 * partial file, which is flushed and then renamed in one step; a failed or killed run leaves no
 * file under a dump's name, and the old dumps are deleted only after a new one is in place.
 * Names carry the UTC time, so they sort oldest first.
 */
export const DUMP_SCRIPT = `set -eu
umask 077
# libpq skips a password file its group may read, as the
# mounted Secret's; the operator's names the -rw Service:
# a private copy, for any host.
sed 's/^[^:]*:/*:/' "$APP_PGPASS_FILE" > "$PGPASSFILE"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
dump="$DUMPS/$PGDATABASE-$stamp.dump"
partial="$DUMPS/.$PGDATABASE-$stamp.dump.partial"
# Left by a killed run (concurrencyPolicy: Forbid).
rm -f -- "$DUMPS"/.*.partial
trap 'rm -f -- "$partial"' EXIT
pg_dump --format=custom --no-password --file="$partial"
sync -- "$partial"
mv -- "$partial" "$dump"
sync -- "$DUMPS"
set -- "$DUMPS/$PGDATABASE"-*.dump
while [ "$#" -gt "$KEEP" ]; do
  echo "deleting $1"
  rm -f -- "$1"
  shift
done
echo "wrote $dump ($(wc -c < "$dump") bytes), $# kept"
`;

export interface LogicalBackupProps {
  /** Label `app.kubernetes.io/instance`. */
  readonly instance: string;
  /** `database.cloudnativePg.logicalBackup` of the configuration. */
  readonly config: LogicalBackupConfig;
  /** The cluster's operand image: its pg_dump is the server's own version. */
  readonly image: string;
  /** The Service to dump from and the instance pods behind it. */
  readonly source: Endpoint;
  /** The database to dump; its dumps are named after it. */
  readonly database: string;
  /** The application role that owns the database and logs in to dump it. */
  readonly owner: string;
  /** The operator's `<cluster>-app` Secret, whose `pgpass` key logs the role in. */
  readonly appSecret: string;
  /** IANA zone the schedule is read in (`spec.timeZone`). */
  readonly timezone: string;
  /** Argo CD sync wave of the CronJob and its claim. */
  readonly wave: number;
}

/**
 * A logical backup of the Immich database: a CronJob that runs `pg_dump` in custom format as the
 * application role (no superuser), against a replica where there is one, into PVC
 * `immich-pg-dumps`, keeping the newest `keep` dumps. Any PostgreSQL of the same or a newer major
 * version restores them with `pg_restore`, whatever became of the Barman Cloud archive.
 * @see https://www.postgresql.org/docs/current/app-pgdump.html
 */
export class LogicalBackup extends Construct {
  /** Labels of the dump pods, for NetworkPolicies. */
  readonly pods: Record<string, string>;
  /** The dumps volume. */
  readonly claimName: string;
  /** The CronJob, for alerts on its last success. */
  readonly cronJobName: string;
  /** uid and gid that write the dumps (the operand image's `postgres`). */
  readonly uid: number;
  /** Argo CD sync wave of the CronJob and its claim. */
  readonly wave: number;

  constructor(scope: Construct, id: string, props: LogicalBackupProps) {
    super(scope, id);
    const { config } = props;
    const identity = componentIdentity(NAMES.logicalBackup, 'backup', props.instance, props.wave);
    this.pods = identity.labels;
    this.claimName = NAMES.logicalBackupPvc;
    this.cronJobName = identity.name;
    this.uid = CLOUDNATIVE_PG.operandUid;
    this.wave = identity.wave;
    componentServiceAccount(this, identity);
    persistentClaim(this, 'claim', identity, this.claimName, config.storage);

    const password = secretFiles([{ variable: 'APP_PGPASS', secretName: props.appSecret, key: 'pgpass' }]);
    if (!password.volume || !password.mount) throw new Error('the pgpass Secret file was not built');
    const env: k8s.EnvVar[] = [
      { name: 'PGHOST', value: props.source.host },
      { name: 'PGPORT', value: String(props.source.port) },
      { name: 'PGDATABASE', value: props.database },
      { name: 'PGUSER', value: props.owner },
      // CloudNativePG always serves TLS; the whole database should not cross the network in clear.
      { name: 'PGSSLMODE', value: 'require' },
      { name: 'PGPASSFILE', value: `${PGPASS_DIR}/pgpass` },
      { name: 'DUMPS', value: DUMPS_DIR },
      { name: 'KEEP', value: String(config.keep) },
      ...password.env,
    ];
    const cronJob = new k8s.KubeCronJob(this, 'cron-job', {
      metadata: { name: identity.name, labels: identity.labels },
      spec: {
        schedule: config.schedule,
        timeZone: props.timezone,
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: DUMP_RUNS.startingDeadlineSeconds,
        successfulJobsHistoryLimit: DUMP_RUNS.successfulJobsHistoryLimit,
        failedJobsHistoryLimit: DUMP_RUNS.failedJobsHistoryLimit,
        jobTemplate: {
          metadata: { labels: identity.labels },
          spec: {
            backoffLimit: DUMP_RUNS.backoffLimit,
            activeDeadlineSeconds: DUMP_RUNS.activeDeadlineSeconds,
            template: {
              metadata: { labels: identity.labels },
              spec: {
                serviceAccountName: identity.name,
                automountServiceAccountToken: false,
                enableServiceLinks: false,
                // A new pod per try, so that each try keeps its own log.
                restartPolicy: 'Never',
                securityContext: podSecurityContext(this.uid, this.uid),
                initContainers: [waitForDatabase(props.image, props.source)],
                containers: [
                  {
                    name: 'pg-dump',
                    image: props.image,
                    imagePullPolicy: 'IfNotPresent',
                    command: ['/bin/sh', '-c', DUMP_SCRIPT],
                    env,
                    resources: resourceRequirements(config.resources),
                    securityContext: CONTAINER_SECURITY_CONTEXT,
                    volumeMounts: [
                      { name: 'dumps', mountPath: DUMPS_DIR },
                      { name: 'pgpass', mountPath: PGPASS_DIR },
                      password.mount,
                    ],
                  },
                ],
                volumes: [
                  { name: 'dumps', persistentVolumeClaim: { claimName: this.claimName } },
                  scratchVolume('pgpass', '1Mi', 'Memory'),
                  password.volume,
                ],
              },
            },
          },
        },
      },
    });
    syncPolicy(cronJob, { wave: identity.wave });
  }
}

/** An init container, from the operand image, that waits until the dump's source accepts connections. */
function waitForDatabase(image: string, source: Endpoint): k8s.Container {
  return {
    name: 'wait-for-database',
    image,
    imagePullPolicy: 'IfNotPresent',
    // `sh -c` takes the name of the script ($0) before its arguments.
    command: ['/bin/sh', '-c', WAIT_FOR_POSTGRES, 'wait-for-database', source.host, String(source.port)],
    env: [{ name: 'WAIT_SECONDS', value: String(DUMP_RUNS.databaseWaitSeconds) }],
    resources: {
      requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('16Mi') },
      limits: { memory: k8s.Quantity.fromString('64Mi') },
    },
    securityContext: CONTAINER_SECURITY_CONTEXT,
  };
}
