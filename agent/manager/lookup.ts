/**
 * Name resolution for daemons' stub DNS. The Kubernetes-aware resolver (services, headless
 * pods, ports) plugs in here; without it, the manager answers from the cluster's DNS.
 *
 * @module
 */
import { type LookupAnswer, MISS_TTL } from "../../cluster/lookup/answer.ts";

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
