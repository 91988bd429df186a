/**
 * Finds where a chunked body ends (RFC 9112 §7.1) without decoding it: the agent passes the
 * chunks on verbatim and only needs to know which bytes belong to the body.
 *
 * @module
 */
import { TpxError } from "../../../tunnel/protocol/mod.ts";

const State = {
  Size: 0,
  Extension: 1,
  SizeLf: 2,
  Data: 3,
  DataCr: 4,
  DataLf: 5,
  TrailerStart: 6,
  Trailer: 7,
  TrailerEndLf: 8,
  Done: 9,
} as const;
type State = typeof State[keyof typeof State];

/** 13 hex digits stay below 2^52, exact as a number; no real chunk is longer. */
const MAX_SIZE_DIGITS = 13;
const CR = 0x0d;
const LF = 0x0a;

/**
 * A state machine over a chunked body that arrives in pieces of any size. Chunk data is
 * skipped in one step per piece; only sizes, extensions and trailers are read byte by byte.
 *
 * @example
 * ```ts
 * const scanner = new ChunkedScanner();
 * scanner.scan(new TextEncoder().encode("3\r\nabc\r\n0\r\n\r\nGET /next")); // 15
 * scanner.done; // true
 * ```
 */
export class ChunkedScanner {
  #state: State = State.Size;
  #digits = 0;
  #size = 0;
  #remaining = 0;

  /** Whether the last chunk and the trailer section have been seen. */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /**
   * Scans the next piece of the body.
   *
   * @param bytes the bytes that follow those scanned before
   * @returns how many of them belong to the body: all, unless it ends inside `bytes`
   * @throws {TpxError} with code `malformed_http` when the bytes are not a chunked body
   */
  scan(bytes: Uint8Array): number {
    let i = 0;
    while (i < bytes.length && this.#state !== State.Done) {
      if (this.#state === State.Data) {
        const take = Math.min(this.#remaining, bytes.length - i);
        i += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#state = State.DataCr;
        continue;
      }
      this.#step(bytes[i]!);
      i++;
    }
    return i;
  }

  #step(b: number): void {
    switch (this.#state) {
      case State.Size:
        return this.#sizeByte(b);
      case State.Extension:
        // Extensions are passed on unread; only the line end matters.
        if (b === LF) this.#endSizeLine();
        return;
      case State.SizeLf:
        return b === LF ? this.#endSizeLine() : fail("a CR without LF after a chunk size");
      case State.DataCr:
        if (b === CR) this.#state = State.DataLf;
        else if (b === LF) this.#startSize();
        else fail("chunk data longer than its size");
        return;
      case State.DataLf:
        return b === LF ? this.#startSize() : fail("a CR without LF after chunk data");
      case State.TrailerStart:
        if (b === CR) this.#state = State.TrailerEndLf;
        else if (b === LF) this.#state = State.Done;
        else this.#state = State.Trailer;
        return;
      case State.Trailer:
        if (b === LF) this.#state = State.TrailerStart;
        return;
      case State.TrailerEndLf:
        return b === LF ? void (this.#state = State.Done) : fail("a CR without LF in the trailer");
    }
  }

  #sizeByte(b: number): void {
    const digit = hexValue(b);
    if (digit >= 0) {
      if (++this.#digits > MAX_SIZE_DIGITS) fail("a chunk size too large");
      this.#size = this.#size * 16 + digit;
      return;
    }
    if (this.#digits === 0) fail("a chunk without a size");
    if (b === CR) this.#state = State.SizeLf;
    else if (b === LF) this.#endSizeLine();
    else if (b === 0x3b || b === 0x20 || b === 0x09) this.#state = State.Extension;
    else fail("an invalid character in a chunk size");
  }

  #endSizeLine(): void {
    if (this.#size === 0) {
      this.#state = State.TrailerStart;
    } else {
      this.#remaining = this.#size;
      this.#state = State.Data;
    }
  }

  #startSize(): void {
    this.#state = State.Size;
    this.#digits = 0;
    this.#size = 0;
  }
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x57;
  if (b >= 0x41 && b <= 0x46) return b - 0x37;
  return -1;
}

function fail(reason: string): never {
  throw new TpxError("internal", `Malformed chunked body: ${reason}`, { code: "malformed_http" });
}
