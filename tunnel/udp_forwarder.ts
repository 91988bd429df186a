/**
 * UDP forwarding from one local socket: each local peer's datagrams form one association
 * (a tunnel stream, or a socket to a local app), and replies return to that peer. Idle
 * associations expire.
 *
 * @module
 */
import { type Clock, systemClock, type TimerId } from "./clock.ts";
import type { Logger } from "./log.ts";
import { joinHostPort, listenError } from "./net_errors.ts";
import { MAX_DATAGRAM, ResetCode, Transport } from "./protocol/mod.ts";
import { closeQuietly } from "./relay.ts";
import { type ForwardTarget, openTarget, type StreamOpener } from "./tcp_forwarder.ts";

/** Where one association's datagrams go: a tunnel {@link Stream} is one. */
export interface DatagramPath {
  /** Sends a datagram; copies it before it yields. Returns false when it was dropped. */
  writeDatagram(datagram: Uint8Array): Promise<boolean>;
  /** The next reply, or null once the path ended. */
  readDatagram(): Promise<Uint8Array | null>;
  /** Ends the path. */
  reset(code: ResetCode, reason: string): void;
}

/**
 * Associations through the tunnel: each one a UDP stream to `target`.
 *
 * @param opener the session, or what picks it
 * @param target where the far side sends the datagrams
 * @returns what {@link UdpForwarderOptions.open} takes
 */
export function throughTunnel(
  opener: StreamOpener,
  target: ForwardTarget,
): () => Promise<DatagramPath> {
  return () => openTarget(opener, Transport.Udp, target);
}

/** Options of {@link UdpForwarder.listen}. */
export interface UdpForwarderOptions {
  hostname: string;
  /** 0 picks a free port; see {@link UdpForwarder.port}. */
  port: number;
  /** Opens the path of a new association, such as {@link throughTunnel}. */
  open: () => Promise<DatagramPath>;
  /** Names the destination in logs. */
  label: string;
  logger: Logger;
  /** An association with no datagram either way for this long ends. Default 60 s. */
  idleMs?: number;
  /** Datagrams held per association while its stream opens; more are dropped. Default 64. */
  maxPending?: number;
  clock?: Clock;
}

interface Association {
  key: string;
  peer: Deno.NetAddr;
  stream: DatagramPath | undefined;
  pending: Uint8Array[];
  lastActive: number;
}

/**
 * Forwards UDP datagrams from a local socket.
 *
 * @example
 * ```ts
 * const target = { host: "dns.shop", port: 53 };
 * await using forwarder = UdpForwarder.listen({
 *   hostname: "127.241.0.1", port: 53, open: throughTunnel(session, target), label: "dns.shop:53", logger,
 * });
 * ```
 */
export class UdpForwarder {
  readonly #socket: Deno.DatagramConn;
  readonly #options: UdpForwarderOptions;
  readonly #clock: Clock;
  readonly #associations = new Map<string, Association>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #receiving: Promise<void>;
  #sweepTimer: TimerId | undefined;
  #closed = false;

  private constructor(socket: Deno.DatagramConn, options: UdpForwarderOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#receiving = this.#receive();
    this.#scheduleSweep();
  }

  /**
   * Binds the socket.
   *
   * @param options see {@link UdpForwarderOptions}
   * @returns the running forwarder
   * @throws {TpxError} when the address cannot be bound
   */
  static listen(options: UdpForwarderOptions): UdpForwarder {
    try {
      const socket = Deno.listenDatagram({
        transport: "udp",
        hostname: options.hostname,
        port: options.port,
      });
      return new UdpForwarder(socket, options);
    } catch (error) {
      throw listenError(error, joinHostPort(options.hostname, options.port));
    }
  }

  /** The port it listens on. */
  get port(): number {
    return (this.#socket.addr as Deno.NetAddr).port;
  }

  /** Associations alive now. */
  get associations(): number {
    return this.#associations.size;
  }

  async #receive(): Promise<void> {
    const buffer = new Uint8Array(MAX_DATAGRAM);
    for (;;) {
      let datagram: Uint8Array;
      let peer: Deno.NetAddr;
      try {
        const [data, addr] = await this.#socket.receive(buffer);
        datagram = data;
        peer = addr as Deno.NetAddr;
      } catch (error) {
        if (!this.#closed) this.#options.logger.error("UDP forwarder stopped", { error });
        return;
      }
      this.#forward(datagram, peer);
    }
  }

  #forward(datagram: Uint8Array, peer: Deno.NetAddr): void {
    const key = joinHostPort(peer.hostname, peer.port);
    let association = this.#associations.get(key);
    if (!association) {
      association = { key, peer, stream: undefined, pending: [], lastActive: 0 };
      this.#associations.set(key, association);
      this.#track(this.#open(association));
    }
    association.lastActive = this.#clock.now();
    if (association.stream) {
      // writeDatagram() copies before it yields, so the receive buffer may be reused.
      this.#track(this.#send(association.stream, datagram));
    } else if (association.pending.length < (this.#options.maxPending ?? 64)) {
      association.pending.push(datagram.slice());
    }
  }

  async #open(association: Association): Promise<void> {
    const { label, logger } = this.#options;
    let stream: DatagramPath;
    try {
      stream = await this.#options.open();
    } catch (error) {
      logger.info("UDP association refused", { target: label, peer: association.key, error });
      this.#associations.delete(association.key);
      return;
    }
    if (this.#closed || this.#associations.get(association.key) !== association) {
      stream.reset(ResetCode.Cancelled, "association ended");
      return;
    }
    association.stream = stream;
    for (const datagram of association.pending.splice(0)) await this.#send(stream, datagram);
    await this.#replies(association, stream);
  }

  async #send(stream: DatagramPath, datagram: Uint8Array): Promise<void> {
    try {
      await stream.writeDatagram(datagram);
    } catch (error) {
      this.#options.logger.debug("UDP datagram not forwarded", { error });
    }
  }

  async #replies(association: Association, stream: DatagramPath): Promise<void> {
    try {
      for (let d = await stream.readDatagram(); d; d = await stream.readDatagram()) {
        association.lastActive = this.#clock.now();
        await this.#socket.send(d, association.peer);
      }
    } catch (error) {
      if (!this.#closed) this.#options.logger.debug("UDP association ended", { error });
    } finally {
      if (this.#associations.get(association.key) === association) {
        this.#associations.delete(association.key);
      }
    }
  }

  #track(task: Promise<void>): void {
    const tracked = task.finally(() => this.#tasks.delete(tracked));
    this.#tasks.add(tracked);
  }

  #scheduleSweep(): void {
    const idleMs = this.#options.idleMs ?? 60_000;
    this.#sweepTimer = this.#clock.setTimeout(() => {
      const now = this.#clock.now();
      for (const association of [...this.#associations.values()]) {
        if (now - association.lastActive >= idleMs) this.#end(association, "idle");
      }
      this.#scheduleSweep();
    }, Math.max(1, idleMs / 2));
  }

  #end(association: Association, why: string): void {
    this.#associations.delete(association.key);
    association.stream?.reset(ResetCode.Cancelled, why);
  }

  /** Stops the socket and ends every association. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweepTimer !== undefined) this.#clock.clearTimeout(this.#sweepTimer);
    for (const association of [...this.#associations.values()]) this.#end(association, "closing");
    closeQuietly(this.#socket);
    await this.#receiving;
    await Promise.allSettled([...this.#tasks]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
