// What the app takes from cdk8s-plus-28: its generated Kubernetes classes, without the
// higher-level constructs its index also loads. The bundle does the same (scripts/build.cjs).
export * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
