import { Construct } from 'constructs';
import { type k8s } from 'cdk8s-plus-28';
import type { LibraryConfig, Resources, VolumeConfig } from '../config';
import type { ConfigFileSource } from './secrets';
import { HEALTH_PATHS, IMAGES, IMMICH_CONFIG_KEY, NAMES, PATHS, PORTS, SERVER_UID } from '../constants';
import {
  CONTAINER_SECURITY_CONTEXT,
  type DatabaseConnection,
  type Endpoint,
  httpProbe,
  httpUrl,
  resourceRequirements,
  scratchVolume,
} from '../lib/pod';
import { SYNC_WAVES } from '../lib/argocd';
import { componentIdentity, componentService, persistentClaim, singletonDeployment } from '../lib/workload';

export interface ImmichServerProps {
  /** Label `app.kubernetes.io/instance`. */
  readonly instance: string;
  /** Immich release, e.g. `v3.3.1`. */
  readonly version: string;
  /** `TZ` of the container. */
  readonly timezone: string;
  /** `IMMICH_LOG_LEVEL`. */
  readonly logLevel: string;
  /** The database and the `DB_*` variables that reach it. */
  readonly database: DatabaseConnection;
  readonly valkey: Endpoint;
  readonly machineLearning: Endpoint;
  /** Secret or ConfigMap holding the system config file under `immich-config.json`. */
  readonly configFile: ConfigFileSource;
  /** Hash of the config file; a change rolls the pod because Immich reads it only at start. */
  readonly configChecksum: string;
  /** Upload volume mounted at /data. */
  readonly storage: VolumeConfig;
  /** External photo library, mounted read-only. */
  readonly library: LibraryConfig;
  readonly resources: Resources;
  /** Scale to zero while a database import or a volume restore runs, so that nothing writes meanwhile. @default false */
  readonly stopped?: boolean;
}

/**
 * The Immich server (API, web UI and background jobs) with its upload volume.
 * @see https://immich.app/docs/install/environment-variables
 */
export class ImmichServer extends Construct {
  /** Where the ingress reaches the server. */
  readonly endpoint: Endpoint;
  /** Argo CD sync wave of the server and its upload volume. */
  readonly wave: number = SYNC_WAVES.server;

  constructor(scope: Construct, id: string, props: ImmichServerProps) {
    super(scope, id);
    const identity = componentIdentity(NAMES.server, 'server', props.instance, this.wave);
    const library = libraryVolume(props.library);

    persistentClaim(this, 'data', identity, NAMES.dataPvc, props.storage);
    componentService(this, 'service', identity, { name: 'http', port: PORTS.server });

    singletonDeployment(this, identity, {
      stopped: props.stopped,
      uid: SERVER_UID,
      // Immich reads its config file only at start: a changed file must roll the pod.
      annotations: { 'checksum/immich-config': props.configChecksum },
      containers: [
        {
          name: 'server',
          image: `${IMAGES.server}:${props.version}`,
          imagePullPolicy: 'IfNotPresent',
          ports: [{ name: 'http', containerPort: PORTS.server }],
          env: [
            ...props.database.env,
            { name: 'REDIS_HOSTNAME', value: props.valkey.host },
            { name: 'REDIS_PORT', value: String(props.valkey.port) },
            { name: 'IMMICH_MACHINE_LEARNING_URL', value: httpUrl(props.machineLearning) },
            // Without it the server guesses between /data and the pre-v1.136 /usr/src/app/upload.
            { name: 'IMMICH_MEDIA_LOCATION', value: PATHS.serverData },
            { name: 'IMMICH_CONFIG_FILE', value: `${PATHS.serverConfigDir}/${IMMICH_CONFIG_KEY}` },
            { name: 'IMMICH_LOG_LEVEL', value: props.logLevel },
            { name: 'TZ', value: props.timezone },
          ],
          resources: resourceRequirements(props.resources),
          securityContext: CONTAINER_SECURITY_CONTEXT,
          // Database migrations of a large library run before the API answers.
          startupProbe: httpProbe(HEALTH_PATHS.server, PORTS.server, { periodSeconds: 10, failureThreshold: 90 }),
          readinessProbe: httpProbe(HEALTH_PATHS.server, PORTS.server, {
            periodSeconds: 10,
            failureThreshold: 3,
          }),
          livenessProbe: httpProbe(HEALTH_PATHS.server, PORTS.server, { periodSeconds: 10, failureThreshold: 5 }),
          volumeMounts: [
            { name: 'data', mountPath: PATHS.serverData },
            { name: 'config', mountPath: PATHS.serverConfigDir, readOnly: true },
            { name: 'tmp', mountPath: '/tmp' },
            ...(library ? [{ name: library.name, mountPath: PATHS.photoLibrary, readOnly: true }] : []),
          ],
        },
      ],
      volumes: [
        { name: 'data', persistentVolumeClaim: { claimName: NAMES.dataPvc } },
        configVolume(props.configFile),
        scratchVolume('tmp', '1Gi'),
        ...(library ? [library] : []),
      ],
    });

    this.endpoint = { host: identity.name, port: PORTS.server, pods: identity.selector };
  }
}

/** The config file volume; only its one key is projected. */
function configVolume(source: ConfigFileSource): k8s.Volume {
  const items = [{ key: IMMICH_CONFIG_KEY, path: IMMICH_CONFIG_KEY }];
  return source.kind === 'Secret'
    ? { name: 'config', secret: { secretName: source.name, items } }
    : { name: 'config', configMap: { name: source.name, items } };
}

/** The pod volume for the configured photo library source, read-only wherever the source allows. */
function libraryVolume(library: LibraryConfig): k8s.Volume | undefined {
  const name = 'library';
  switch (library.source) {
    case 'none':
      return undefined;
    case 'pvc':
      return { name, persistentVolumeClaim: { claimName: library.claimName, readOnly: true } };
    case 'nfs':
      return { name, nfs: { server: library.server, path: library.path, readOnly: true } };
    case 'hostPath':
      return { name, hostPath: { path: library.path, type: 'Directory' } };
  }
}
