/**
 * Where an agent's intercepted connection goes: onto a stream to the daemon that holds the
 * intercept. When that daemon's tunnel is down the agent is told at once, so it can serve the
 * connection from the app — no request waits for a developer who is gone. A tunnel that is
 * still open but no longer answers (a laptop that dropped off the network, a stopped process)
 * is not seen as down until its keepalive times out, 30 s later; the open deadline keeps each
 * request from waiting that long.
 *
 * @module
 */
import { type Clock, systemClock, type TimerId } from "../../tunnel/clock.ts";
import type { Logger } from "../../tunnel/log.ts";
import { pipe } from "../../tunnel/pipe.ts";
import { ResetCode, Transport } from "../../tunnel/protocol/mod.ts";
import type { IncomingStream } from "../../tunnel/session.ts";
import type { Stream } from "../../tunnel/stream.ts";
import { streamConn } from "../../tunnel/stream_conn.ts";
import { StreamResetError } from "../../tunnel/stream_errors.ts";
import type { StreamOpener } from "../../tunnel/tcp_forwarder.ts";
import type { Metrics } from "./state/metrics.ts";

/** What the router needs to find an intercept's daemon. */
export interface InterceptRouterDeps {
  /** The session id that holds intercept `id`, if the intercept exists. */
  ownerOf(id: string): string | undefined;
  /** The live tunnel of a session, if attached. */
  tunnelOf(sessionId: string): StreamOpener | undefined;
  metrics: Metrics;
  logger: Logger;
  clock?: Clock;
  /** How long the daemon may take to take the stream before the app serves; 3 s default. */
  openTimeoutMs?: number;
}

/** Long for a stream open over a port-forward, short for a request that waits on it. */
export const INTERCEPT_OPEN_TIMEOUT_MS = 3_000;

/**
 * Routes one stream an agent opened (its tag is the intercept id).
 *
 * @param incoming the agent's stream, not yet accepted
 * @param deps lookups, metrics and log
 */
export async function routeIntercepted(
  incoming: IncomingStream,
  deps: InterceptRouterDeps,
): Promise<void> {
  const { tag: interceptId, host, port } = incoming.destination;
  const owner = deps.ownerOf(interceptId);
  const tunnel = owner === undefined ? undefined : deps.tunnelOf(owner);
  if (!tunnel) {
    incoming.reset(
      ResetCode.SessionClosed,
      owner === undefined ? `no intercept "${interceptId}"` : "the developer's tunnel is down",
    );
    return;
  }
  let toDaemon: Stream;
  try {
    toDaemon = await openWithin(
      tunnel,
      { transport: Transport.Tcp, host, port, tag: interceptId },
      deps,
    );
  } catch (error) {
    // Refused means nothing listens on the developer's port: pass that on as it is.
    const code = error instanceof StreamResetError ? error.resetCode : ResetCode.SessionClosed;
    incoming.reset(code, error instanceof Error ? error.message : String(error));
    return;
  }
  const fromAgent = incoming.accept();
  deps.metrics.gauge("tpx_open_streams").add(1);
  try {
    const result = await pipe(streamConn(fromAgent), streamConn(toDaemon));
    deps.metrics.counter("tpx_bytes_total", { direction: "in" }).add(result.aToB);
    deps.metrics.counter("tpx_bytes_total", { direction: "out" }).add(result.bToA);
  } finally {
    deps.metrics.gauge("tpx_open_streams").add(-1);
  }
}

/** The daemon's stream, or an error once the open deadline passed (a late stream is reset). */
function openWithin(
  tunnel: StreamOpener,
  destination: Parameters<StreamOpener["open"]>[0],
  deps: InterceptRouterDeps,
): Promise<Stream> {
  const clock = deps.clock ?? systemClock;
  const ms = deps.openTimeoutMs ?? INTERCEPT_OPEN_TIMEOUT_MS;
  const opening = tunnel.open(destination);
  let timer: TimerId | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => {
      timer = undefined;
      deps.logger.warn("the developer's tunnel does not answer; the app serves", {
        intercept: destination.tag,
        ms,
      });
      opening.then((late) => late.reset(ResetCode.Cancelled, "opened too late"), () => {});
      reject(new Error(`the developer's tunnel did not answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([opening, deadline]).finally(() => {
    if (timer !== undefined) clock.clearTimeout(timer);
  });
}
