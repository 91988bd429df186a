/**
 * The traffic-agent's per-request HTTP/1.1 router: it serves one client connection, sending
 * each request to the app or, when a personal intercept takes it, to the developer's machine.
 *
 * @module
 */
import { type Clock, systemClock } from "../../../tunnel/clock.ts";
import type { Logger } from "../../../tunnel/log.ts";
import type { DuplexConn } from "../../../tunnel/relay.ts";
import { BufferedConn, readHead } from "./buffered_conn.ts";
import { skipEmptyLines } from "./head_syntax.ts";
import { HeadTimeout } from "./head_timeout.ts";
import { BAD_GATEWAY, exchange } from "./exchange.ts";
import { parseRequestHead, type RequestHead } from "./request_head.ts";
import { splice } from "./splice.ts";
import { type RouteTarget, type Upstream, UpstreamPool } from "./upstreams.ts";

export type { RouteTarget } from "./upstreams.ts";

/** How {@link serveHttpConnection} routes, and where to. */
export interface HttpRouterOptions {
  /** Decides per request head: undefined → the app; otherwise the intercept to send it to. */
  route(head: RequestHead): { interceptId: string } | undefined;
  /** The app, at 127.0.0.1:appPort. */
  app: RouteTarget;
  /** A tunnel stream to the developer who owns the intercept. */
  intercept(interceptId: string): RouteTarget;
  logger: Logger;
  clock?: Clock;
  /** How long a client may take to send a request head, idle time included; default 30 s. */
  headerTimeoutMs?: number;
}

/** Long enough for any real client, short enough that slowloris connections do not pile up. */
const DEFAULT_HEADER_TIMEOUT_MS = 30_000;

/**
 * Serves one accepted client connection until it ends: each request head is parsed and routed
 * on its own, and its body and response are streamed through. Bytes that are not HTTP, or a
 * malformed head, go to the app as they are. Never throws; the connection is closed on return.
 *
 * @param client the accepted connection
 * @param options routing and targets
 * @example
 * ```ts
 * for await (const conn of listener) {
 *   void serveHttpConnection(conn, { route, app, intercept, logger });
 * }
 * ```
 */
export async function serveHttpConnection(
  client: DuplexConn,
  options: HttpRouterOptions,
): Promise<void> {
  const conn = new BufferedConn(client);
  const pool = new UpstreamPool(options);
  const timeout = new HeadTimeout(
    options.clock ?? systemClock,
    options.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS,
    () => {
      options.logger.debug("closing a client that sent no request head in time");
      void conn.close();
    },
  );
  try {
    await serveRequests(conn, pool, timeout, options);
  } catch (error) {
    options.logger.debug("HTTP connection ended early", { error });
  } finally {
    timeout.dispose();
    await pool.closeAll();
    await conn.close();
  }
}

async function serveRequests(
  client: BufferedConn,
  pool: UpstreamPool,
  timeout: HeadTimeout,
  options: HttpRouterOptions,
): Promise<void> {
  for (;;) {
    timeout.arm();
    let result;
    try {
      result = await readHead(client, parseRequestHead);
    } finally {
      timeout.disarm();
    }
    // The end of the stream between requests, perhaps after the CRLF old clients add to a body.
    if (result === null && skipEmptyLines(client.view()) === client.length) return;
    if (result?.kind !== "parsed") {
      // Not HTTP, malformed, too large or cut short: the app answers it as it would directly.
      options.logger.debug("passing the connection to the app as it is", {
        reason: result === null ? "cut short" : "reason" in result ? result.reason : result.kind,
      });
      const app = await pool.acquire(undefined);
      pool.detach(app);
      await pool.closeAll();
      await splice(client, app.conn);
      return;
    }
    const upstream = await acquire(pool, result.head, options);
    if (!upstream) {
      await client.write(BAD_GATEWAY);
      return;
    }
    if (!(await exchange(client, pool, upstream, result))) return;
  }
}

/** The upstream for a request; undefined when not even the app can be reached. */
async function acquire(
  pool: UpstreamPool,
  head: RequestHead,
  options: HttpRouterOptions,
): Promise<Upstream | undefined> {
  let interceptId: string | undefined;
  try {
    interceptId = options.route(head)?.interceptId;
  } catch (error) {
    options.logger.error("routing a request failed, the app serves it", { error });
  }
  try {
    return await pool.acquire(interceptId);
  } catch (error) {
    options.logger.warn("cannot reach the app", { error });
    return undefined;
  }
}
