/**
 * Reads a client's opening bytes (a SOCKS5 greeting, an HTTP request head) with a bound on how
 * much it buffers, and hands on whatever the client sent beyond them: clients commonly send
 * their first payload (a TLS ClientHello, say) right behind the handshake without waiting.
 *
 * @module
 */
import { TpxError } from "../protocol/mod.ts";
import type { DuplexConn } from "../relay.ts";

/** The client closed the connection before it finished its handshake. */
export class IncompleteHandshakeError extends TpxError {
  constructor() {
    super("user", "The client closed the connection in the middle of its handshake", {
      code: "proxy_handshake_incomplete",
    });
    this.name = "IncompleteHandshakeError";
  }
}

/** An HTTP request head longer than allowed. */
export class HeadTooLargeError extends TpxError {
  constructor(max: number) {
    super("user", `The request head is longer than ${max} bytes`, {
      code: "proxy_head_too_large",
      hint: "send fewer or shorter header fields",
    });
    this.name = "HeadTooLargeError";
  }
}

/**
 * A buffer in front of a connection, for parsing handshakes.
 *
 * @example
 * ```ts
 * const reader = new HandshakeReader(conn, 16 * 1024);
 * const [version, count] = await reader.readExact(2);
 * ```
 */
export class HandshakeReader {
  readonly #conn: DuplexConn;
  readonly #buffer: Uint8Array;
  #start = 0;
  #end = 0;
  /** Where the search for the end of a head goes on, so a byte-by-byte sender costs O(n). */
  #scanned = 0;

  /**
   * @param conn the client connection
   * @param capacity the most bytes ever buffered (the bound on a head)
   */
  constructor(conn: DuplexConn, capacity: number) {
    this.#conn = conn;
    this.#buffer = new Uint8Array(capacity);
  }

  /** Bytes buffered and not yet consumed. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /**
   * The next byte, without consuming it.
   *
   * @returns the byte
   * @throws {IncompleteHandshakeError} when the client closed first
   */
  async peekByte(): Promise<number> {
    await this.#need(1);
    return this.#buffer[this.#start]!;
  }

  /**
   * Consumes exactly `n` bytes.
   *
   * @param n how many; at most the capacity
   * @returns a copy of them
   * @throws {IncompleteHandshakeError} when the client closed first
   */
  async readExact(n: number): Promise<Uint8Array> {
    await this.#need(n);
    const bytes = this.#buffer.slice(this.#start, this.#start + n);
    this.#start += n;
    return bytes;
  }

  /**
   * Consumes an HTTP head: everything up to and including the empty line (CRLF CRLF, or bare
   * LF LF as RFC 9112 §2.2 lets a recipient accept).
   *
   * @returns a copy of the head
   * @throws {HeadTooLargeError} when no empty line came within the capacity
   * @throws {IncompleteHandshakeError} when the client closed first
   */
  async readHead(): Promise<Uint8Array> {
    this.#scanned = this.#start;
    for (;;) {
      const end = this.#findHeadEnd();
      if (end >= 0) {
        const head = this.#buffer.slice(this.#start, end);
        this.#start = end;
        return head;
      }
      if (this.buffered >= this.#buffer.length) throw new HeadTooLargeError(this.#buffer.length);
      await this.#fill();
    }
  }

  /**
   * Takes the bytes buffered beyond the handshake, leaving the buffer empty.
   *
   * @returns a copy of them (possibly empty)
   */
  takeRest(): Uint8Array {
    const rest = this.#buffer.slice(this.#start, this.#end);
    this.#start = this.#end = 0;
    return rest;
  }

  /**
   * The connection as the relay should read it: the buffered rest first, then the socket.
   *
   * @returns `conn` itself when nothing is buffered
   */
  connection(): DuplexConn {
    const rest = this.takeRest();
    return rest.length === 0 ? this.#conn : prefixed(this.#conn, rest);
  }

  #findHeadEnd(): number {
    const b = this.#buffer;
    // Step back over bytes of a terminator that may have been cut by the last read.
    let i = Math.max(this.#start, this.#scanned - 3);
    for (; i < this.#end; i++) {
      if (b[i] !== 0x0a) continue;
      if (i + 1 < this.#end && b[i + 1] === 0x0a) return i + 2;
      if (i + 2 < this.#end && b[i + 1] === 0x0d && b[i + 2] === 0x0a) return i + 3;
    }
    this.#scanned = this.#end;
    return -1;
  }

  async #need(n: number): Promise<void> {
    if (n > this.#buffer.length) throw new RangeError(`cannot buffer ${n} bytes`);
    while (this.buffered < n) await this.#fill();
  }

  async #fill(): Promise<void> {
    if (this.#end === this.#buffer.length) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#scanned -= this.#start;
      this.#end -= this.#start;
      this.#start = 0;
    }
    const n = await this.#conn.read(this.#buffer.subarray(this.#end));
    if (n === null) throw new IncompleteHandshakeError();
    this.#end += n;
  }
}

/**
 * `conn`, with `first` read before anything from the socket.
 *
 * @param conn the connection
 * @param first bytes already taken from it
 * @returns the combined view
 */
export function prefixed(conn: DuplexConn, first: Uint8Array): DuplexConn {
  let pending = first;
  return {
    read(p) {
      if (pending.length === 0) return conn.read(p);
      const n = Math.min(p.length, pending.length);
      p.set(pending.subarray(0, n));
      pending = pending.subarray(n);
      return Promise.resolve(n);
    },
    write: (p) => conn.write(p),
    closeWrite: () => conn.closeWrite(),
    close: () => conn.close(),
  };
}
