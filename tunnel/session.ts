/**
 * The multiplexer: many {@link Stream}s and typed control messages over one byte stream,
 * after a version handshake.
 *
 * @module
 */
import type { ByteChannel } from "./channel.ts";
import { FrameWriter } from "./frame_writer.ts";
import { Pings } from "./pings.ts";
import { type Clock, systemClock, type TimerId } from "./clock.ts";
import type { Logger } from "./log.ts";
import {
  type ControlCodec,
  type Destination,
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameType,
  GoAwayCode,
  type Hello,
  INITIAL_WINDOW,
  MAX_DATAGRAM,
  negotiate,
  ProtocolError,
  ResetCode,
  TpxError,
} from "./protocol/mod.ts";
import { Stream, type StreamLink } from "./stream.ts";
import { SessionClosedError, StreamResetError } from "./stream_errors.ts";

/** Each stream's window in each direction, in bytes: the wire contract's (SPEC.md §9). */
export const STREAM_WINDOW = INITIAL_WINDOW;
/** The highest stream id; ids are never reused on a connection (SPEC.md §7). */
const MAX_STREAM_ID = 0xffff_ffff;
/**
 * What all of a session's streams together may grow their receive windows by, beyond the
 * initial ones: what a peer's fast streams can make this side buffer if they all stall at once.
 */
const MAX_GROWN_WINDOWS = 64 * 1024 * 1024;
/** How long a closing session waits for its last frames to be written. */
const GO_AWAY_FLUSH_MS = 1000;
/** Bytes of each receive buffer; retained payloads keep theirs alive. */
const RECEIVE_BUFFER = 256 * 1024;
/**
 * Smaller payloads are copied out of the receive buffer instead of retained. A retained view
 * keeps its whole buffer alive, so a stream whose reader stalled on many tiny frames pinned a
 * buffer per frame (32 one-byte frames held 8 MiB): with this floor a stream's window pins at
 * most RECEIVE_BUFFER / RETAIN_MIN times its size. Socket reads relayed in bulk are larger
 * (about 29 KiB on loopback), so they stay zero-copy.
 */
const RETAIN_MIN = 16 * 1024;

/** Options of {@link Session.connect}. */
export interface SessionOptions<Out, In> {
  /** The dialer sends the first hello and opens odd stream ids; the acceptor even ones. */
  side: "dialer" | "acceptor";
  hello: Hello;
  codec: ControlCodec<Out, In>;
  logger: Logger;
  /** Called for each stream the peer opens; call `accept` or `reset` on it. */
  onStream?: (stream: IncomingStream) => void;
  /** Called for each control message. */
  onMessage?: (message: In) => void;
  /** Lets the acceptor refuse a peer (for example, the wrong role): return the reason. */
  vetPeer?: (peer: Hello) => string | undefined;
  /** Ping this often; 0 turns keepalive off. Default 10 s. */
  keepaliveIntervalMs?: number;
  /** Close when nothing arrived for this long. Default 30 s. */
  keepaliveTimeoutMs?: number;
  /**
   * The first stream id this side opens: 1 for the dialer and 2 for the acceptor unless set,
   * and of that parity. Tests start near the end of the id space.
   */
  firstStreamId?: number;
  clock?: Clock;
}

/** How a session ended. */
export interface SessionEnd {
  code: GoAwayCode;
  reason: string;
  /** Whether the peer ended it (go-away received, or the connection dropped). */
  byPeer: boolean;
}

/** A stream the peer opened, not yet accepted. */
export interface IncomingStream {
  readonly destination: Destination;
  /** Takes the stream; the peer's `open()` resolves. */
  accept(): Stream;
  /** Refuses it; the peer's `open()` rejects with the reason. */
  reset(code: ResetCode, reason: string): void;
}

interface PendingOpen {
  stream: Stream;
  resolve: (stream: Stream) => void;
  reject: (error: Error) => void;
}

/**
 * A multiplexed session over one {@link ByteChannel}.
 *
 * @example
 * ```ts
 * const session = await Session.connect(conn, { side: "dialer", hello, codec, logger });
 * const stream = await session.open({ transport: Transport.Tcp, host: "web.shop", port: 80, tag: "" });
 * await stream.write(request);
 * ```
 */
export class Session<Out, In> {
  readonly #channel: ByteChannel;
  readonly #options: SessionOptions<Out, In>;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #decoder: FrameDecoder<In>;
  readonly #streams = new Map<number, Stream>();
  /** Bytes the streams' receive windows grew by, together (see {@link MAX_GROWN_WINDOWS}). */
  #grownWindows = 0;
  readonly #opening = new Map<number, PendingOpen>();
  #nextId: number;
  #peer: Hello | undefined;
  #protocol = 0;
  #handshake: { resolve: () => void; reject: (e: Error) => void } | undefined;

  readonly #writer: FrameWriter;

  #closing = false;
  #end: SessionEnd | undefined;
  #endError: Error | undefined;
  readonly #closed: Promise<SessionEnd>;
  #resolveClosed!: (end: SessionEnd) => void;
  #readLoop: Promise<void> = Promise.resolve();

  #lastReceived: number;
  #keepaliveTimer: TimerId | undefined;
  readonly #pings: Pings;
  #bytesIn = 0;

  private constructor(channel: ByteChannel, options: SessionOptions<Out, In>) {
    this.#channel = channel;
    this.#writer = new FrameWriter(
      channel,
      (error) => this.#lost(`write failed: ${describe(error)}`),
    );
    this.#options = options;
    this.#logger = options.logger;
    this.#clock = options.clock ?? systemClock;
    this.#pings = new Pings(this.#clock);
    // Retained payloads go to streams as they are: one copy less per byte received.
    this.#decoder = new FrameDecoder((raw) => options.codec.decode(raw), {
      initialCapacity: RECEIVE_BUFFER,
      retainPayloads: true,
    });
    this.#nextId = options.firstStreamId ?? (options.side === "dialer" ? 1 : 2);
    this.#lastReceived = this.#clock.now();
    this.#closed = new Promise((resolve) => this.#resolveClosed = resolve);
  }

  /**
   * Runs the handshake over `channel` and returns the session.
   *
   * @param channel the byte stream, already connected
   * @param options see {@link SessionOptions}
   * @returns the session, once both hellos were exchanged
   * @throws {TpxError} when the peer refuses or speaks no common protocol; the channel is closed
   */
  static async connect<Out, In>(
    channel: ByteChannel,
    options: SessionOptions<Out, In>,
  ): Promise<Session<Out, In>> {
    const session = new Session(channel, options);
    await session.#start();
    return session;
  }

  async #start(): Promise<void> {
    const shaken = new Promise<void>((resolve, reject) => this.#handshake = { resolve, reject });
    // Keepalive starts only after the handshake, so without this a peer that never says hello
    // (a hung manager behind a port-forward that did connect) kept connect() waiting forever.
    const timeout = this.#options.keepaliveTimeoutMs ?? 30_000;
    const timer = this.#clock.setTimeout(() => {
      this.#goAway(GoAwayCode.KeepaliveTimeout, `no hello received within ${timeout} ms`);
    }, timeout);
    if (this.#options.side === "dialer") this.#sendHello();
    this.#readLoop = this.#read();
    try {
      await shaken;
    } finally {
      this.#clock.clearTimeout(timer);
    }
    this.#scheduleKeepalive();
  }

  /** The peer's hello. */
  get peer(): Hello {
    if (!this.#peer) throw new TpxError("internal", "The handshake has not finished");
    return this.#peer;
  }

  /** The protocol version both sides speak. */
  get protocol(): number {
    return this.#protocol;
  }

  /** The last measured round trip, in milliseconds. */
  get rttMs(): number | undefined {
    return this.#pings.rttMs;
  }

  /** Open streams. */
  get streamCount(): number {
    return this.#streams.size;
  }

  /** Bytes received and sent on the connection, frames included. */
  get bytes(): { in: number; out: number } {
    return { in: this.#bytesIn, out: this.#writer.bytesOut };
  }

  /** Resolves once the session ended, however it ended; never rejects. */
  get closed(): Promise<SessionEnd> {
    return this.#closed;
  }

  /** Whether the session has ended. */
  get isClosed(): boolean {
    return this.#end !== undefined;
  }

  /**
   * Opens a stream to `destination` through the peer.
   *
   * @param destination where the peer should connect
   * @returns the stream, once the peer accepted it
   * @throws {StreamResetError} when the peer refused (unreachable, refused, not allowed…)
   */
  open(destination: Destination): Promise<Stream> {
    if (this.#endError) return Promise.reject(this.#endError);
    if (this.#nextId > MAX_STREAM_ID) {
      // Ids are never reused (SPEC.md §7): this connection is done, and the owner reconnects.
      void this.#goAway(GoAwayCode.Normal, "stream ids used up");
      return Promise.reject(new SessionClosedError("stream ids used up"));
    }
    const id = this.#nextId;
    this.#nextId += 2;
    const stream = new Stream(id, destination, STREAM_WINDOW, this.#link);
    return new Promise((resolve, reject) => {
      this.#opening.set(id, { stream, resolve, reject });
      this.#enqueue(encodeFrame({ type: FrameType.Open, streamId: id, destination }), true)
        .catch(reject);
    });
  }

  /**
   * Sends a control message.
   *
   * @param message one of the messages this side may send
   */
  send(message: Out): Promise<void> {
    return this.#enqueue(
      encodeFrame({
        type: FrameType.Control,
        streamId: 0,
        message: this.#options.codec.encode(message),
      }),
      true,
    );
  }

  /**
   * Measures the round trip to the peer.
   *
   * @returns milliseconds until the peer's pong arrived
   */
  async ping(): Promise<number> {
    const { opaque, rtt } = this.#pings.start();
    await this.#enqueue(encodeFrame({ type: FrameType.Ping, streamId: 0, opaque }), true);
    return await rtt;
  }

  /**
   * Ends the session: tells the peer why, then closes the connection.
   *
   * @param code why
   * @param reason a text for the peer
   */
  async close(code: GoAwayCode = GoAwayCode.Normal, reason = "closing"): Promise<void> {
    await this.#goAway(code, reason);
    await this.#readLoop;
  }

  /** Sends a go-away, flushes what is queued (for a bounded time), and ends the session. */
  async #goAway(code: GoAwayCode, reason: string): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const frame = encodeFrame({ type: FrameType.GoAway, streamId: 0, code, reason });
    // Last of all (SPEC.md §10): as an urgent frame it overtook the data and Fin frames still
    // queued, and the peer, which stops reading at a go-away, lost them. #enqueue takes no
    // frame after this one.
    this.#writer.enqueue(frame, false).catch(() => {/* the session ends below either way */});
    // A peer that stops reading must not keep us from closing.
    let timer: TimerId | undefined;
    const patience = new Promise<void>((resolve) => {
      timer = this.#clock.setTimeout(resolve, GO_AWAY_FLUSH_MS);
    });
    await Promise.race([this.#writer.flush().catch(() => {/* already gone */}), patience]);
    if (timer !== undefined) this.#clock.clearTimeout(timer);
    this.#finish({ code, reason, byPeer: false });
  }

  /** Closes with {@link GoAwayCode.Normal}; for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  readonly #link: StreamLink = {
    send: (frame, urgent, onWritten) => this.#enqueue(frame, urgent, onWritten),
    release: (stream) => {
      if (this.#streams.get(stream.id) === stream) this.#streams.delete(stream.id);
      this.#grownWindows -= stream.grownWindow;
    },
    growWindow: (bytes) => {
      if (this.#grownWindows + bytes > MAX_GROWN_WINDOWS) return false;
      this.#grownWindows += bytes;
      return true;
    },
  };

  #sendHello(): void {
    this.#enqueue(
      encodeFrame({ type: FrameType.Hello, streamId: 0, hello: this.#options.hello }),
      true,
    )
      .catch(() => {/* reported by the read loop */});
  }

  #enqueue(frame: Uint8Array, urgent: boolean, onWritten?: () => void): Promise<void> {
    if (this.#endError) return Promise.reject(this.#endError);
    if (this.#closing) return Promise.reject(new SessionClosedError("the session is closing"));
    return this.#writer.enqueue(frame, urgent, onWritten);
  }

  async #read(): Promise<void> {
    try {
      for (;;) {
        const space = this.#decoder.reserve(64 * 1024);
        const n = await this.#channel.read(space);
        // While our go-away is being flushed, the peer hanging up is the expected answer;
        // #goAway ends the session with its own code.
        if (n === null) {
          return this.#closing ? undefined : this.#lost("the peer closed the connection");
        }
        this.#decoder.commit(n);
        this.#bytesIn += n;
        this.#lastReceived = this.#clock.now();
        for (let frame = this.#decoder.next(); frame; frame = this.#decoder.next()) {
          this.#dispatch(frame);
          if (this.#closing || this.#end) return;
        }
      }
    } catch (error) {
      if (this.#end || this.#closing) return;
      if (error instanceof ProtocolError) {
        this.#logger.warn("closing a peer that sent malformed input", { reason: error.message });
        return await this.#goAway(GoAwayCode.ProtocolError, error.message);
      }
      this.#lost(`read failed: ${describe(error)}`);
    }
  }

  #dispatch(frame: Frame<In>): void {
    if (!this.#peer) return this.#dispatchBeforeHandshake(frame);
    switch (frame.type) {
      case FrameType.Hello:
        throw new ProtocolError("a second hello");
      case FrameType.Open:
        return this.#receiveOpen(frame.streamId, frame.destination);
      case FrameType.Accept:
        return this.#receiveAccept(frame.streamId);
      case FrameType.Data: {
        const stream = this.#streams.get(frame.streamId);
        if (!stream) return this.#beforeAccept(frame.streamId, "data");
        const payload = frame.payload.length < RETAIN_MIN ? frame.payload.slice() : frame.payload;
        const refusal = stream.receiveData(payload);
        if (refusal !== undefined) stream.reset(refusal, dataRefusals[refusal] ?? "data refused");
        return;
      }
      case FrameType.WindowUpdate: {
        // The window counts from the Open, so credit may come while the stream is opening.
        const stream = this.#streams.get(frame.streamId) ??
          this.#opening.get(frame.streamId)?.stream;
        if (stream?.receiveWindowUpdate(frame.increment) !== undefined) {
          stream.reset(ResetCode.FlowControl, "window over 2^32-1 bytes");
        }
        return;
      }
      case FrameType.Fin: {
        const stream = this.#streams.get(frame.streamId);
        return stream ? stream.receiveFin() : this.#beforeAccept(frame.streamId, "fin");
      }
      case FrameType.Reset:
        return this.#receiveReset(frame.streamId, frame.code, frame.reason);
      case FrameType.Ping:
        this.#enqueue(
          encodeFrame({ type: FrameType.Pong, streamId: 0, opaque: frame.opaque }),
          true,
        )
          .catch(() => {});
        return;
      case FrameType.Pong:
        return this.#pings.answered(frame.opaque);
      case FrameType.GoAway:
        this.#logger.info("peer closed the session", { code: frame.code, reason: frame.reason });
        this.#closeChannel();
        return this.#finish({ code: frame.code, reason: frame.reason, byPeer: true });
      case FrameType.Control:
        return this.#deliver(frame.message);
    }
  }

  #dispatchBeforeHandshake(frame: Frame<In>): void {
    if (frame.type === FrameType.GoAway) {
      this.#closeChannel();
      this.#finish({ code: frame.code, reason: frame.reason, byPeer: true });
      return;
    }
    if (frame.type !== FrameType.Hello) {
      throw new ProtocolError(`frame type ${frame.type} before the hello`);
    }
    const result = negotiate(this.#options.hello, frame.hello);
    const refusal = result.ok ? this.#vet(frame.hello) : result.reason;
    if (refusal !== undefined || !result.ok) {
      const code = result.ok ? GoAwayCode.Refused : GoAwayCode.VersionMismatch;
      const reason = refusal ?? "refused";
      this.#logger.warn("refusing a peer", { reason, peer: frame.hello.software });
      this.#goAway(code, reason);
      return;
    }
    this.#peer = frame.hello;
    this.#protocol = result.protocol;
    if (this.#options.side === "acceptor") this.#sendHello();
    this.#handshake?.resolve();
    this.#handshake = undefined;
  }

  /** The owner's verdict on a peer; a verdict that throws refuses, with a go-away. */
  #vet(peer: Hello): string | undefined {
    try {
      return this.#options.vetPeer?.(peer);
    } catch (error) {
      this.#logger.error("vetting a peer failed", { error: describe(error) });
      return "refused: the peer could not be checked";
    }
  }

  #receiveOpen(id: number, destination: Destination): void {
    const ownParity = this.#options.side === "dialer" ? 1 : 0;
    if (id % 2 === ownParity || this.#streams.has(id)) {
      throw new ProtocolError(`stream id ${id} is not the peer's to open`);
    }
    const stream = new Stream(id, destination, STREAM_WINDOW, this.#link);
    this.#streams.set(id, stream);
    let answered = false;
    const incoming: IncomingStream = {
      destination,
      accept: () => {
        if (answered) throw new TpxError("internal", `Stream ${id} was already answered`);
        answered = true;
        this.#enqueue(encodeFrame({ type: FrameType.Accept, streamId: id }), true).catch(() => {});
        return stream;
      },
      reset: (code, reason) => {
        answered = true;
        stream.reset(code, reason);
      },
    };
    if (!this.#options.onStream) {
      return incoming.reset(ResetCode.NotAllowed, "this peer accepts no streams");
    }
    try {
      this.#options.onStream(incoming);
    } catch (error) {
      this.#logger.error("stream handler failed", { error, stream: id });
      if (!answered) incoming.reset(ResetCode.Internal, describe(error));
    }
  }

  #receiveAccept(id: number): void {
    const pending = this.#opening.get(id);
    if (!pending) return;
    this.#opening.delete(id);
    this.#streams.set(id, pending.stream);
    pending.resolve(pending.stream);
  }

  /**
   * Data or Fin on a stream that is not open: ignored when unknown (it was in flight when the
   * stream closed); on a stream this side is still opening, a stream protocol error (SPEC.md
   * §7) that resets it and fails its open().
   */
  #beforeAccept(id: number, what: string): void {
    const pending = this.#opening.get(id);
    if (!pending) return;
    this.#opening.delete(id);
    const reason = `${what} before accept`;
    pending.stream.reset(ResetCode.ProtocolError, reason);
    pending.reject(new StreamResetError(ResetCode.ProtocolError, reason, false));
  }

  #receiveReset(id: number, code: ResetCode, reason: string): void {
    const pending = this.#opening.get(id);
    if (pending) {
      this.#opening.delete(id);
      pending.reject(new StreamResetError(code, reason, true));
      return;
    }
    this.#streams.get(id)?.receiveReset(code, reason);
  }

  #deliver(message: In): void {
    try {
      this.#options.onMessage?.(message);
    } catch (error) {
      this.#logger.error("control message handler failed", { error });
    }
  }

  #scheduleKeepalive(): void {
    const interval = this.#options.keepaliveIntervalMs ?? 10_000;
    if (interval <= 0 || this.#end) return;
    const timeout = this.#options.keepaliveTimeoutMs ?? 30_000;
    this.#keepaliveTimer = this.#clock.setTimeout(() => {
      this.#keepaliveTimer = undefined;
      const silentFor = this.#clock.now() - this.#lastReceived;
      if (silentFor >= timeout) {
        this.#goAway(
          GoAwayCode.KeepaliveTimeout,
          `nothing received for ${Math.round(silentFor)} ms`,
        );
        return;
      }
      this.ping().catch(() => {/* the session ended; nothing to measure */});
      this.#scheduleKeepalive();
    }, interval);
  }

  /** The connection dropped or failed without a go-away. */
  #lost(reason: string): void {
    // A go-away under way ends the session itself, with the code it was sent with.
    if (this.#end || this.#closing) return;
    this.#logger.info("tunnel connection lost", { reason });
    this.#closeChannel();
    this.#finish({ code: GoAwayCode.Internal, reason, byPeer: true });
  }

  /**
   * Closes the channel, which its owner may already have closed: a `Deno.Conn` throws
   * `BadResource` on a second close, and that used to escape the read loop as an unhandled
   * rejection (which ends a Deno process) before the session was finished.
   */
  #closeChannel(): void {
    try {
      this.#channel.close();
    } catch (error) {
      this.#logger.debug("closing the tunnel connection failed", { error: describe(error) });
    }
  }

  #finish(end: SessionEnd): void {
    if (this.#end) return;
    this.#end = end;
    const error = end.code === GoAwayCode.VersionMismatch || end.code === GoAwayCode.Refused
      ? new TpxError("config", end.reason, { code: "peer_refused" })
      : new SessionClosedError(end.reason);
    this.#endError = error;
    if (this.#keepaliveTimer !== undefined) this.#clock.clearTimeout(this.#keepaliveTimer);
    if (!end.byPeer) this.#closeChannel();
    this.#handshake?.reject(error);
    for (const pending of this.#opening.values()) pending.reject(error);
    this.#opening.clear();
    for (const stream of [...this.#streams.values()]) stream.abort(error);
    this.#streams.clear();
    this.#writer.abort(error);
    this.#pings.failAll(error);
    this.#resolveClosed(end);
  }
}

/** The reason sent with a Reset for each way {@link Stream.receiveData} refuses a frame. */
const dataRefusals: Partial<Record<ResetCode, string>> = {
  [ResetCode.FlowControl]: "data beyond the window",
  [ResetCode.ProtocolError]: "data after fin",
  [ResetCode.TooLarge]: `datagram over ${MAX_DATAGRAM} bytes`,
};

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
