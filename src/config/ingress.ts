/** How the public host reaches the server: a Traefik IngressRoute, a Gateway API HTTPRoute or an Ingress. */
import * as v from 'valibot';
import {
  type DeepPartial,
  DNS_SUBDOMAIN,
  LABEL_KEY,
  bool,
  dnsLabel,
  dnsSubdomain,
  oneOf,
  section,
  strict,
  text,
} from './primitives';

/** Kinds of route; see `ingress.kind`. */
export const ROUTE_KINDS = ['ingressroute', 'httproute', 'ingress'] as const;

/** A Gateway API Duration (GEP-2257), with the pattern of the HTTPRoute CRD: `0s`, `30m`, `1h30m`. */
export const GATEWAY_DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;

/** Annotations the manifests set themselves, for Argo CD. */
const RESERVED_ANNOTATION_PREFIX = 'argocd.argoproj.io/';

/** Annotations: qualified names, each with a string (YAML reads `0` and `true` as other types). */
const annotations = v.record(
  text(LABEL_KEY, 'must be an annotation key like "nginx.ingress.kubernetes.io/proxy-body-size"'),
  v.string('must be a string; quote numbers and booleans, like "0" or "true"'),
  'must be a mapping of annotations like { nginx.ingress.kubernetes.io/proxy-body-size: "0" }',
);

export const ingressSection = section({
  /**
   * `ingressroute`: a Traefik IngressRoute (`traefik.io/v1alpha1`). `httproute`: a Gateway API
   * HTTPRoute attached to `gateway`, which owns TLS. `ingress`: a `networking.k8s.io/v1` Ingress
   * for any other controller. @default "ingressroute"
   */
  kind: v.optional(oneOf(ROUTE_KINDS), 'ingressroute'),
  /**
   * Traefik entry points (ingressroute). Traefik v3 cuts request bodies after its entry point's
   * `readTimeout` (60 s by default), so large uploads need a raised timeout or an entry point of
   * their own. @default ["websecure"]
   */
  entryPoints: v.optional(
    v.pipe(
      v.array(text(/^[A-Za-z0-9_-]+$/, 'must be an entry point name like "websecure"'), 'must be a list'),
      v.minLength(1, 'must name at least one entry point'),
    ),
  ),
  /** The entry points' `respondingTimeouts.readTimeout` is raised for large uploads: no warning (ingressroute). @default false */
  readTimeoutRaised: v.optional(bool()),
  /**
   * TLS: by Traefik cert resolver or existing Secret (ingressroute), by existing Secret (ingress);
   * `{}` means no TLS section. A Gateway terminates TLS itself (httproute).
   * @default { certResolver: "letsencrypt" } with ingressroute, none with ingress
   */
  tls: v.optional(
    v.pipe(
      strict({
        /** Traefik certificate resolver that obtains the certificate (ingressroute only). */
        certResolver: v.optional(v.pipe(v.string('must be a string'), v.nonEmpty('must not be empty'))),
        /** Secret of type `kubernetes.io/tls` holding the certificate, in the namespace. */
        secretName: v.optional(dnsSubdomain('immich-tls')),
      }),
      v.check((tls) => !(tls.certResolver && tls.secretName), 'set certResolver or secretName, not both'),
    ),
  ),
  /** The Gateway the HTTPRoute attaches to (httproute). */
  gateway: v.optional(
    strict({
      /** Name of the Gateway. Required with httproute. */
      name: v.optional(dnsSubdomain('public-gateway')),
      /** Its namespace. @default the route's namespace */
      namespace: v.optional(dnsLabel('gateway')),
      /** One listener of it, e.g. `https`. @default every listener that admits the route */
      sectionName: v.optional(text(DNS_SUBDOMAIN, 'must be a listener name like "https"')),
    }),
  ),
  /**
   * `timeouts.request` of the HTTPRoute (httproute): a Gateway API duration; `0s` disables the
   * timeout on gateways that honour it, so that long uploads and downloads are not cut. @default "0s"
   */
  requestTimeout: v.optional(text(GATEWAY_DURATION, 'must be a Gateway API duration like "0s", "30m" or "1h30m"')),
  /** `ingressClassName` of the Ingress (ingress). @default the cluster's default IngressClass */
  className: v.optional(dnsSubdomain('nginx')),
  /** Annotations of the Ingress for its controller, e.g. upload limits (ingress). @default {} */
  annotations: v.optional(annotations),
});

/** What the `ingress` section parsed into, before the kind's defaults. */
type IngressInput = DeepPartial<v.InferOutput<typeof ingressSection>>;

/** The route, resolved for its kind: only the keys that kind uses, with their defaults. */
export type RouteConfig =
  | {
      readonly kind: 'ingressroute';
      readonly entryPoints: readonly string[];
      readonly readTimeoutRaised: boolean;
      readonly tls: { readonly certResolver?: string; readonly secretName?: string };
    }
  | {
      readonly kind: 'httproute';
      readonly gateway: { readonly name: string; readonly namespace?: string; readonly sectionName?: string };
      readonly requestTimeout: string;
    }
  | {
      readonly kind: 'ingress';
      readonly className?: string;
      readonly tls: { readonly secretName?: string };
      readonly annotations: Readonly<Record<string, string>>;
    };

/** Keys that not every kind uses, with the kinds that do. */
const KIND_OF_KEY: Record<string, readonly (typeof ROUTE_KINDS)[number][]> = {
  entryPoints: ['ingressroute'],
  readTimeoutRaised: ['ingressroute'],
  tls: ['ingressroute', 'ingress'],
  gateway: ['httproute'],
  requestTimeout: ['httproute'],
  className: ['ingress'],
  annotations: ['ingress'],
};

/** What to do instead of a key the chosen kind does not use. */
const INSTEAD: Record<string, Partial<Record<(typeof ROUTE_KINDS)[number], string>>> = {
  tls: {
    httproute:
      'TLS belongs to the Gateway: put the certificate on its HTTPS listener (tls.certificateRefs) and remove ingress.tls',
  },
  entryPoints: {
    httproute:
      "the Gateway's listeners decide where traffic enters: pick one with ingress.gateway.sectionName and remove ingress.entryPoints",
  },
};

/** Keys set for another kind, a missing Gateway, and TLS the kind cannot express. */
export function routeProblems(input: IngressInput | undefined): string[] {
  const kind = input?.kind ?? 'ingressroute';
  // An unknown kind is reported by the schema; which keys it takes is then unknown.
  if (!input || !ROUTE_KINDS.includes(kind)) return [];
  const problems: string[] = [];
  for (const [key, kinds] of Object.entries(KIND_OF_KEY)) {
    const value = input[key as keyof IngressInput];
    if (value === undefined || kinds.includes(kind)) continue;
    const instead =
      INSTEAD[key]?.[kind] ??
      `it is used with ingress.kind ${kinds.map((k) => `"${k}"`).join(' or ')} only; remove it or change the kind`;
    problems.push(`ingress.${key}: not used with ingress.kind "${kind}": ${instead}, got ${JSON.stringify(value)}`);
  }
  if (kind === 'httproute' && !input.gateway?.name) {
    problems.push(
      'ingress.gateway.name: required with ingress.kind "httproute": the Gateway the route attaches to, like "public-gateway" (and ingress.gateway.namespace when it is in another namespace), got nothing',
    );
  }
  if (kind === 'ingress' && input.tls?.certResolver !== undefined) {
    problems.push(
      `ingress.tls.certResolver: a Traefik IngressRoute setting, not used with ingress.kind "ingress": name the certificate's Secret in ingress.tls.secretName (cert-manager can fill it, through ingress.annotations), got "${input.tls.certResolver}"`,
    );
  }
  for (const key of Object.keys(input.annotations ?? {}).filter((k) => k.startsWith(RESERVED_ANNOTATION_PREFIX))) {
    problems.push(
      `ingress.annotations.${key}: set by the manifests themselves for Argo CD; remove it, got "${input.annotations?.[key]}"`,
    );
  }
  return problems;
}

/** The route of a valid `ingress` section, with the defaults of its kind. */
export function resolveRoute(input: v.InferOutput<typeof ingressSection>): RouteConfig {
  switch (input.kind) {
    case 'ingressroute':
      return {
        kind: input.kind,
        entryPoints: input.entryPoints ?? ['websecure'],
        readTimeoutRaised: input.readTimeoutRaised ?? false,
        tls: input.tls ?? { certResolver: 'letsencrypt' },
      };
    case 'httproute': {
      const { name, namespace, sectionName } = input.gateway ?? {};
      if (!name) throw new Error('ingress.gateway.name should have been required');
      return {
        kind: input.kind,
        gateway: { name, ...(namespace ? { namespace } : {}), ...(sectionName ? { sectionName } : {}) },
        requestTimeout: input.requestTimeout ?? '0s',
      };
    }
    case 'ingress':
      return {
        kind: input.kind,
        ...(input.className ? { className: input.className } : {}),
        tls: input.tls?.secretName ? { secretName: input.tls.secretName } : {},
        annotations: input.annotations ?? {},
      };
  }
}
