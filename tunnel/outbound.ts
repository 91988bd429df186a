/**
 * The far end of forwarding: for each stream the peer opens, dial its destination and copy
 * both ways. The manager runs this for daemons' streams inside the cluster.
 *
 * @module
 */
import { type Clock, systemClock, type TimerId } from "./clock.ts";
import type { Logger } from "./log.ts";
import { DialTimeoutError, joinHostPort, resetCodeForDialError } from "./net_errors.ts";
import { type Destination, MAX_DATAGRAM, ResetCode, Transport } from "./protocol/mod.ts";
import { closeQuietly, relay } from "./relay.ts";
import type { IncomingStream } from "./session.ts";
import type { Stream } from "./stream.ts";

/** Options of {@link Outbound}. */
export interface OutboundOptions {
  logger: Logger;
  /** How long a TCP dial may take. Default 10 s. */
  dialTimeoutMs?: number;
  /** A UDP association with no datagram either way for this long ends. Default 60 s. */
  udpIdleMs?: number;
  /** Refuses a destination by returning the reason. */
  vet?: (destination: Destination) => string | undefined;
  clock?: Clock;
  /** Told about every stream served, for metrics: once when it starts, once when it ends. */
  observe?: {
    opened(destination: Destination): void;
    closed(destination: Destination, bytes: { toPeer: number; fromPeer: number }): void;
  };
  /** How to dial TCP; `Deno.connect` unless a test supplies another. */
  connect?: (options: Deno.ConnectOptions) => Promise<Deno.TcpConn>;
}

/**
 * Serves the streams a peer opens by dialing their destinations.
 *
 * @example
 * ```ts
 * const outbound = new Outbound({ logger });
 * await Session.connect(conn, { ...options, onStream: (s) => outbound.handle(s) });
 * ```
 */
export class Outbound {
  readonly #options: OutboundOptions;
  readonly #clock: Clock;
  readonly #closers = new Set<() => void>();
  readonly #tasks = new Set<Promise<void>>();

  constructor(options: OutboundOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** Streams being served now. */
  get active(): number {
    return this.#tasks.size;
  }

  /**
   * Serves one incoming stream: dials, then accepts and relays, or resets with the reason.
   *
   * @param incoming the stream as the session offers it
   */
  handle(incoming: IncomingStream): void {
    const refusal = this.#options.vet?.(incoming.destination);
    if (refusal !== undefined) {
      incoming.reset(ResetCode.NotAllowed, refusal);
      return;
    }
    const task =
      (incoming.destination.transport === Transport.Tcp
        ? this.#serveTcp(incoming)
        : this.#serveUdp(incoming))
        .catch((error) => this.#options.logger.error("outbound stream failed", { error }))
        .finally(() => this.#tasks.delete(task));
    this.#tasks.add(task);
  }

  /** Ends every stream being served. */
  async close(): Promise<void> {
    for (const close of this.#closers) close();
    await Promise.allSettled([...this.#tasks]);
  }

  async #serveTcp(incoming: IncomingStream): Promise<void> {
    const { host, port } = incoming.destination;
    const target = joinHostPort(host, port);
    let conn: Deno.TcpConn;
    try {
      conn = await this.#dial(host, port);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#options.logger.info("outbound dial failed", { target, reason });
      incoming.reset(resetCodeForDialError(error), `${target}: ${reason}`);
      return;
    }
    conn.setNoDelay(true);
    const close = () => closeQuietly(conn);
    this.#closers.add(close);
    const { observe } = this.#options;
    observe?.opened(incoming.destination);
    const bytes = { toPeer: 0, fromPeer: 0 };
    try {
      const result = await relay(conn, incoming.accept(), this.#options.logger);
      bytes.toPeer = result.bytesToStream;
      bytes.fromPeer = result.bytesFromStream;
    } finally {
      this.#closers.delete(close);
      observe?.closed(incoming.destination, bytes);
    }
  }

  /** `Deno.connect` with a deadline; a connection that arrives late is closed. */
  #dial(hostname: string, port: number): Promise<Deno.TcpConn> {
    const ms = this.#options.dialTimeoutMs ?? 10_000;
    const dialing = (this.#options.connect ?? Deno.connect)({ hostname, port });
    let timer: TimerId | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = this.#clock.setTimeout(() => {
        dialing.then(closeQuietly, () => {});
        reject(new DialTimeoutError(joinHostPort(hostname, port), ms));
      }, ms);
    });
    return Promise.race([dialing, deadline]).finally(() => this.#clock.clearTimeout(timer!));
  }

  async #serveUdp(incoming: IncomingStream): Promise<void> {
    const { host, port } = incoming.destination;
    let address: string;
    let socket: Deno.DatagramConn;
    try {
      address = await resolveHost(host);
      socket = Deno.listenDatagram({
        transport: "udp",
        hostname: address.includes(":") ? "::" : "0.0.0.0",
        port: 0,
      });
    } catch (error) {
      incoming.reset(resetCodeForDialError(error), `${joinHostPort(host, port)}: ${error}`);
      return;
    }
    const stream = incoming.accept();
    let idleTimer: TimerId | undefined;
    const close = () => {
      this.#clock.clearTimeout(idleTimer!);
      closeQuietly(socket);
      stream.reset(ResetCode.Cancelled, "closing");
    };
    const idleMs = this.#options.udpIdleMs ?? 60_000;
    const touch = () => {
      this.#clock.clearTimeout(idleTimer!);
      idleTimer = this.#clock.setTimeout(() => {
        closeQuietly(socket);
        stream.reset(ResetCode.Timeout, `no datagram for ${idleMs} ms`);
      }, idleMs);
    };
    this.#closers.add(close);
    touch();
    try {
      await Promise.all([
        datagramsToSocket(stream, socket, { hostname: address, port, transport: "udp" }, touch),
        socketToDatagrams(socket, stream, touch),
      ]);
    } finally {
      this.#clock.clearTimeout(idleTimer!);
      closeQuietly(socket);
      this.#closers.delete(close);
    }
  }
}

async function datagramsToSocket(
  stream: Stream,
  socket: Deno.DatagramConn,
  to: Deno.NetAddr,
  touch: () => void,
): Promise<void> {
  try {
    for (let d = await stream.readDatagram(); d; d = await stream.readDatagram()) {
      touch();
      await socket.send(d, to);
    }
  } catch {
    // The stream was reset or the socket closed: the association is over either way.
  }
  closeQuietly(socket);
}

async function socketToDatagrams(
  socket: Deno.DatagramConn,
  stream: Stream,
  touch: () => void,
): Promise<void> {
  // Reused: writeDatagram() copies the datagram into its frame before it yields.
  const buffer = new Uint8Array(MAX_DATAGRAM);
  try {
    for (;;) {
      const [datagram] = await socket.receive(buffer);
      touch();
      await stream.writeDatagram(datagram);
    }
  } catch {
    // Socket closed (idle, reset or shutdown): nothing more to carry.
  }
  stream.reset(ResetCode.Cancelled, "association closed");
}

/** An IP address for `host`: itself when it is one, else its first A (or AAAA) record. */
async function resolveHost(host: string): Promise<string> {
  if (isIpAddress(host)) return host;
  const v4 = await Deno.resolveDns(host, "A").catch(() => [] as string[]);
  if (v4[0]) return v4[0];
  const v6 = await Deno.resolveDns(host, "AAAA");
  if (v6[0]) return v6[0];
  throw new Deno.errors.NotFound(`no address for ${host}`);
}

/** Whether `host` is an IPv4 or IPv6 literal. */
export function isIpAddress(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) ||
    (host.includes(":") && /^[0-9a-f:.]+$/i.test(host));
}
