/**
 * A connection with one reused read buffer: heads are parsed in place, and bodies are copied
 * from it slice by slice, so the hot path allocates nothing per read.
 *
 * @module
 */
import { closeQuietly, type DuplexConn } from "../../../tunnel/relay.ts";
import { MAX_HEAD_BYTES } from "./head_syntax.ts";

/** Enough for the heads and small bodies of most exchanges. */
const INITIAL_BUFFER_BYTES = 16 * 1024;

/**
 * A {@link DuplexConn} with buffered reads and whole writes. At most one read is in flight;
 * it may be started in the background ({@link BufferedConn.watch}) to notice that an idle
 * peer closed, and the next caller then awaits that same read.
 */
export class BufferedConn {
  readonly #conn: DuplexConn;
  // Small at first, since most connections carry small messages and many may sit idle; it
  // grows to the largest head when a head needs it or a body streams in bulk.
  #buffer = new Uint8Array(INITIAL_BUFFER_BYTES);
  #grow = false;
  #start = 0;
  #end = 0;
  #reading: Promise<void> | undefined;
  #eof = false;
  #error: unknown = undefined;
  #closed = false;

  /** @param conn the connection to wrap; {@link BufferedConn.close} closes it */
  constructor(conn: DuplexConn) {
    this.#conn = conn;
  }

  /** How many received bytes are not consumed yet. */
  get length(): number {
    return this.#end - this.#start;
  }

  /** Whether reading has ended: the peer closed its side, or a read failed. */
  get ended(): boolean {
    return this.#eof || this.#error !== undefined;
  }

  /** Whether the connection may be used for another exchange: open, quiet, nothing unread. */
  get reusable(): boolean {
    return !this.#closed && !this.ended && this.length === 0;
  }

  /**
   * The received bytes not consumed yet; valid until the next read or consume.
   *
   * @returns a view into the buffer, not a copy
   */
  view(): Uint8Array {
    return this.#buffer.subarray(this.#start, this.#end);
  }

  /**
   * Drops bytes from the front of {@link BufferedConn.view}.
   *
   * @param n how many; at most {@link BufferedConn.length}
   */
  consume(n: number): void {
    this.#start += n;
    if (this.#start === this.#end) this.#start = this.#end = 0;
  }

  /**
   * Reads more bytes behind the unconsumed ones.
   *
   * @returns false at the end of the stream
   * @throws what the read threw; a buffer full of unconsumed bytes is a bug of the caller
   */
  async fill(): Promise<boolean> {
    if (!this.ended) await (this.#reading ?? this.#read());
    if (this.#error !== undefined) throw this.#error;
    return !this.#eof;
  }

  /**
   * The unconsumed bytes, reading when there are none.
   *
   * @returns a view as {@link BufferedConn.view}, never empty; null at the end of the stream
   */
  async next(): Promise<Uint8Array | null> {
    if (this.length === 0 && !(await this.fill())) return null;
    return this.view();
  }

  /**
   * Starts a read in the background, so that a peer closing an idle connection is noticed
   * ({@link BufferedConn.reusable} turns false) before a request is sent on it.
   */
  watch(): void {
    if (!this.#reading && this.length === 0 && !this.ended && !this.#closed) void this.#read();
  }

  /**
   * Writes all of `bytes`.
   *
   * @param bytes what to write
   */
  async write(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await this.#conn.write(bytes.subarray(written));
  }

  /** Ends the writing side; a connection closed already is not an error here. */
  async closeWrite(): Promise<void> {
    try {
      await this.#conn.closeWrite();
    } catch (error) {
      if (
        !(error instanceof Deno.errors.NotConnected || error instanceof Deno.errors.BadResource)
      ) {
        throw error;
      }
    }
  }

  /** Closes the connection and waits until a read in flight has settled. */
  async close(): Promise<void> {
    this.#closed = true;
    closeQuietly(this.#conn);
    await this.#reading;
  }

  #read(): Promise<void> {
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
      if (this.#grow) this.#enlarge();
    } else if (this.#end === this.#buffer.length) {
      if (this.#start > 0) {
        this.#buffer.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      } else if (this.#buffer.length < MAX_HEAD_BYTES) {
        this.#enlarge();
      } else {
        throw new RangeError("BufferedConn: the buffer is full");
      }
    }
    this.#reading = this.#readInto(this.#buffer.subarray(this.#end));
    return this.#reading;
  }

  #enlarge(): void {
    if (this.#buffer.length >= MAX_HEAD_BYTES) return;
    const larger = new Uint8Array(MAX_HEAD_BYTES);
    larger.set(this.#buffer.subarray(this.#start, this.#end));
    this.#end -= this.#start;
    this.#start = 0;
    this.#buffer = larger;
  }

  /** One read whose outcome is recorded, never thrown: a background read has no one to throw to. */
  async #readInto(free: Uint8Array): Promise<void> {
    try {
      const n = await this.#conn.read(free);
      if (n === null) {
        this.#eof = true;
      } else {
        this.#end += n;
        // A read that fills all the room there was: more is streaming in than fits.
        if (n === free.length) this.#grow = true;
      }
    } catch (error) {
      this.#error = error;
    } finally {
      this.#reading = undefined;
    }
  }
}

/**
 * Reads until `parse` stops answering `incomplete`.
 *
 * @param conn where the head arrives; it stays buffered there, unconsumed
 * @param parse a head parser such as `parseRequestHead`
 * @returns the parser's verdict, or null when the stream ended first (with
 *   {@link BufferedConn.length} telling whether part of a head came)
 */
export async function readHead<T extends { readonly kind: string }>(
  conn: BufferedConn,
  parse: (bytes: Uint8Array, scanned: number) => T,
): Promise<Exclude<T, { readonly kind: "incomplete" }> | null> {
  let scanned = 0;
  for (;;) {
    if (conn.length > scanned) {
      const result = parse(conn.view(), scanned);
      if (result.kind !== "incomplete") return result as Exclude<T, { kind: "incomplete" }>;
      scanned = conn.length;
    }
    if (!(await conn.fill())) return null;
  }
}
