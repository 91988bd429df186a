/**
 * A TCP listener that hands each connection to a handler, tracks them, and on close ends them
 * all and waits for their handlers.
 *
 * @module
 */
import type { Logger } from "./log.ts";
import { joinHostPort, listenError } from "./net_errors.ts";
import { closeQuietly } from "./relay.ts";

/** Options of {@link TcpServer.listen}. */
export interface TcpServerOptions {
  hostname: string;
  /** 0 picks a free port; see {@link TcpServer.port}. */
  port: number;
  /** Serves one connection; the server closes it once this settles. */
  handle: (conn: Deno.TcpConn) => Promise<void>;
  logger: Logger;
}

/**
 * A TCP server.
 *
 * @example
 * ```ts
 * await using server = TcpServer.listen({ hostname: "127.0.0.1", port: 0, handle, logger });
 * ```
 */
export class TcpServer {
  readonly #listener: Deno.TcpListener;
  readonly #options: TcpServerOptions;
  readonly #connections = new Set<Deno.TcpConn>();
  readonly #handlers = new Set<Promise<void>>();
  readonly #accepting: Promise<void>;
  #closed = false;

  private constructor(listener: Deno.TcpListener, options: TcpServerOptions) {
    this.#listener = listener;
    this.#options = options;
    this.#accepting = this.#accept();
  }

  /**
   * Starts listening.
   *
   * @param options see {@link TcpServerOptions}
   * @returns the running server
   * @throws {TpxError} when the address cannot be bound (in use, not local, privileged)
   */
  static listen(options: TcpServerOptions): TcpServer {
    try {
      const listener = Deno.listen({ hostname: options.hostname, port: options.port });
      return new TcpServer(listener, options);
    } catch (error) {
      throw listenError(error, joinHostPort(options.hostname, options.port));
    }
  }

  /** The port it listens on. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /** Connections being served now. */
  get activeConnections(): number {
    return this.#connections.size;
  }

  async #accept(): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (!this.#closed) this.#options.logger.error("server stopped accepting", { error });
        return;
      }
      conn.setNoDelay(true);
      this.#connections.add(conn);
      const handled: Promise<void> = this.#options.handle(conn)
        .catch((error) => this.#options.logger.error("connection handler failed", { error }))
        .finally(() => {
          closeQuietly(conn);
          this.#connections.delete(conn);
          this.#handlers.delete(handled);
        });
      this.#handlers.add(handled);
    }
  }

  /** Stops listening, ends every connection, and waits for their handlers. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#listener);
    for (const conn of this.#connections) closeQuietly(conn);
    await this.#accepting;
    await Promise.allSettled([...this.#handlers]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
