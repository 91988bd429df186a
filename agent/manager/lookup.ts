/**
 * Name resolution for daemons' stub DNS. In a cluster the manager answers from its watch
 * index (Services with their ports, headless Services' endpoints, StatefulSet pods); without
 * Kubernetes (the loopback tests) it answers from the DNS of the host it runs on.
 *
 * @module
 */
import {
  answerFor,
  type ClusterIndex,
  externalNameFor,
  type LookupAnswer,
  MISS_TTL,
} from "../../cluster/lookup/answer.ts";

export type { LookupAnswer };

/** Resolves a cluster name for a daemon. */
export type NameLookup = (name: string) => Promise<LookupAnswer>;

/** No such name. */
export const notFound: LookupAnswer = { kind: "none", addresses: [], ports: [], ttl: MISS_TTL };

/**
 * Resolves with the DNS of the pod the manager runs in (CoreDNS in a cluster). It knows no
 * ports, so the daemon forwards only the ports it is asked for.
 *
 * @param name the name
 * @returns its addresses
 */
export async function lookupWithDns(name: string): Promise<LookupAnswer> {
  const [v4, v6] = await Promise.all([
    Deno.resolveDns(name, "A").catch(() => [] as string[]),
    Deno.resolveDns(name, "AAAA").catch(() => [] as string[]),
  ]);
  const addresses = [...v4, ...v6];
  if (addresses.length === 0) return notFound;
  return { canonical: name, kind: "service", addresses, ports: [], ttl: 30 };
}

/** Options of {@link indexLookup}. */
export interface IndexLookupOptions {
  /** The Services, endpoints and namespaces, as the watches hold them. */
  index: ClusterIndex;
  /** Such as `cluster.local`. */
  clusterDomain: string;
  /** Resolves the target of an ExternalName Service; {@link lookupWithDns} by default. */
  resolveExternal?: NameLookup;
}

/**
 * Answers from the index alone. A name outside the cluster domain is not resolved with the
 * pod's DNS: the daemon's stub sends only cluster names, and answering others here would hand
 * the workstation the cluster's view of public names, without ports. The one exception is the
 * target of an ExternalName Service, which only DNS can resolve; the answer keeps the
 * Service's own name and ports.
 *
 * @param options the index, the cluster domain and the resolver for ExternalName targets
 * @returns the lookup
 * @example
 * ```ts
 * const lookup = indexLookup({ index, clusterDomain: "cluster.local" });
 * await lookup("web.shop.svc.cluster.local"); // { kind: "service", addresses: [...], ports: [...] }
 * ```
 */
export function indexLookup(options: IndexLookupOptions): NameLookup {
  const { index, clusterDomain } = options;
  const resolveExternal = options.resolveExternal ?? lookupWithDns;
  return async (name) => {
    const external = externalNameFor(name, index, clusterDomain);
    if (external === undefined) return answerFor(name, index, clusterDomain);
    const resolved = await resolveExternal(external.externalName);
    if (resolved.kind === "none") return notFound;
    return {
      canonical: external.canonical,
      kind: "service",
      addresses: resolved.addresses,
      ports: external.ports,
      ttl: resolved.ttl,
    };
  };
}
