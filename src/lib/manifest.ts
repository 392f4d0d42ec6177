/**
 * A synthesized manifest: the shape every step after the charts shares. Writing the output
 * (../output.ts) and describing it (../architecture/) both read it, so it lives below both.
 */
export interface Manifest {
  /** Path of its file below the output folder, e.g. `40-deployment-immich-server.yaml`. */
  readonly file: string;
  readonly object: { apiVersion: string; kind: string; metadata: { name: string } } & Record<string, unknown>;
}
