/**
 * The rootless way into the cluster: one loopback listener that speaks SOCKS5 and HTTP proxy
 * (CONNECT, and absolute-form requests for `http_proxy` users), told apart by the first byte.
 * Each connection is routed by the daemon's {@link ProxyRoutes}: through the tunnel, or
 * directly from the workstation.
 *
 * @module
 */
import { type Clock, systemClock, type TimerId } from "../clock.ts";
import type { Logger } from "../log.ts";
import { joinHostPort } from "../net_errors.ts";
import { TpxError } from "../protocol/mod.ts";
import type { DuplexConn } from "../relay.ts";
import { TcpServer } from "../tcp_server.ts";
import {
  failureOf,
  httpStatusFor,
  type ProxyFailure,
  SocksReply,
  socksReplyFor,
} from "./failures.ts";
import { HandshakeReader, HeadTooLargeError } from "./handshake_reader.ts";
import {
  CONNECT_ESTABLISHED,
  encodeProxyResponse,
  HttpRequestError,
  parseProxyRequest,
  type ProxyRequest,
} from "./http_request.ts";
import { BodyScanner, forwardedRequest } from "./request_body.ts";
import { carry, closeUpstream, dial, type ProxyRoutes, type Upstream } from "./routes.ts";
import {
  encodeMethodSelection,
  encodeReply,
  encodeSocks4Rejection,
  readGreeting,
  readRequest,
  SOCKS4_VERSION,
  SOCKS5_VERSION,
} from "./socks5.ts";

/** Options of {@link ProxyServer.listen}. */
export interface ProxyServerOptions {
  /** A loopback address; default `127.0.0.1`. Anything else is refused: see {@link ProxyServer.listen}. */
  hostname?: string;
  /** 0 picks a free port; see {@link ProxyServer.port}. */
  port: number;
  routes: ProxyRoutes;
  logger: Logger;
  clock?: Clock;
  /** How long a client may take to finish its greeting or request head. Default 10 s. */
  handshakeTimeoutMs?: number;
  /** How long routing and connecting may take. Default 15 s. */
  dialTimeoutMs?: number;
  /** Connections served at once; more are closed on arrival. Default 1024. */
  maxConnections?: number;
  /** The longest HTTP request head; a longer one is answered 431. Default 16 KiB. */
  maxHeadBytes?: number;
  /** How to dial directly; `Deno.connect` unless a test supplies another. */
  connect?: (options: Deno.ConnectOptions) => Promise<Deno.TcpConn>;
}

/** How much a client may still send after the proxy answered it with a refusal. */
const DRAIN_LIMIT = 64 * 1024;

/**
 * A SOCKS5 and HTTP proxy on loopback.
 *
 * @example
 * ```ts
 * await using proxy = ProxyServer.listen({ port: 0, routes, logger });
 * const env = proxyEnvironment({ port: proxy.port });
 * ```
 */
export class ProxyServer {
  readonly #server: TcpServer;
  readonly #options: ProxyServerOptions;
  readonly #clock: Clock;
  readonly #shutdown = new AbortController();
  #active = 0;

  private constructor(options: ProxyServerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#server = TcpServer.listen({
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port,
      logger: options.logger,
      handle: (conn) => this.#handle(conn),
    });
  }

  /**
   * Starts listening.
   *
   * @param options see {@link ProxyServerOptions}
   * @returns the running proxy
   * @throws {TpxError} `proxy_not_loopback` for an address other than loopback — an open proxy
   *   would let anyone on the network into the cluster — or when the address cannot be bound
   */
  static listen(options: ProxyServerOptions): ProxyServer {
    const hostname = options.hostname ?? "127.0.0.1";
    if (!isLoopback(hostname)) {
      throw new TpxError(
        "config",
        `Cannot run the proxy on "${hostname}": not a loopback address`,
        {
          code: "proxy_not_loopback",
          hint: 'use "127.0.0.1" or "::1"; anyone who reaches the proxy reaches the cluster',
        },
      );
    }
    return new ProxyServer(options);
  }

  /** The port it listens on. */
  get port(): number {
    return this.#server.port;
  }

  /** Connections being served now. */
  get activeConnections(): number {
    return this.#active;
  }

  /** Stops listening, ends every connection (also those still dialing), and waits for them. */
  async close(): Promise<void> {
    this.#shutdown.abort(new TpxError("user", "The proxy is closing", { code: "proxy_closed" }));
    await this.#server.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #handle(conn: Deno.TcpConn): Promise<void> {
    const { logger } = this.#options;
    if (this.#active >= (this.#options.maxConnections ?? 1024)) {
      logger.warn("proxy connection refused: too many connections", { active: this.#active });
      return;
    }
    this.#active++;
    const deadline = new Deadline(this.#clock, conn, this.#options.handshakeTimeoutMs ?? 10_000);
    const reader = new HandshakeReader(conn, this.#options.maxHeadBytes ?? 16 * 1024);
    try {
      const first = await reader.peekByte();
      if (first === SOCKS5_VERSION) await this.#serveSocks5(conn, reader, deadline);
      else if (first === SOCKS4_VERSION) {
        logger.info("proxy refused a SOCKS4 client: only SOCKS5 is supported");
        await answerAndClose(conn, encodeSocks4Rejection(), deadline);
      } else if (first >= 0x41 && first <= 0x5a) await this.#serveHttp(conn, reader, deadline);
      else logger.info("proxy closed a connection that is neither SOCKS5 nor HTTP", { first });
    } catch (error) {
      logger.debug("proxy connection ended early", {
        error,
        timedOut: deadline.expired,
      });
    } finally {
      deadline.disarm();
      this.#active--;
    }
  }

  async #serveSocks5(
    conn: Deno.TcpConn,
    reader: HandshakeReader,
    deadline: Deadline,
  ): Promise<void> {
    const acceptable = await readGreeting(reader);
    if (!acceptable) {
      this.#options.logger.info("proxy refused a SOCKS5 client that requires authentication");
      return answerAndClose(conn, encodeMethodSelection(false), deadline);
    }
    await writeAll(conn, encodeMethodSelection(true));
    const request = await readRequest(reader);
    if (!request.ok) {
      this.#options.logger.info("proxy refused a SOCKS5 request", { reason: request.reason });
      return answerAndClose(conn, encodeReply(request.reply), deadline);
    }
    deadline.disarm();
    const upstream = await this.#dial(request.host, request.port);
    if (!("via" in upstream)) {
      return answerAndClose(conn, encodeReply(socksReplyFor(upstream.failure)), deadline);
    }
    await this.#carry(conn, reader, upstream, encodeReply(SocksReply.Succeeded));
  }

  async #serveHttp(
    conn: Deno.TcpConn,
    reader: HandshakeReader,
    deadline: Deadline,
  ): Promise<void> {
    let request: ProxyRequest;
    try {
      request = parseProxyRequest(await reader.readHead());
    } catch (error) {
      if (!(error instanceof HttpRequestError || error instanceof HeadTooLargeError)) throw error;
      const status = error instanceof HttpRequestError ? error.status : 431;
      this.#options.logger.info("proxy refused an HTTP request", { status, error });
      return answerAndClose(conn, encodeProxyResponse(status, error.message), deadline);
    }
    deadline.disarm();
    const upstream = await this.#dial(request.host, request.port);
    if (!("via" in upstream)) {
      const target = joinHostPort(request.host, request.port);
      const response = encodeProxyResponse(
        httpStatusFor(upstream.failure),
        `Cannot reach ${target}: ${upstream.reason}`,
      );
      return answerAndClose(conn, response, deadline);
    }
    if (request.kind === "connect") {
      return this.#carry(conn, reader, upstream, CONNECT_ESTABLISHED);
    }
    const client = forwardedRequest(
      reader.connection(),
      request.head,
      new BodyScanner(request.body),
    );
    await this.#carry(client, null, upstream, null);
  }

  async #dial(
    host: string,
    port: number,
  ): Promise<Upstream | { failure: ProxyFailure; reason: string }> {
    try {
      return await dial(host, port, {
        routes: this.#options.routes,
        timeoutMs: this.#options.dialTimeoutMs ?? 15_000,
        clock: this.#clock,
        signal: this.#shutdown.signal,
        ...(this.#options.connect ? { connect: this.#options.connect } : {}),
      });
    } catch (error) {
      const failure = failureOf(error);
      const reason = error instanceof Error ? error.message : String(error);
      this.#options.logger.info("proxy could not connect", {
        target: joinHostPort(host, port),
        failure,
        reason,
      });
      return { failure, reason };
    }
  }

  /** Sends the success answer, then relays; the answer going wrong closes the destination. */
  async #carry(
    client: DuplexConn,
    reader: HandshakeReader | null,
    upstream: Upstream,
    answer: Uint8Array | null,
  ): Promise<void> {
    try {
      if (answer) await writeAll(client, answer);
    } catch (error) {
      closeUpstream(upstream);
      throw error;
    }
    await carry(reader ? reader.connection() : client, upstream, this.#options.logger);
  }
}

/** A timer that closes the connection when the client is too slow. */
class Deadline {
  readonly #clock: Clock;
  readonly #conn: DuplexConn;
  readonly #ms: number;
  #timer: TimerId | undefined;
  expired = false;

  constructor(clock: Clock, conn: DuplexConn, ms: number) {
    this.#clock = clock;
    this.#conn = conn;
    this.#ms = ms;
    this.arm();
  }

  arm(): void {
    this.disarm();
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.expired = true;
      try {
        this.#conn.close();
      } catch {
        // Closed already: the handler is on its way out.
      }
    }, this.#ms);
  }

  disarm(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Sends a refusal, then reads and drops what the client still sends, so closing with unread
 * input does not reset the connection and destroy the answer before the client read it.
 */
async function answerAndClose(conn: DuplexConn, answer: Uint8Array, deadline: Deadline) {
  deadline.arm();
  await writeAll(conn, answer);
  await conn.closeWrite();
  const scratch = new Uint8Array(4096);
  for (let drained = 0; drained < DRAIN_LIMIT;) {
    const n = await conn.read(scratch);
    if (n === null) return;
    drained += n;
  }
}

async function writeAll(conn: DuplexConn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/** Whether `hostname` is a loopback address (or `localhost`). */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
