import { Construct } from 'constructs';
import { Application } from '../../imports/argoproj.io';
import type { Config } from '../config';

export interface ArgoCdApplicationProps {
  /** `argocd` of the configuration: where the Application lives and what it reads. */
  readonly argocd: Config['argocd'];
  /** Namespace the app's manifests go to. */
  readonly destinationNamespace: string;
}

/**
 * The Argo CD Application that syncs the rendered app manifests from Git. It reads only the top
 * level of `path`, so this Application (in `argocd/` below it) never manages itself.
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/auto_sync/
 */
export class ArgoCdApplication extends Construct {
  constructor(scope: Construct, id: string, props: ArgoCdApplicationProps) {
    super(scope, id);
    const { argocd } = props;
    if (!argocd.repoURL) throw new Error('the Argo CD Application needs a repoURL');
    new Application(this, 'application', {
      metadata: { name: argocd.name, namespace: argocd.namespace },
      spec: {
        project: argocd.project,
        source: {
          repoUrl: argocd.repoURL,
          targetRevision: argocd.targetRevision,
          path: argocd.path,
          directory: { recurse: false },
        },
        destination: { server: argocd.server, namespace: props.destinationNamespace },
        syncPolicy: {
          // Prune removes objects dropped from the manifests; those holding data opt out by annotation.
          automated: { prune: true, selfHeal: true },
          syncOptions: ['ServerSideApply=true', 'CreateNamespace=true'],
          retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
        },
      },
    });
  }
}
