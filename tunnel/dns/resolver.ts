/**
 * What the stub asks about cluster names. The daemon implements {@link ClusterResolver} by
 * asking the tpx manager (its `lookupResult` message) and handing out loopback addresses;
 * tests pass a fake.
 *
 * @module
 */

/** A port of a cluster service; `name` makes SRV names such as `_http._tcp.web.shop...`. */
export interface ClusterPort {
  name?: string;
  port: number;
  protocol: "TCP" | "UDP";
}

/** A pod behind a headless service, so SRV can name each one. */
export interface ClusterPod {
  /** The pod's first label, such as `web-0` in `web-0.web.shop.svc.cluster.local`. */
  hostname: string;
  /** Its IPv4 or IPv6 address. */
  address: string;
}

/** What the cluster knows about a name. */
export interface ClusterAnswer {
  /** Addresses for A records: loopback addresses the daemon listens on, or pod IPs. */
  ipv4: readonly string[];
  /** Addresses for AAAA records. */
  ipv6: readonly string[];
  /** The service's ports, for SRV. */
  ports: readonly ClusterPort[];
  /** Seconds the answer may be cached, by the stub and by its clients. */
  ttl: number;
  /** For a headless service: its pods, which SRV answers name one by one. */
  pods?: readonly ClusterPod[];
}

/** Answers names under the cluster domain. */
export interface ClusterResolver {
  /**
   * Looks a name up in the cluster.
   *
   * @param fqdn a lower-case name without trailing dot, such as `web.shop.svc.cluster.local`
   * @param signal aborted when the stub closes; a pending lookup should then give up
   * @returns the answer, or `undefined` when there is no such name (NXDOMAIN)
   */
  resolve(fqdn: string, signal: AbortSignal): Promise<ClusterAnswer | undefined>;
  /**
   * The name behind an address this resolver handed out, for PTR queries.
   *
   * @param address an IPv4 address such as `127.241.0.1`
   * @returns the fqdn, or `undefined` when the address is not ours (the query goes upstream)
   */
  reverse(address: string): string | undefined;
}
