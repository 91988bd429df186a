/**
 * The stub DNS server of the tpx daemon: cluster names (`web`, `web.shop`, `web.shop.svc`,
 * `web.shop.svc.cluster.local`, headless pod names, SRV names) answered by a
 * {@link ClusterResolver}, every other name forwarded to the resolvers the machine had.
 *
 * @example
 * ```ts
 * import { LoopbackPool, loadSystemNameServers, startDnsStub } from "./mod.ts";
 * const pool = new LoopbackPool();
 * await using stub = startDnsStub({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   resolver: {
 *     resolve: (fqdn) => Promise.resolve({ ipv4: [pool.address(fqdn)], ipv6: [], ports: [], ttl: 30 }),
 *     reverse: (address) => pool.reverse(address),
 *   },
 *   upstreams: await loadSystemNameServers(),
 *   isNamespace: (ns) => ns === "default",
 *   logger,
 * });
 * ```
 *
 * @module
 */
export { DEFAULT_LOOPBACK_RANGE, LoopbackPool } from "./loopback_pool.ts";
export { ClusterNames, type ClusterNamesOptions } from "./names.ts";
export { loadSystemNameServers, type NameServer, parseResolvConf } from "./resolv_conf.ts";
export type { ClusterAnswer, ClusterPod, ClusterPort, ClusterResolver } from "./resolver.ts";
export { type DnsStub, type DnsStubOptions, startDnsStub } from "./server.ts";
export { DnsClient } from "./client.ts";
export { type ExchangeOptions, exchangeTcp, exchangeUdp } from "./transport.ts";
