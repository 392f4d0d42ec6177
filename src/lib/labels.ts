import { PART_OF } from '../constants';

/** `app.kubernetes.io/*` labels shared by every object; the chart applies them once. */
export function commonLabels(instance: string): Record<string, string> {
  return {
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': 'immich-k8s',
  };
}

/**
 * Labels that identify one component. Selectors use exactly these, so they never depend on
 * construct paths and stay immutable across refactors.
 */
export function selectorLabels(name: string, instance: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': instance };
}

/** Label naming a component's role (`server`, `database`, ...). */
export const COMPONENT_LABEL = 'app.kubernetes.io/component';

/** Labels for a component's objects and pod template. */
export function componentLabels(name: string, component: string, instance: string): Record<string, string> {
  return { ...selectorLabels(name, instance), [COMPONENT_LABEL]: component };
}
