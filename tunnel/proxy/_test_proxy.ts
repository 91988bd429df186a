/**
 * Fixtures of the proxy's socket tests: a proxy whose cluster names (`*.shop`) go through a
 * real tunnel (two sessions over loopback, the far one dialing with {@link Outbound}), with
 * destinations that fail in each way a client must be told about.
 *
 * @module
 */
import { readAll, tcpEchoServer, tunnelFixture } from "../_test_tunnel.ts";
import { FakeClock } from "../clock.ts";
import { SessionClosedError } from "../stream_errors.ts";
import { ProxyFailure, RouteError } from "./failures.ts";
import { ProxyServer, type ProxyServerOptions } from "./proxy_server.ts";
import { directRoute, type ProxyRoutes, tunnelRoute } from "./routes.ts";

/** Everything a proxy test needs; dispose it to close all. */
export interface ProxyFixture extends AsyncDisposable {
  proxy: ProxyServer;
  clock: FakeClock;
  /** The loopback echo server that `echo.shop` reaches through the tunnel. */
  echoPort: number;
  /** Hosts whose `route()` call is pending and never settles by itself. */
  hanging: string[];
  /** Every `host:port` the proxy was asked to route, in order. */
  routed: string[];
}

/**
 * Starts a tunnel, an echo server and a proxy.
 *
 * `echo.shop` → the echo server through the tunnel; `web.shop` → `webPort` through the tunnel;
 * `closed.shop` → a closed port (refused far away); `forbidden.shop` → refused by the far side's
 * policy; `slow.shop` → the far dial times out; `void.shop` → the far dial fails (unreachable);
 * `missing.shop` → no such cluster name; `down.shop` → the tunnel is closed; `hang.shop` → the
 * route never settles; anything else is dialed directly.
 */
export async function proxyFixture(
  options: Partial<ProxyServerOptions> & { webPort?: number } = {},
): Promise<ProxyFixture> {
  const tunnel = await tunnelFixture({
    vet: (d) => d.host === "forbidden.test" ? "not in this namespace" : undefined,
    connect: (o) => {
      if (o.hostname === "slow.test") return Promise.reject(new Deno.errors.TimedOut("slow"));
      if (o.hostname === "void.test") return Promise.reject(new Error("no route to host"));
      return Deno.connect(o);
    },
  });
  const echo = tcpEchoServer();
  const closedPort = freePort();
  const clock = new FakeClock();
  const hanging: string[] = [];
  const routed: string[] = [];
  const through = (host: string, port: number) => tunnelRoute(tunnel.near, { host, port });
  const routes: ProxyRoutes = {
    route(host, port, signal) {
      routed.push(`${host}:${port}`);
      switch (host) {
        case "echo.shop":
          return Promise.resolve(through("127.0.0.1", echo.port));
        case "web.shop":
          return Promise.resolve(through("127.0.0.1", options.webPort ?? 0));
        case "closed.shop":
          return Promise.resolve(through("127.0.0.1", closedPort));
        case "forbidden.shop":
          return Promise.resolve(through("forbidden.test", port));
        case "slow.shop":
          return Promise.resolve(through("slow.test", port));
        case "void.shop":
          return Promise.resolve(through("void.test", port));
        case "missing.shop":
          return Promise.reject(
            new RouteError(ProxyFailure.HostUnreachable, `No service "${host}" in the cluster`),
          );
        case "down.shop":
          return Promise.resolve({
            via: "tunnel",
            open: () => Promise.reject(new SessionClosedError("connection lost")),
          });
        case "hang.shop":
          hanging.push(host);
          return new Promise((_, reject) => {
            signal.addEventListener("abort", () => reject(signal.reason), { once: true });
          });
        default:
          return Promise.resolve(directRoute(host, port));
      }
    },
  };
  const proxy = ProxyServer.listen({ port: 0, routes, logger: tunnel.logger, clock, ...options });
  return {
    proxy,
    clock,
    echoPort: echo.port,
    hanging,
    routed,
    async [Symbol.asyncDispose]() {
      await proxy.close();
      await echo[Symbol.asyncDispose]();
      await tunnel[Symbol.asyncDispose]();
    },
  };
}

/** A port nothing listens on. */
export function freePort(): number {
  using probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return probe.addr.port;
}

/** Writes all of `bytes`. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/** Reads exactly `n` bytes, or fewer if the connection ends first. */
export async function readN(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const read = await conn.read(out.subarray(got));
    if (read === null) return out.subarray(0, got);
    got += read;
  }
  return out;
}

/** Reads until the end, treating a reset as the end: what a closed proxy connection gives. */
export async function readToEnd(conn: Deno.Conn): Promise<Uint8Array> {
  try {
    return await readAll(conn);
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionReset) return new Uint8Array();
    throw error;
  }
}

/** Waits (yielding to the event loop) until `condition` holds. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  throw new Error(`gave up waiting until ${what}`);
}
