/**
 * One stream of a multiplexed session: a TCP connection (bytes, half-close) or a UDP
 * association (datagrams keep their boundaries), with credit-based flow control.
 *
 * @module
 */
import {
  type Destination,
  encodeData,
  encodeFrame,
  FrameType,
  HEADER_SIZE,
  MAX_DATAGRAM,
  ResetCode,
  TpxError,
  Transport,
  writeHeader,
} from "./protocol/mod.ts";
import { ChunkQueue } from "./chunk_queue.ts";
import { StreamResetError } from "./stream_errors.ts";

/** The largest data frame a stream sends; local reads are this size too. */
export const MAX_CHUNK = 64 * 1024;

/** The most credit a sender may hold: a window never exceeds 2^32-1 bytes (SPEC.md §9). */
export const MAX_SEND_WINDOW = 0xffff_ffff;

/** What a stream needs of its session. */
export interface StreamLink {
  /**
   * Queues an encoded frame; resolves when the session's send queue has room again.
   * `onWritten`, if given, is called once the frame's buffer may be reused.
   */
  send(frame: Uint8Array, urgent: boolean, onWritten?: () => void): Promise<void>;
  /** The stream is done on both sides; the session drops it (and its grown window). */
  release(stream: Stream): void;
  /**
   * Asks to grow a receive window by `bytes` beyond the initial one, out of what the session
   * allows all its streams together; false when that is spent.
   */
  growWindow(bytes: number): boolean;
}

/**
 * The largest receive window a stream grows to. Bulk transfers are limited by window ÷ the
 * time a credit takes to come back; 256 KiB gave the tunnel bench 0.47–0.50 of a plain
 * relay's throughput, 1 MiB 0.64.
 */
export const MAX_RECEIVE_WINDOW = 4 * 1024 * 1024;

type Waiter = { resolve: () => void; reject: (error: Error) => void };

/**
 * A stream. At most one reader and one writer at a time.
 */
export class Stream {
  readonly id: number;
  readonly destination: Destination;
  readonly #link: StreamLink;
  /** What the peer may have in flight to us: the initial window, grown while the reader keeps up. */
  #window: number;
  /** How much {@link #window} grew beyond the initial one (the session's budget holds it). */
  #grownBy = 0;
  /** Bytes read since the window last grew or was judged, and the most that waited meanwhile. */
  #readInRound = 0;
  #mostBufferedInRound = 0;
  #sendWindow: number;
  readonly #received = new ChunkQueue();
  /** Bytes the peer sent that we have not yet given credit back for. */
  #outstanding = 0;
  /** Bytes the reader consumed since the last credit we sent. */
  #consumed = 0;
  #finSent = false;
  #finReceived = false;
  #error: Error | undefined;
  #readWaiter: Waiter | undefined;
  #windowWaiter: Waiter | undefined;
  #released = false;

  constructor(id: number, destination: Destination, window: number, link: StreamLink) {
    this.id = id;
    this.destination = destination;
    this.#window = window;
    this.#sendWindow = window;
    this.#link = link;
  }

  /** Whether this stream carries UDP datagrams. */
  get isDatagram(): boolean {
    return this.destination.transport === Transport.Udp;
  }

  /** Bytes received and not yet read. */
  get buffered(): number {
    return this.#received.bytes;
  }

  /**
   * Reads bytes into `p`.
   *
   * @param p where to put them
   * @returns how many, or `null` once the peer half-closed and everything was read
   * @throws {StreamResetError} or {@link SessionClosedError} when the stream broke
   */
  async read(p: Uint8Array): Promise<number | null> {
    while (this.#received.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#finReceived) return null;
      await this.#wait("read");
    }
    const n = this.#received.readInto(p);
    this.#credit(n);
    return n;
  }

  /**
   * The next whole datagram of a UDP stream.
   *
   * @returns the datagram, or `null` when the stream ended
   */
  async readDatagram(): Promise<Uint8Array | null> {
    while (this.#received.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#finReceived) return null;
      await this.#wait("read");
    }
    const datagram = this.#received.shift()!;
    this.#credit(windowCost(datagram.length));
    return datagram;
  }

  /**
   * The next received bytes as they arrived, without copying: the relay's fast path.
   *
   * @returns a chunk of at most {@link MAX_CHUNK} bytes or one frame's payload, or `null`
   *   once the peer half-closed and everything was read
   */
  async readChunk(): Promise<Uint8Array | null> {
    while (this.#received.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#finReceived) return null;
      await this.#wait("read");
    }
    const chunk = this.#received.shift()!;
    this.#credit(chunk.length);
    return chunk;
  }

  /**
   * Every chunk received so far, as they arrived, without copying: the relay's fast path
   * when it fell behind. One credit for all of them means one window update where
   * {@link readChunk} sent one per chunk; each is a send that wakes the peer's thread. The
   * caller holds at most a window of them, as {@link readChunk}'s caller may hold one frame
   * of up to a window.
   *
   * @returns at least one chunk, or `null` once the peer half-closed and everything was read
   */
  async readChunks(): Promise<Uint8Array[] | null> {
    while (this.#received.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#finReceived) return null;
      await this.#wait("read");
    }
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    while (this.#received.length > 0) {
      const chunk = this.#received.shift()!;
      chunks.push(chunk);
      bytes += chunk.length;
    }
    this.#credit(bytes);
    return chunks;
  }

  /**
   * Sends `length` bytes that the caller read into `frame` after {@link HEADER_SIZE} bytes
   * of room, without copying; the stream owns `frame` until it calls `onWritten` (for good
   * without one).
   *
   * @param frame header room followed by the payload
   * @param length payload bytes, at most {@link MAX_CHUNK}
   * @param onWritten called once the frame was written and `frame` may be reused; not called
   *   when the session ends first
   */
  async writeFrame(frame: Uint8Array, length: number, onWritten?: () => void): Promise<void> {
    // Wait for credit for the whole payload: splitting it would need a copy for the header.
    for (;;) {
      this.#assertWritable();
      if (this.#sendWindow >= length) break;
      await this.#wait("window");
    }
    writeHeader(frame, 0, FrameType.Data, this.id, length);
    this.#sendWindow -= length;
    await this.#link.send(frame.subarray(0, HEADER_SIZE + length), false, onWritten);
  }

  /**
   * Writes all of `data`, waiting for credit as needed. `data` may be reused once it resolves.
   *
   * @param data the bytes
   */
  async write(data: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      this.#assertWritable();
      if (this.#sendWindow === 0) {
        await this.#wait("window");
        continue;
      }
      const n = Math.min(data.length - offset, this.#sendWindow, MAX_CHUNK);
      const frame = encodeData(this.id, data.subarray(offset, offset + n));
      this.#sendWindow -= n;
      offset += n;
      await this.#link.send(frame, false);
    }
  }

  /**
   * Sends one datagram. Like a full socket buffer, a datagram that does not fit the peer's
   * window is dropped.
   *
   * @param datagram at most {@link MAX_DATAGRAM} bytes
   * @returns whether it was sent
   * @throws {TpxError} when the datagram is too large; it is never split
   */
  async writeDatagram(datagram: Uint8Array): Promise<boolean> {
    this.#assertWritable();
    if (datagram.length > MAX_DATAGRAM) {
      throw new TpxError(
        "user",
        `Datagram of ${datagram.length} bytes is larger than the ${MAX_DATAGRAM} a UDP stream carries`,
        { code: "datagram_too_large" },
      );
    }
    const cost = windowCost(datagram.length);
    if (cost > this.#sendWindow) return false;
    this.#sendWindow -= cost;
    await this.#link.send(encodeData(this.id, datagram), false);
    return true;
  }

  /** Half-closes: the peer reads the end of the stream after what was written. */
  async closeWrite(): Promise<void> {
    if (this.#finSent || this.#error) return;
    this.#finSent = true;
    const sent = this.#link.send(encodeFrame({ type: FrameType.Fin, streamId: this.id }), false);
    if (this.#finReceived) this.#release();
    await sent;
  }

  /**
   * Aborts the stream in both directions and tells the peer why.
   *
   * @param code the reason's code
   * @param reason a short text for the peer's log
   */
  reset(code: ResetCode = ResetCode.Cancelled, reason = ""): void {
    if (this.#released) return;
    this.#fail(new StreamResetError(code, reason, false));
    this.#link.send(encodeFrame({ type: FrameType.Reset, streamId: this.id, code, reason }), true)
      .catch(() => {/* the session is gone, and with it the peer's stream */});
  }

  /** Whether the stream ended in both directions or broke. */
  get done(): boolean {
    return this.#released;
  }

  // The methods below are the session's: it calls them as frames for this stream arrive.

  /**
   * A data frame arrived.
   *
   * @param payload the frame's payload; kept as it is, so it must not be reused
   * @returns `undefined` when taken; otherwise the code the session resets the stream with
   *   (SPEC.md §7, §9): FlowControl beyond the window the peer was given, ProtocolError after
   *   the peer's Fin, TooLarge for a datagram over {@link MAX_DATAGRAM} bytes
   */
  receiveData(payload: Uint8Array): ResetCode | undefined {
    if (this.#released) return undefined;
    if (this.#finReceived) return ResetCode.ProtocolError;
    if (this.isDatagram && payload.length > MAX_DATAGRAM) return ResetCode.TooLarge;
    const cost = this.isDatagram ? windowCost(payload.length) : payload.length;
    if (this.#outstanding + cost > this.#window) return ResetCode.FlowControl;
    this.#outstanding += cost;
    // The session's decoder retains payloads (they stay valid), so no copy is needed.
    if (payload.length > 0 || this.isDatagram) this.#received.push(payload);
    if (this.#received.bytes > this.#mostBufferedInRound) {
      this.#mostBufferedInRound = this.#received.bytes;
    }
    this.#wake("read");
    return undefined;
  }

  /**
   * The peer returned `increment` bytes of credit.
   *
   * @param increment bytes, 1 to 2^32-1 (the decoder refuses others)
   * @returns `undefined` when taken; FlowControl when it would take the window over
   *   {@link MAX_SEND_WINDOW}, for the session to reset the stream with (SPEC.md §9)
   */
  receiveWindowUpdate(increment: number): ResetCode | undefined {
    // After our Fin nothing more is sent, so the credit no longer matters (SPEC.md §7).
    if (this.#finSent) return undefined;
    if (this.#sendWindow + increment > MAX_SEND_WINDOW) return ResetCode.FlowControl;
    this.#sendWindow += increment;
    this.#wake("window");
    return undefined;
  }

  /** The peer half-closed. */
  receiveFin(): void {
    this.#finReceived = true;
    this.#wake("read");
    if (this.#finSent) this.#release();
  }

  /** The peer reset the stream. */
  receiveReset(code: ResetCode, reason: string): void {
    this.#fail(new StreamResetError(code, reason, true));
  }

  /** The session ended under the stream. */
  abort(error: Error): void {
    this.#fail(error);
  }

  #assertWritable(): void {
    if (this.#error) throw this.#error;
    if (this.#finSent) {
      throw new TpxError("internal", `Stream ${this.id} was already closed for writing`);
    }
  }

  /** How much the receive window grew beyond the initial one; the session's budget holds it. */
  get grownWindow(): number {
    return this.#grownBy;
  }

  #credit(n: number): void {
    this.#consumed += n;
    this.#readInRound += n;
    // Credit in batches: a window update per read would double the frames on the wire. A
    // sender only waits once a whole window is outstanding, so a quarter always comes back.
    if (this.#consumed >= this.#window / 4) {
      const consumed = this.#consumed;
      this.#outstanding -= consumed;
      this.#consumed = 0;
      if (this.#error || this.#released) return;
      // After the peer's Fin nothing more comes: no use in a bigger window.
      const increment = consumed + (this.#finReceived ? 0 : this.#grow());
      this.#link.send(
        encodeFrame({ type: FrameType.WindowUpdate, streamId: this.id, increment }),
        true,
      ).catch(() => {/* session gone: the stream fails through abort() */});
    }
  }

  /**
   * Doubles the receive window (up to {@link MAX_RECEIVE_WINDOW}, within the session's budget)
   * once a whole window was read while the reader kept up — never more than half a window
   * waited: then the sender, not the reader, is what limits the stream, and a bigger window
   * lets more be in flight while credit comes back. A reader that falls behind or stops keeps
   * the window it has, so a stalled stream holds no more than before.
   *
   * @returns the extra credit to grant the peer with this window update
   */
  #grow(): number {
    if (this.#readInRound < this.#window) return 0;
    const keptUp = this.#mostBufferedInRound <= this.#window / 2;
    this.#readInRound = 0;
    this.#mostBufferedInRound = 0;
    const by = Math.min(this.#window, MAX_RECEIVE_WINDOW - this.#window);
    if (!keptUp || by <= 0 || !this.#link.growWindow(by)) return 0;
    this.#window += by;
    this.#grownBy += by;
    return by;
  }

  #fail(error: Error): void {
    if (this.#error) return;
    this.#error = error;
    this.#received.clear();
    this.#wake("read", error);
    this.#wake("window", error);
    this.#release();
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#link.release(this);
  }

  #wait(which: "read" | "window"): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      if (which === "read") this.#readWaiter = waiter;
      else this.#windowWaiter = waiter;
    });
  }

  #wake(which: "read" | "window", error?: Error): void {
    const waiter = which === "read" ? this.#readWaiter : this.#windowWaiter;
    if (!waiter) return;
    if (which === "read") this.#readWaiter = undefined;
    else this.#windowWaiter = undefined;
    if (error) waiter.reject(error);
    else waiter.resolve();
  }
}

/**
 * What a datagram costs of a stream's window: its length, and at least 1. Free empty
 * datagrams were never refused by the sender nor by the receiver's window check, so a peer
 * (or a local app sending empty UDP datagrams) could make the receiver queue them without
 * bound.
 */
function windowCost(length: number): number {
  return Math.max(1, length);
}
