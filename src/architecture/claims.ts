/** Every volume claim of the objects, with its spec, where it comes from and who mounts it. */
import { CLOUDNATIVE_PG } from '../constants';
import { type ClaimSpec, type CnpgCluster, type Replication, type StatefulSet, ofKind } from '../lib/kube-json';
import { code } from '../lib/markdown';
import { type Model, type Workload, containersOf } from './model';

/** A workload that mounts a claim. */
interface ClaimUser {
  readonly workload: Workload;
  /** How it uses the claim: `immich-server at /data (read-write)`. */
  readonly how: string;
  /** Where a container mounts it; unset for a VolSync mover or an operator's pod. */
  readonly mountPath?: string;
}

/** A volume claim, whether an object of the manifests or one a controller creates. */
export interface Claim {
  readonly name: string;
  /** What creates it, unless it is a PersistentVolumeClaim of the manifests. */
  readonly origin?: string;
  /** Unset for a claim the pods mount but the manifests do not hold. */
  readonly spec?: ClaimSpec;
  readonly users: readonly ClaimUser[];
}

/** Every claim: PVC objects, StatefulSet claim templates and CloudNativePG instance volumes. */
export function readClaims(model: Model): Claim[] {
  const claims: Claim[] = [];
  const usersOf = (name: string): ClaimUser[] =>
    model.workloads.flatMap((w) => {
      const spec = w.template?.spec;
      const volumes = (spec?.volumes ?? []).filter((v) => v.persistentVolumeClaim?.claimName === name);
      const mounts = containersOf(spec).flatMap(({ container }) =>
        (container.volumeMounts ?? [])
          .filter((m) => volumes.some((v) => v.name === m.name))
          .map((m) => {
            const readOnly = m.readOnly || volumes.find((v) => v.name === m.name)?.persistentVolumeClaim?.readOnly;
            return {
              workload: w,
              how: `${code(w.name)} (${container.name}) at ${code(m.mountPath)}, ${readOnly ? 'read-only' : 'read-write'}`,
              mountPath: m.mountPath,
            };
          }),
      );
      const mover = w.object as Replication;
      const moved =
        w.kind === 'ReplicationSource' && mover.spec.sourcePVC === name
          ? [
              {
                workload: w,
                how: `VolSync ${code(w.name)} reads it (${mover.spec.restic?.copyMethod ?? 'Direct'} copy)`,
              },
            ]
          : w.kind === 'ReplicationDestination' && mover.spec.restic?.destinationPVC === name
            ? [
                {
                  workload: w,
                  how: `VolSync ${code(w.name)} restores into it (${mover.spec.restic.copyMethod ?? 'Direct'})`,
                },
              ]
            : [];
      return [...mounts, ...moved];
    });
  for (const pvc of ofKind(model.objects, 'PersistentVolumeClaim')) {
    claims.push({
      name: pvc.metadata.name,
      spec: pvc.spec,
      users: usersOf(pvc.metadata.name),
    });
  }
  for (const w of model.workloads) {
    if (w.kind === 'StatefulSet') {
      const sts = w.object as StatefulSet;
      for (const template of sts.spec.volumeClaimTemplates ?? []) {
        const mounts = containersOf(w.template?.spec).flatMap(({ container }) =>
          (container.volumeMounts ?? [])
            .filter((m) => m.name === template.metadata.name)
            .map((m) => ({ container, m })),
        );
        claimNames(sts, template.metadata.name).forEach((name, ordinal) => {
          claims.push({
            name,
            origin: `from claim template ${code(template.metadata.name)} of StatefulSet ${code(w.name)}`,
            spec: template.spec,
            users: mounts.map(({ container, m }) => ({
              workload: w,
              how: `${code(`${w.name}-${ordinal}`)} (${container.name}) at ${code(m.mountPath)}, ${m.readOnly ? 'read-only' : 'read-write'}`,
            })),
          });
        });
      }
    }
    if (w.kind === 'Cluster') {
      const { spec } = w.object as CnpgCluster;
      const volumeSpec = (storage: NonNullable<CnpgCluster['spec']['storage']>): ClaimSpec => ({
        accessModes: storage.pvcTemplate?.accessModes ?? [CLOUDNATIVE_PG.defaultAccessMode],
        resources: { requests: storage.size ? { storage: storage.size } : {} },
        ...((storage.storageClass ?? storage.pvcTemplate?.storageClassName)
          ? { storageClassName: storage.storageClass ?? storage.pvcTemplate?.storageClassName }
          : {}),
      });
      for (let instance = 1; instance <= w.replicas; instance++) {
        const pod = `${w.name}-${instance}`;
        const origin = `created by the CloudNativePG operator for Cluster ${code(w.name)}`;
        if (spec.storage) {
          claims.push({
            name: pod,
            origin,
            spec: volumeSpec(spec.storage),
            users: [{ workload: w, how: `Cluster ${code(w.name)} instance ${instance}, data` }],
          });
        }
        if (spec.walStorage) {
          claims.push({
            name: `${pod}-wal`,
            origin,
            spec: volumeSpec(spec.walStorage),
            users: [{ workload: w, how: `Cluster ${code(w.name)} instance ${instance}, WAL` }],
          });
        }
      }
    }
  }
  // Claims the pods mount that someone else creates, such as a photo library of the user's.
  const known = new Set(claims.map((c) => c.name));
  const mounted = model.workloads.flatMap((w) =>
    (w.template?.spec?.volumes ?? []).flatMap((v) =>
      v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : [],
    ),
  );
  for (const name of new Set(mounted)) {
    if (!known.has(name)) claims.push({ name, origin: 'created outside these manifests', users: usersOf(name) });
  }
  return claims;
}

/** Claims of a StatefulSet's template: `<template>-<statefulset>-<ordinal>`, one per pod. */
export function claimNames(sts: StatefulSet, template: string): string[] {
  const pods = Math.max(1, sts.spec.replicas ?? 1);
  return Array.from({ length: pods }, (_, ordinal) => `${template}-${sts.metadata.name}-${ordinal}`);
}
