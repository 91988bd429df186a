/**
 * The environment `tpx run -- CMD` gives its command so that the command's connections go
 * through the proxy. Each variable is set in both spellings because programs disagree: curl
 * reads only the lowercase `http_proxy` (the uppercase one is ignored since "httpoxy", where a
 * CGI request header `Proxy:` became `HTTP_PROXY`), while Go, Python and many others read the
 * uppercase names first.
 *
 * @module
 */
import { joinHostPort } from "../net_errors.ts";

/** Where the proxy listens. */
export interface ProxyAddress {
  /** Default `127.0.0.1`. */
  hostname?: string;
  port: number;
  /** The `NO_PROXY` the user already had; its entries are kept after tpx's own. */
  noProxy?: string;
}

/** Hosts that never go through the proxy: the machine itself, including the proxy. */
const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"];

/**
 * The variables that point a child process at the proxy.
 *
 * - `ALL_PROXY`: `socks5h://` — SOCKS5 with names resolved by the proxy (the `h`), so a cluster
 *   name like `web.shop` reaches the daemon's resolver instead of failing in the child's own.
 *   curl, git and many CLIs use it for every protocol without a more specific variable.
 * - `HTTP_PROXY`: `http://` — plain-HTTP URLs are sent to the proxy in absolute form; the
 *   programs that read it (Go, Python, Node agents) do not all speak SOCKS, and the proxy
 *   also sees the host name this way.
 * - `HTTPS_PROXY`: `http://` too — HTTPS goes through `CONNECT host:443`, end to end encrypted;
 *   the URL scheme is the proxy's, not the target's.
 * - `NO_PROXY`: loopback stays local — a local dev server must not be reached through the
 *   tunnel, and the proxy must not be asked to connect to itself.
 *
 * @param address where the proxy listens
 * @returns the variables, each in upper and lower case
 * @example
 * ```ts
 * const env = proxyEnvironment({ port: 1080 });
 * env.ALL_PROXY; // "socks5h://127.0.0.1:1080"
 * ```
 */
export function proxyEnvironment(address: ProxyAddress): Record<string, string> {
  const authority = joinHostPort(address.hostname ?? "127.0.0.1", address.port);
  const socks = `socks5h://${authority}`;
  const http = `http://${authority}`;
  const noProxy = mergeNoProxy(address.noProxy ?? "");
  return {
    ALL_PROXY: socks,
    all_proxy: socks,
    HTTP_PROXY: http,
    http_proxy: http,
    HTTPS_PROXY: http,
    https_proxy: http,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
  };
}

function mergeNoProxy(existing: string): string {
  const entries = [...LOOPBACK_NAMES];
  for (const entry of existing.split(",").map((e) => e.trim())) {
    if (entry !== "" && !entries.includes(entry)) entries.push(entry);
  }
  return entries.join(",");
}
