/**
 * The local end of TCP forwarding: a listener whose every connection becomes a tunnel stream.
 *
 * @module
 */
import type { Logger } from "./log.ts";
import { listenError } from "./net_errors.ts";
import { type Destination, Transport } from "./protocol/mod.ts";
import { closeQuietly, relay } from "./relay.ts";
import type { Stream } from "./stream.ts";

/** Whatever opens streams: a {@link Session}, or something that picks the current one. */
export interface StreamOpener {
  open(destination: Destination): Promise<Stream>;
}

/** Options of {@link TcpForwarder.listen}. */
export interface TcpForwarderOptions {
  hostname: string;
  /** 0 picks a free port; see {@link TcpForwarder.port}. */
  port: number;
  /** Where each connection goes. */
  target: { host: string; port: number; tag?: string };
  opener: StreamOpener;
  logger: Logger;
}

/**
 * Listens on a local address and forwards each connection through the tunnel.
 *
 * @example
 * ```ts
 * await using forwarder = TcpForwarder.listen({
 *   hostname: "127.241.0.1", port: 80, target: { host: "web.shop", port: 80 }, opener: session, logger,
 * });
 * ```
 */
export class TcpForwarder {
  readonly #listener: Deno.TcpListener;
  readonly #options: TcpForwarderOptions;
  readonly #connections = new Set<Deno.TcpConn>();
  readonly #relays = new Set<Promise<unknown>>();
  readonly #accepting: Promise<void>;
  #closed = false;

  private constructor(listener: Deno.TcpListener, options: TcpForwarderOptions) {
    this.#listener = listener;
    this.#options = options;
    this.#accepting = this.#accept();
  }

  /**
   * Starts listening.
   *
   * @param options see {@link TcpForwarderOptions}
   * @returns the running forwarder
   * @throws {TpxError} when the address cannot be bound (in use, not local, privileged)
   */
  static listen(options: TcpForwarderOptions): TcpForwarder {
    try {
      const listener = Deno.listen({ hostname: options.hostname, port: options.port });
      return new TcpForwarder(listener, options);
    } catch (error) {
      throw listenError(error, `${options.hostname}:${options.port}`);
    }
  }

  /** The port it listens on. */
  get port(): number {
    return this.#listener.addr.port;
  }

  /** Connections being forwarded now. */
  get activeConnections(): number {
    return this.#connections.size;
  }

  async #accept(): Promise<void> {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (!this.#closed) this.#options.logger.error("forwarder stopped accepting", { error });
        return;
      }
      const done = this.#forward(conn).finally(() => this.#relays.delete(done));
      this.#relays.add(done);
    }
  }

  async #forward(conn: Deno.TcpConn): Promise<void> {
    this.#connections.add(conn);
    const { target, opener, logger } = this.#options;
    try {
      conn.setNoDelay(true);
      let stream: Stream;
      try {
        stream = await opener.open({
          transport: Transport.Tcp,
          host: target.host,
          port: target.port,
          tag: target.tag ?? "",
        });
      } catch (error) {
        // Close at once: the client sees the failure now instead of a hanging connection.
        logger.info("forwarded connection refused", { target, error });
        closeQuietly(conn);
        return;
      }
      await relay(conn, stream, logger);
    } finally {
      this.#connections.delete(conn);
    }
  }

  /** Stops listening and ends every forwarded connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    for (const conn of this.#connections) closeQuietly(conn);
    await this.#accepting;
    await Promise.allSettled([...this.#relays]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
