/**
 * What the manager answers when a daemon's stub DNS asks for a cluster name: computed from
 * Services and EndpointSlices (as a watch cache holds them), with the service ports, so the
 * daemon knows which ports to forward.
 *
 * @module
 */
import type { ControlMessage } from "../../tunnel/protocol/mod.ts";

/** The answer to a lookup (the `lookupResult` message without its request id). */
export type LookupAnswer = Omit<ControlMessage<"lookupResult">, "type" | "id">;

/** A port of a Service, as the answer carries it. */
export interface ServicePortFacts {
  name?: string;
  port: number;
  protocol?: string;
}

/** The fields of a Service the answer needs. */
export interface ServiceFacts {
  clusterIPs: readonly string[];
  /** True for `clusterIP: None`. */
  headless: boolean;
  ports: readonly ServicePortFacts[];
  /** The target of a Service of type ExternalName, such as `db.example.org`. */
  externalName?: string;
}

/** One endpoint of a Service, from its EndpointSlices. */
export interface EndpointFacts {
  addresses: readonly string[];
  /** The pod's hostname, set for the pods of a StatefulSet behind a headless Service. */
  hostname?: string;
  ready: boolean;
}

/** Where the answer's facts come from: a cache filled by watches. */
export interface ClusterIndex {
  service(namespace: string, name: string): ServiceFacts | undefined;
  endpoints(namespace: string, service: string): readonly EndpointFacts[];
  /** Whether the namespace exists (and is one the manager serves). */
  hasNamespace(namespace: string): boolean;
}

/** Seconds a daemon may cache an answer about a Service, and a miss. */
export const SERVICE_TTL = 30;
export const MISS_TTL = 5;

/** The most addresses and ports one `lookupResult` may carry (the wire contract's limit). */
export const MAX_ANSWER_ITEMS = 256;

const none: LookupAnswer = { kind: "none", addresses: [], ports: [], ttl: MISS_TTL };

/** A name taken apart: which object of the cluster it stands for. */
type ParsedName =
  | { shape: "service"; fqdn: string; namespace: string; service: string }
  | { shape: "podOfService"; fqdn: string; namespace: string; service: string; hostname: string }
  | { shape: "podAddress"; fqdn: string; namespace: string; address: string };

/**
 * Answers a cluster name: `svc.ns.svc.DOMAIN` (a Service: its cluster IPs, or for a headless
 * one its ready endpoints), `host.svc.ns.svc.DOMAIN` (one pod of a headless Service),
 * `a-b-c-d.ns.pod.DOMAIN` (a pod by address). The daemon's stub sends fully qualified names;
 * `svc.ns` and `svc.ns.svc` are accepted too. An ExternalName Service has no addresses here:
 * see {@link externalNameFor}.
 *
 * @param name the name, with or without the trailing dot, any case
 * @param index the Services and endpoints the manager knows
 * @param clusterDomain such as `cluster.local`
 * @returns the answer; `kind: "none"` when there is no such name
 * @example
 * ```ts
 * answerFor("web.shop.svc.cluster.local", index, "cluster.local");
 * // { canonical: "web.shop.svc.cluster.local", kind: "service", addresses: ["10.96.0.20"], ports: [...], ttl: 30 }
 * ```
 */
export function answerFor(name: string, index: ClusterIndex, clusterDomain: string): LookupAnswer {
  const parsed = parseName(name, clusterDomain);
  switch (parsed?.shape) {
    case "service":
      return serviceAnswer(parsed.fqdn, parsed.namespace, parsed.service, index);
    case "podOfService":
      return podOfServiceAnswer(parsed, index);
    case "podAddress":
      if (!index.hasNamespace(parsed.namespace)) return none;
      return {
        canonical: parsed.fqdn,
        kind: "pod",
        addresses: [parsed.address],
        ports: [],
        ttl: SERVICE_TTL,
      };
    default:
      return none;
  }
}

/** An ExternalName Service, whose addresses are its target's. */
export interface ExternalNameTarget {
  /** The Service's own name, fully qualified. */
  canonical: string;
  /** The name the Service points at, such as `db.example.org`. */
  externalName: string;
  ports: LookupAnswer["ports"];
}

/**
 * The target of an ExternalName Service, which only DNS can turn into addresses.
 *
 * @param name the Service's name, in any form {@link answerFor} accepts
 * @param index the Services the manager knows
 * @param clusterDomain such as `cluster.local`
 * @returns the target and the Service's ports, or undefined for any other name
 */
export function externalNameFor(
  name: string,
  index: ClusterIndex,
  clusterDomain: string,
): ExternalNameTarget | undefined {
  const parsed = parseName(name, clusterDomain);
  if (parsed?.shape !== "service") return undefined;
  const service = index.service(parsed.namespace, parsed.service);
  if (!service?.externalName) return undefined;
  return {
    canonical: parsed.fqdn,
    externalName: service.externalName,
    ports: wirePorts(service.ports),
  };
}

/** Takes a name apart; undefined for a name no object of the cluster has. */
function parseName(name: string, clusterDomain: string): ParsedName | undefined {
  const domain = clusterDomain.toLowerCase().replace(/\.$/, "");
  const lower = name.toLowerCase().replace(/\.$/, "");
  const labels = relativeLabels(lower, domain);
  if (labels === undefined) return undefined;
  const fqdn = [...labels, domain].join(".");
  const [first, second, third, fourth] = labels;
  if (labels.length === 3 && third === "svc") {
    return { shape: "service", fqdn, namespace: second!, service: first! };
  }
  if (labels.length === 4 && fourth === "svc") {
    return { shape: "podOfService", fqdn, namespace: third!, service: second!, hostname: first! };
  }
  if (labels.length === 3 && third === "pod") {
    const address = first!.includes("-") ? first!.replaceAll("-", ".") : "";
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) {
      return { shape: "podAddress", fqdn, namespace: second!, address };
    }
  }
  return undefined;
}

/**
 * The labels before the cluster domain: of a fully qualified name, or of the short forms
 * `svc.ns` and `svc.ns.svc` (completed to a Service's name).
 */
function relativeLabels(lower: string, domain: string): string[] | undefined {
  if (lower.endsWith(`.${domain}`)) return lower.slice(0, -domain.length - 1).split(".");
  const labels = lower.split(".");
  if (labels.length === 2) return [...labels, "svc"];
  if (labels.length === 3 && labels[2] === "svc") return labels;
  return undefined;
}

function wirePorts(ports: readonly ServicePortFacts[]): LookupAnswer["ports"] {
  return ports.slice(0, MAX_ANSWER_ITEMS).map((p) => ({
    ...(p.name ? { name: p.name } : {}),
    port: p.port,
    protocol: p.protocol === "UDP" ? "UDP" as const : "TCP" as const,
  }));
}

function serviceAnswer(
  fqdn: string,
  namespace: string,
  name: string,
  index: ClusterIndex,
): LookupAnswer {
  const service = index.service(namespace, name);
  if (!service || service.externalName) return none;
  const ports = wirePorts(service.ports);
  if (!service.headless) {
    if (service.clusterIPs.length === 0) return none;
    return {
      canonical: fqdn,
      kind: "service",
      addresses: service.clusterIPs.slice(0, MAX_ANSWER_ITEMS),
      ports,
      ttl: SERVICE_TTL,
    };
  }
  const addresses = index.endpoints(namespace, name)
    .filter((e) => e.ready)
    .flatMap((e) => e.addresses);
  return {
    canonical: fqdn,
    kind: "headless",
    addresses: [...new Set(addresses)].slice(0, MAX_ANSWER_ITEMS),
    ports,
    ttl: MISS_TTL,
  };
}

function podOfServiceAnswer(
  parsed: Extract<ParsedName, { shape: "podOfService" }>,
  index: ClusterIndex,
): LookupAnswer {
  const { fqdn, namespace, service, hostname } = parsed;
  const facts = index.service(namespace, service);
  if (!facts?.headless) return none;
  const endpoint = index.endpoints(namespace, service).find((e) => e.hostname === hostname);
  if (!endpoint || endpoint.addresses.length === 0) return none;
  return {
    canonical: fqdn,
    kind: "pod",
    addresses: endpoint.addresses.slice(0, MAX_ANSWER_ITEMS),
    ports: [],
    ttl: MISS_TTL,
  };
}
