/**
 * Where a forwarded request's body ends, so that the proxy passes the origin one request and
 * nothing after it: bytes a client pipelines behind its request may be meant for another
 * host, and must not reach this one.
 *
 * @module
 */
import type { DuplexConn } from "../relay.ts";
import type { BodyLength } from "./http_request.ts";

/** A chunked body that does not follow RFC 9112 §7.1. */
export class MalformedBodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedBodyError";
  }
}

const enum Chunked {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  EndLf,
  Done,
}

/** The most hex digits of a chunk size: 2^52 bytes is more than anyone sends. */
const MAX_SIZE_DIGITS = 13;

/**
 * Follows a request body through its bytes without copying them.
 *
 * @example
 * ```ts
 * const scanner = new BodyScanner({ kind: "length", length: 5 });
 * scanner.consume(new TextEncoder().encode("hello, next request")); // 5
 * scanner.done; // true
 * ```
 */
export class BodyScanner {
  #remaining: number;
  readonly #chunked: boolean;
  #state = Chunked.Size;
  #digits = 0;

  constructor(length: BodyLength) {
    this.#chunked = length.kind === "chunked";
    this.#remaining = length.kind === "length" ? length.length : 0;
    if (length.kind === "none") this.#state = Chunked.Done;
  }

  /** Whether the whole body went by. */
  get done(): boolean {
    return this.#chunked ? this.#state === Chunked.Done : this.#remaining === 0;
  }

  /**
   * Takes the next bytes from the client.
   *
   * @param bytes what the client sent next
   * @returns how many of them belong to the body; the rest come after it
   * @throws {MalformedBodyError} when a chunked body breaks its framing
   */
  consume(bytes: Uint8Array): number {
    if (!this.#chunked) {
      const n = Math.min(this.#remaining, bytes.length);
      this.#remaining -= n;
      return n;
    }
    let i = 0;
    while (i < bytes.length && this.#state !== Chunked.Done) {
      if (this.#state === Chunked.Data) {
        const n = Math.min(this.#remaining, bytes.length - i);
        i += n;
        this.#remaining -= n;
        if (this.#remaining === 0) this.#state = Chunked.DataCr;
        continue;
      }
      this.#step(bytes[i]!);
      i++;
    }
    return i;
  }

  #step(byte: number): void {
    switch (this.#state) {
      case Chunked.Size: {
        const digit = hexValue(byte);
        if (digit >= 0) {
          if (++this.#digits > MAX_SIZE_DIGITS) throw new MalformedBodyError("chunk size too long");
          this.#remaining = this.#remaining * 16 + digit;
        } else if (this.#digits === 0) {
          throw new MalformedBodyError("chunk size expected");
        } else if (byte === 0x3b /* ; */ || byte === 0x20 || byte === 0x09) {
          this.#state = Chunked.Extension;
        } else this.#endSizeLine(byte);
        return;
      }
      case Chunked.Extension:
        if (byte === 0x0d || byte === 0x0a) this.#endSizeLine(byte);
        return;
      case Chunked.SizeLf:
        this.#expectLf(byte);
        this.#startData();
        return;
      case Chunked.DataCr:
        if (byte === 0x0d) {
          this.#state = Chunked.DataLf;
        } else {
          this.#expectLf(byte);
          this.#nextChunk();
        }
        return;
      case Chunked.DataLf:
        this.#expectLf(byte);
        this.#nextChunk();
        return;
      case Chunked.TrailerStart:
        if (byte === 0x0d) this.#state = Chunked.EndLf;
        else if (byte === 0x0a) this.#state = Chunked.Done;
        else this.#state = Chunked.Trailer;
        return;
      case Chunked.Trailer:
        if (byte === 0x0a) this.#state = Chunked.TrailerStart;
        return;
      case Chunked.EndLf:
        this.#expectLf(byte);
        this.#state = Chunked.Done;
        return;
    }
  }

  #endSizeLine(byte: number): void {
    if (byte === 0x0d) this.#state = Chunked.SizeLf;
    else if (byte === 0x0a) this.#startData();
    else throw new MalformedBodyError("malformed chunk size");
  }

  #startData(): void {
    this.#digits = 0;
    this.#state = this.#remaining === 0 ? Chunked.TrailerStart : Chunked.Data;
  }

  #nextChunk(): void {
    this.#state = Chunked.Size;
  }

  #expectLf(byte: number): void {
    if (byte !== 0x0a) throw new MalformedBodyError("line feed expected");
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}

/**
 * The client's side of a forwarded request as the relay reads it: the rewritten head, then
 * the body, then nothing — what the client sends after the body is read and dropped until it
 * closes, so the relay still notices a client that goes away. The end of the body is not
 * passed on as a half-close, since many servers (Node's among them) drop a request whose
 * client half-closed before the response.
 *
 * @param client the client connection (with anything read ahead put back in front)
 * @param head the head to send to the origin
 * @param scanner the body's framing
 * @returns the connection view
 */
export function forwardedRequest(
  client: DuplexConn,
  head: Uint8Array,
  scanner: BodyScanner,
): DuplexConn {
  let pendingHead = head;
  let discard: Uint8Array | undefined;
  return {
    async read(p) {
      if (pendingHead.length > 0) {
        const n = Math.min(p.length, pendingHead.length);
        p.set(pendingHead.subarray(0, n));
        pendingHead = pendingHead.subarray(n);
        return n;
      }
      while (!scanner.done) {
        const n = await client.read(p);
        if (n === null) return null;
        const body = scanner.consume(p.subarray(0, n));
        if (body > 0) return body;
      }
      discard ??= new Uint8Array(4096);
      while (await client.read(discard) !== null);
      return null;
    },
    write: (p) => client.write(p),
    closeWrite: () => client.closeWrite(),
    close: () => client.close(),
  };
}
