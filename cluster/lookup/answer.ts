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

/** The fields of a Service the answer needs. */
export interface ServiceFacts {
  clusterIPs: readonly string[];
  /** True for `clusterIP: None`. */
  headless: boolean;
  ports: readonly { name?: string; port: number; protocol?: string }[];
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

const none: LookupAnswer = { kind: "none", addresses: [], ports: [], ttl: MISS_TTL };

/**
 * Answers a fully qualified cluster name: `svc.ns.svc.DOMAIN` (a Service: its cluster IPs,
 * or for a headless one its ready endpoints), `host.svc.ns.svc.DOMAIN` (one pod of a headless
 * Service), `a-b-c-d.ns.pod.DOMAIN` (a pod by address).
 *
 * @param name the name, with or without the trailing dot, any case
 * @param index the Services and endpoints the manager knows
 * @param clusterDomain such as `cluster.local`
 * @returns the answer; `kind: "none"` when there is no such name
 */
export function answerFor(name: string, index: ClusterIndex, clusterDomain: string): LookupAnswer {
  const fqdn = name.toLowerCase().replace(/\.$/, "");
  const suffix = `.${clusterDomain.toLowerCase()}`;
  if (!fqdn.endsWith(suffix)) return none;
  const labels = fqdn.slice(0, -suffix.length).split(".");
  if (labels.length === 3 && labels[2] === "svc") {
    return serviceAnswer(fqdn, labels[1]!, labels[0]!, index);
  }
  if (labels.length === 4 && labels[3] === "svc") {
    return podOfServiceAnswer(fqdn, labels[2]!, labels[1]!, labels[0]!, index);
  }
  if (labels.length === 3 && labels[2] === "pod" && index.hasNamespace(labels[1]!)) {
    const address = labels[0]!.includes("-") ? labels[0]!.replaceAll("-", ".") : "";
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) {
      return { canonical: fqdn, kind: "pod", addresses: [address], ports: [], ttl: SERVICE_TTL };
    }
  }
  return none;
}

function serviceAnswer(
  fqdn: string,
  namespace: string,
  name: string,
  index: ClusterIndex,
): LookupAnswer {
  const service = index.service(namespace, name);
  if (!service) return none;
  const ports = service.ports.map((p) => ({
    ...(p.name ? { name: p.name } : {}),
    port: p.port,
    protocol: p.protocol === "UDP" ? "UDP" as const : "TCP" as const,
  }));
  if (!service.headless) {
    return {
      canonical: fqdn,
      kind: "service",
      addresses: [...service.clusterIPs],
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
    addresses: [...new Set(addresses)],
    ports,
    ttl: MISS_TTL,
  };
}

function podOfServiceAnswer(
  fqdn: string,
  namespace: string,
  service: string,
  hostname: string,
  index: ClusterIndex,
): LookupAnswer {
  const facts = index.service(namespace, service);
  if (!facts?.headless) return none;
  const endpoint = index.endpoints(namespace, service).find((e) => e.hostname === hostname);
  if (!endpoint || endpoint.addresses.length === 0) return none;
  return {
    canonical: fqdn,
    kind: "pod",
    addresses: [...endpoint.addresses],
    ports: [],
    ttl: MISS_TTL,
  };
}
