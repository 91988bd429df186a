/**
 * The cluster's DNS domain, as a pod sees it: kubelet writes `<ns>.svc.<domain>
 * svc.<domain> <domain>` first in every pod's resolv.conf search list.
 *
 * @module
 */

/** The domain of a cluster that says nothing else. */
export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";

/**
 * Reads the cluster domain from a pod's resolv.conf.
 *
 * @param resolvConf the file's text
 * @returns the domain after `svc.` in the first such search entry, or undefined when none
 * @example
 * ```ts
 * clusterDomainFromResolvConf("search shop.svc.cluster.local svc.cluster.local cluster.local\n");
 * // "cluster.local"
 * ```
 */
export function clusterDomainFromResolvConf(resolvConf: string): string | undefined {
  for (const line of resolvConf.split("\n")) {
    const [keyword, ...values] = line.trim().split(/\s+/);
    if (keyword !== "search") continue;
    for (const value of values) {
      const entry = value.toLowerCase().replace(/\.$/, "");
      if (entry.startsWith("svc.") && entry.length > 4) return entry.slice(4);
    }
  }
  return undefined;
}
