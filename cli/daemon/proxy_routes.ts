/**
 * Where the daemon's proxy sends each connection: a cluster name (in any form a pod could use)
 * or an address this daemon handed out goes through the tunnel to the service's cluster
 * address; everything else is dialed from this machine.
 *
 * @module
 */
import { ClusterNames } from "../../tunnel/dns/mod.ts";
import {
  directRoute,
  ProxyFailure,
  type ProxyRoutes,
  RouteError,
  tunnelRoute,
} from "../../tunnel/proxy/mod.ts";
import type { StreamOpener } from "../../tunnel/tcp_forwarder.ts";
import type { ClusterRoutes } from "./cluster_routes.ts";
import type { LookupResult } from "./manager_client.ts";

/** What {@link clusterProxyRoutes} needs. */
export interface ClusterProxyDeps {
  lookup: (fqdn: string) => Promise<LookupResult>;
  opener: StreamOpener;
  routes: ClusterRoutes;
  defaultNamespace: string;
  isNamespace: (namespace: string) => boolean;
}

/**
 * The routes of the daemon's proxy.
 *
 * @param deps the manager lookup, the tunnel, the daemon's routes and the known namespaces
 * @returns the routes
 */
export function clusterProxyRoutes(deps: ClusterProxyDeps): ProxyRoutes {
  const names = new ClusterNames({
    defaultNamespace: deps.defaultNamespace,
    isNamespace: deps.isNamespace,
  });
  return {
    async route(host, port) {
      const handedOut = deps.routes.clusterTarget(host);
      if (handedOut !== undefined) return tunnelRoute(deps.opener, { host: handedOut, port });
      const name = names.classify(host);
      if (name === undefined || name.kind !== "name") return directRoute(host, port);
      const answer = await deps.lookup(name.fqdn);
      const [address] = answer.addresses;
      if (answer.kind === "none" || address === undefined) {
        // A single label (`printer`) may be the local network's rather than the cluster's.
        if (name.upstreamIfUnknown) return directRoute(host, port);
        throw new RouteError(
          ProxyFailure.HostUnreachable,
          `The cluster has no service "${host}"`,
          `"tpx list" shows the workloads; names are SERVICE.NAMESPACE`,
        );
      }
      return tunnelRoute(deps.opener, { host: address, port });
    },
  };
}
