/**
 * The send side of a session: frames queue here (urgent ones first) and one write loop puts
 * them on the connection, joining small frames into one write. Senders feel backpressure once
 * too much is queued.
 *
 * @module
 */
import { type ByteChannel, writeAll } from "./channel.ts";
import { ChunkQueue } from "./chunk_queue.ts";

/** Queued outgoing bytes above which senders wait for the connection to drain. */
const HIGH_WATER = 1024 * 1024;
/** Small frames are written together up to this size. */
const COALESCE_LIMIT = 64 * 1024;

type Waiter = { resolve: () => void; reject: (e: Error) => void };

/**
 * Writes encoded frames to a channel in order, urgent frames ahead of the rest.
 *
 * @example
 * ```ts
 * const writer = new FrameWriter(conn, (error) => session.lost(error));
 * await writer.enqueue(frame, false);
 * ```
 */
export class FrameWriter {
  readonly #channel: ByteChannel;
  readonly #onError: (error: unknown) => void;
  readonly #urgent = new ChunkQueue();
  readonly #normal = new ChunkQueue();
  #queued = 0;
  #bytesOut = 0;
  #flushing: Promise<void> | undefined;
  #drainWaiters: Waiter[] = [];
  /** Told once their frame is written; see {@link enqueue}. */
  readonly #onWritten = new Map<Uint8Array, () => void>();

  /**
   * @param channel where frames go
   * @param onError told when a write fails; the writer stops then
   */
  constructor(channel: ByteChannel, onError: (error: unknown) => void) {
    this.#channel = channel;
    this.#onError = onError;
  }

  /** Bytes written so far. */
  get bytesOut(): number {
    return this.#bytesOut;
  }

  /**
   * Queues a frame and starts writing.
   *
   * @param frame the encoded frame; not copied, so it must not change
   * @param urgent whether it goes ahead of the frames queued without this flag
   * @param onWritten called once the channel took the frame's bytes (its write resolved, or
   *   they were copied into a joined write), so the caller may reuse the buffer; never called
   *   after {@link abort}
   * @returns resolves at once, or once the queue drained when too much is queued
   */
  enqueue(frame: Uint8Array, urgent: boolean, onWritten?: () => void): Promise<void> {
    if (onWritten) this.#onWritten.set(frame, onWritten);
    (urgent ? this.#urgent : this.#normal).push(frame);
    this.#queued += frame.length;
    if (!this.#flushing) this.flush().catch((error) => this.#onError(error));
    if (this.#queued < HIGH_WATER) return Promise.resolve();
    return new Promise((resolve, reject) => this.#drainWaiters.push({ resolve, reject }));
  }

  /** Resolves once everything queued so far is written; rejects when a write fails. */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing;
    if (this.#urgent.length === 0 && this.#normal.length === 0) return Promise.resolve();
    this.#flushing = this.#write();
    return this.#flushing;
  }

  /**
   * Drops what is queued and fails the senders waiting for room.
   *
   * @param error what they see
   */
  abort(error: Error): void {
    for (const waiter of this.#drainWaiters) waiter.reject(error);
    this.#drainWaiters = [];
    this.#urgent.clear();
    this.#normal.clear();
    this.#onWritten.clear();
  }

  async #write(): Promise<void> {
    try {
      for (let batch = this.#takeBatch(); batch; batch = this.#takeBatch()) {
        await writeAll(this.#channel, batch);
        this.#written(batch);
        this.#bytesOut += batch.length;
        this.#queued -= batch.length;
        if (this.#queued < HIGH_WATER / 2 && this.#drainWaiters.length > 0) {
          const waiters = this.#drainWaiters;
          this.#drainWaiters = [];
          for (const waiter of waiters) waiter.resolve();
        }
      }
    } finally {
      // Cleared in the same turn the queues were found empty. Clearing it later (in a
      // `.finally()` callback) left a window in which enqueue() saw a flush "under way", queued
      // a frame and started none: the frame then waited for the next enqueue, up to a keepalive
      // interval, or forever. flush() only starts a write with frames queued, so this always
      // runs after flush() assigned #flushing.
      this.#flushing = undefined;
    }
  }

  /** The next bytes to write: urgent frames first, small frames joined into one write. */
  #takeBatch(): Uint8Array | undefined {
    const first = this.#urgent.shift() ?? this.#normal.shift();
    if (!first || first.length >= COALESCE_LIMIT) return first;
    const parts = [first];
    let size = first.length;
    for (;;) {
      const queue = this.#urgent.length > 0 ? this.#urgent : this.#normal;
      const next = queue.peek();
      if (!next || size + next.length > COALESCE_LIMIT) break;
      parts.push(queue.shift()!);
      size += next.length;
    }
    if (parts.length === 1) return first;
    const joined = new Uint8Array(size);
    let offset = 0;
    for (const part of parts) {
      joined.set(part, offset);
      offset += part.length;
      // Copied: its buffer is free now.
      this.#written(part);
    }
    return joined;
  }

  #written(frame: Uint8Array): void {
    if (this.#onWritten.size === 0) return;
    const callback = this.#onWritten.get(frame);
    if (!callback) return;
    this.#onWritten.delete(frame);
    callback();
  }
}
