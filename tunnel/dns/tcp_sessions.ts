/**
 * DNS over TCP for the stub: length-prefixed queries, several per connection and answered as
 * they complete (RFC 7766 6.2.1.1), idle connections closed, and everything ended on close.
 *
 * @module
 */

import type { Clock, TimerId } from "../clock.ts";
import type { Logger } from "../log.ts";
import { FrameReader } from "./tcp_frames.ts";
import { tcpFrame } from "./wire.ts";

/** What {@link TcpSessions} needs. */
export interface TcpSessionsOptions {
  /** The answer to a query, `undefined` for none. */
  handle: (query: Uint8Array) => Promise<Uint8Array | undefined>;
  /** A connection without a query for this long is closed. */
  idleTimeoutMs: number;
  /** Connections beyond this many are closed at once. */
  maxConnections?: number;
  /** Queries in flight per connection; the connection is not read further until one ends. */
  maxInFlight?: number;
  clock: Clock;
  logger: Logger;
}

/** Accepts TCP connections and answers the queries on them. */
export class TcpSessions {
  readonly #listener: Deno.TcpListener;
  readonly #options: TcpSessionsOptions;
  /** Each open connection's closer, which closes it exactly once. */
  readonly #connections = new Map<Deno.TcpConn, () => void>();
  readonly #sessions = new Set<Promise<void>>();
  readonly #acceptLoop: Promise<void>;
  #closed = false;

  /**
   * @param listener a bound listener, which this object now owns
   * @param options the query handler, the limits, a clock and a logger
   */
  constructor(listener: Deno.TcpListener, options: TcpSessionsOptions) {
    this.#listener = listener;
    this.#options = options;
    this.#acceptLoop = this.#accept();
  }

  /** Stops accepting, closes every connection and waits for their sessions to end. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#listener.close();
      for (const closeConn of this.#connections.values()) closeConn();
    }
    await this.#acceptLoop;
    await Promise.all(this.#sessions);
  }

  async #accept(): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closed) return;
        this.#options.logger.debug("DNS stub TCP accept failed", { error });
        continue;
      }
      if (this.#closed || this.#connections.size >= (this.#options.maxConnections ?? 128)) {
        conn.close();
        continue;
      }
      const session = this.#serve(conn).finally(() => {
        this.#connections.delete(conn);
        this.#sessions.delete(session);
      });
      this.#sessions.add(session);
    }
  }

  async #serve(conn: Deno.TcpConn): Promise<void> {
    const { clock, idleTimeoutMs } = this.#options;
    const maxInFlight = this.#options.maxInFlight ?? 16;
    const frames = new FrameReader(conn);
    const inFlight = new Set<Promise<void>>();
    let writes = Promise.resolve();
    let open = true;
    const closeConn = () => {
      if (open) conn.close();
      open = false;
    };
    this.#connections.set(conn, closeConn);
    let timer: TimerId = clock.setTimeout(closeConn, idleTimeoutMs);
    try {
      for (;;) {
        if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
        const query = await frames.next();
        clock.clearTimeout(timer);
        if (query === null) break;
        const task = this.#options.handle(query).then((answer) => {
          if (answer === undefined || !open) return;
          // Answers go out whole and one at a time, in whatever order they complete.
          writes = writes.then(() => writeAll(conn, tcpFrame(answer))).catch(closeConn);
          return writes;
        }).finally(() => inFlight.delete(task));
        inFlight.add(task);
        timer = clock.setTimeout(closeConn, idleTimeoutMs);
      }
      await Promise.all(inFlight);
      await writes;
    } catch (error) {
      if (open && !this.#closed) {
        this.#options.logger.debug("DNS stub TCP session failed", { error });
      }
    } finally {
      clock.clearTimeout(timer);
      closeConn();
      this.#connections.delete(conn);
      await Promise.allSettled(inFlight);
    }
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}
