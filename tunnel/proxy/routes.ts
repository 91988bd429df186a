/**
 * How the daemon tells the proxy where a connection goes — through the tunnel, or straight
 * from the workstation — and the dialing of either, with a deadline.
 *
 * @module
 */
import { type Clock, systemClock, type TimerId } from "../clock.ts";
import type { Logger } from "../log.ts";
import { DialTimeoutError, joinHostPort } from "../net_errors.ts";
import { ResetCode, Transport } from "../protocol/mod.ts";
import { pipe } from "../pipe.ts";
import { closeQuietly, type DuplexConn, relay } from "../relay.ts";
import type { Stream } from "../stream.ts";
import { type ForwardTarget, openTarget, type StreamOpener } from "../tcp_forwarder.ts";

/** Where one proxied connection goes. */
export type Route =
  /** Through the tunnel: the manager dials the destination inside the cluster. */
  | { via: "tunnel"; open(signal: AbortSignal): Promise<Stream> }
  /** From the workstation itself, to `host:port` (the name resolved by the machine). */
  | { via: "direct"; host: string; port: number };

/**
 * What the daemon supplies: for each requested `host:port`, the route. A cluster name is
 * typically resolved through the stub resolver here, and a refusal thrown as a
 * {@link RouteError}.
 */
export interface ProxyRoutes {
  /**
   * @param host the name or address the client asked for, as it sent it
   * @param port the port
   * @param signal aborted when the proxy gives up (deadline, shutdown)
   * @returns the route
   */
  route(host: string, port: number, signal: AbortSignal): Promise<Route>;
}

/**
 * A route through the tunnel to `target`, for the daemon's {@link ProxyRoutes}.
 *
 * @param opener the session, or what picks the current one
 * @param target where the manager should connect (a cluster name, or the address it resolved to)
 * @returns the route
 */
export function tunnelRoute(opener: StreamOpener, target: ForwardTarget): Route {
  return { via: "tunnel", open: () => openTarget(opener, Transport.Tcp, target) };
}

/**
 * A route that connects from the workstation.
 *
 * @param host where
 * @param port which port
 * @returns the route
 */
export function directRoute(host: string, port: number): Route {
  return { via: "direct", host, port };
}

/** A connection to the destination, through the tunnel or not. */
export type Upstream =
  | { via: "tunnel"; stream: Stream }
  | { via: "direct"; conn: Deno.TcpConn };

/** Options of {@link dial}. */
export interface DialOptions {
  routes: ProxyRoutes;
  /** How long routing and connecting may take together. */
  timeoutMs: number;
  clock?: Clock;
  /** Aborted when the proxy closes. */
  signal: AbortSignal;
  /** How to dial directly; `Deno.connect` unless a test supplies another. */
  connect?: (options: Deno.ConnectOptions) => Promise<Deno.TcpConn>;
}

/**
 * Routes `host:port` and connects, within the deadline.
 *
 * @param host the requested host
 * @param port the requested port
 * @param options see {@link DialOptions}
 * @returns the connection
 * @throws {DialTimeoutError} past the deadline; whatever routing or connecting threw otherwise
 *   (see {@link failureOf} for how it reaches the client)
 */
export function dial(host: string, port: number, options: DialOptions): Promise<Upstream> {
  const clock = options.clock ?? systemClock;
  const controller = new AbortController();
  const abort = () => controller.abort(options.signal.reason);
  options.signal.addEventListener("abort", abort, { once: true });
  let settled = false;
  const connecting = connect(host, port, controller.signal, options);
  // Something that connects after the deadline is nobody's: close it.
  connecting.then((upstream) => {
    if (settled) closeUpstream(upstream);
  }, () => {});
  let timer: TimerId | undefined;
  const deadline = new Promise<never>((_, reject) => {
    const fail = () => reject(controller.signal.reason);
    if (options.signal.aborted) abort();
    if (controller.signal.aborted) fail();
    controller.signal.addEventListener("abort", fail, { once: true });
    timer = clock.setTimeout(() => {
      controller.abort(new DialTimeoutError(joinHostPort(host, port), options.timeoutMs));
    }, options.timeoutMs);
  });
  return Promise.race([connecting, deadline]).finally(() => {
    settled = true;
    clock.clearTimeout(timer!);
    options.signal.removeEventListener("abort", abort);
    // Tells route() and open() that nobody waits for them any more.
    if (!controller.signal.aborted) controller.abort(new Error("dial settled"));
  });
}

async function connect(
  host: string,
  port: number,
  signal: AbortSignal,
  options: DialOptions,
): Promise<Upstream> {
  const route = await options.routes.route(host, port, signal);
  signal.throwIfAborted();
  if (route.via === "tunnel") return { via: "tunnel", stream: await route.open(signal) };
  const conn = await (options.connect ?? Deno.connect)({
    hostname: route.host,
    port: route.port,
  });
  conn.setNoDelay(true);
  return { via: "direct", conn };
}

/**
 * Closes a connection nobody will use.
 *
 * @param upstream the connection
 */
export function closeUpstream(upstream: Upstream): void {
  if (upstream.via === "direct") closeQuietly(upstream.conn);
  else upstream.stream.reset(ResetCode.Cancelled, "proxy client gone");
}

/**
 * Copies `client` ⇄ `upstream` both ways until both ended, then closes both: the tunnel's
 * relay for a stream, {@link pipe} for a direct connection.
 *
 * @param client the client, with what it sent ahead put back in front
 * @param upstream the destination
 * @param logger where to report an abnormal end
 * @returns bytes sent to and received from the destination
 */
export async function carry(
  client: DuplexConn,
  upstream: Upstream,
  logger: Logger,
): Promise<{ sent: number; received: number }> {
  if (upstream.via === "tunnel") {
    const result = await relay(client, upstream.stream, logger);
    return { sent: result.bytesToStream, received: result.bytesFromStream };
  }
  const result = await pipe(client, upstream.conn);
  if (result.error) logger.debug("direct connection ended early", { error: result.error });
  return { sent: result.aToB, received: result.bToA };
}
