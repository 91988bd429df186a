/**
 * The local end of TCP forwarding: a listener whose every connection becomes a tunnel stream.
 *
 * @module
 */
import type { Logger } from "./log.ts";
import { type Destination, Transport } from "./protocol/mod.ts";
import { relay } from "./relay.ts";
import { resetTcp } from "./tcp_reset.ts";
import type { Stream } from "./stream.ts";
import { TcpServer } from "./tcp_server.ts";

/** Whatever opens streams: a {@link Session}, or something that picks the current one. */
export interface StreamOpener {
  open(destination: Destination): Promise<Stream>;
}

/** Where a forwarder's streams go. */
export interface ForwardTarget {
  host: string;
  port: number;
  tag?: string;
}

/**
 * Opens a stream to a forwarder's target.
 *
 * @param opener the session, or what picks it
 * @param transport TCP or UDP
 * @param target where to
 * @returns the stream
 */
export function openTarget(
  opener: StreamOpener,
  transport: Transport,
  target: ForwardTarget,
): Promise<Stream> {
  return opener.open({ transport, host: target.host, port: target.port, tag: target.tag ?? "" });
}

/** Options of {@link TcpForwarder.listen}. */
export interface TcpForwarderOptions {
  hostname: string;
  /** 0 picks a free port; see {@link TcpForwarder.port}. */
  port: number;
  /** Where each connection goes. */
  target: ForwardTarget;
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
  readonly #server: TcpServer;

  private constructor(server: TcpServer) {
    this.#server = server;
  }

  /**
   * Starts listening.
   *
   * @param options see {@link TcpForwarderOptions}
   * @returns the running forwarder
   * @throws {TpxError} when the address cannot be bound (in use, not local, privileged)
   */
  static listen(options: TcpForwarderOptions): TcpForwarder {
    return new TcpForwarder(TcpServer.listen({
      hostname: options.hostname,
      port: options.port,
      logger: options.logger,
      handle: (conn) => forward(conn, options),
    }));
  }

  /** The port it listens on. */
  get port(): number {
    return this.#server.port;
  }

  /** Connections being forwarded now. */
  get activeConnections(): number {
    return this.#server.activeConnections;
  }

  /** Stops listening and ends every forwarded connection. */
  close(): Promise<void> {
    return this.#server.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function forward(conn: Deno.TcpConn, options: TcpForwarderOptions): Promise<void> {
  const { target, opener, logger } = options;
  let stream: Stream;
  try {
    stream = await openTarget(opener, Transport.Tcp, target);
  } catch (error) {
    // Reset at once: the client sees the failure now, as a reset, as if it had dialed the
    // target itself, instead of a hanging connection or a clean end.
    logger.info("forwarded connection refused", { target, error });
    resetTcp(conn);
    return;
  }
  await relay(conn, stream, logger);
}
