/**
 * The rootless path into the cluster: a SOCKS5 and HTTP proxy on loopback whose connections
 * the daemon routes through the tunnel or directly, and the environment `tpx run` gives a
 * command so it uses the proxy.
 *
 * @example
 * ```ts
 * import { directRoute, ProxyServer, proxyEnvironment, tunnelRoute } from "./tunnel/proxy/mod.ts";
 *
 * await using proxy = ProxyServer.listen({
 *   port: 0,
 *   logger,
 *   routes: {
 *     route: async (host, port) =>
 *       await isClusterName(host) ? tunnelRoute(session, { host, port }) : directRoute(host, port),
 *   },
 * });
 * const child = new Deno.Command(cmd, { env: proxyEnvironment({ port: proxy.port }) }).spawn();
 * ```
 *
 * @module
 */
export { type ProxyAddress, proxyEnvironment } from "./environment.ts";
export {
  failureOf,
  failureOfReset,
  httpStatusFor,
  ProxyFailure,
  RouteError,
  SocksReply,
  socksReplyFor,
} from "./failures.ts";
export { isLoopback, ProxyServer, type ProxyServerOptions } from "./proxy_server.ts";
export { directRoute, type ProxyRoutes, type Route, tunnelRoute } from "./routes.ts";
