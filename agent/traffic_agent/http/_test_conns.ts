/**
 * In-memory connections for the unit tests of this folder. Nothing outside its `*_test.ts`
 * files imports this.
 *
 * @module
 */
import type { DuplexConn } from "../../../tunnel/relay.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes of a string, for tests. */
export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Text of bytes, for tests. */
export function text(data: Uint8Array): string {
  return decoder.decode(data);
}

/**
 * A connection whose reads return the given chunks one at a time (each cut to fit the read
 * buffer), then the end of the stream; what is written to it is recorded.
 */
export class ScriptedConn implements DuplexConn {
  readonly #chunks: Uint8Array[];
  readonly #written: Uint8Array[] = [];
  /** Set by closeWrite. */
  writeClosed = false;
  /** Set by close. */
  closed = false;

  /** @param chunks what the reads return, in order */
  constructor(chunks: (Uint8Array | string)[] = []) {
    this.#chunks = chunks.map((chunk) => typeof chunk === "string" ? bytes(chunk) : chunk);
  }

  read(p: Uint8Array): Promise<number | null> {
    if (this.closed) return Promise.reject(new Deno.errors.BadResource("closed"));
    const chunk = this.#chunks.shift();
    if (chunk === undefined) return Promise.resolve(null);
    const n = Math.min(chunk.length, p.length);
    p.set(chunk.subarray(0, n));
    if (n < chunk.length) this.#chunks.unshift(chunk.subarray(n));
    return Promise.resolve(n);
  }

  write(p: Uint8Array): Promise<number> {
    if (this.writeClosed || this.closed) return Promise.reject(new Deno.errors.BrokenPipe());
    this.#written.push(p.slice());
    return Promise.resolve(p.length);
  }

  closeWrite(): Promise<void> {
    this.writeClosed = true;
    return Promise.resolve();
  }

  close(): void {
    this.closed = true;
  }

  /** Everything written, joined. */
  get written(): Uint8Array {
    const all = new Uint8Array(this.#written.reduce((n, chunk) => n + chunk.length, 0));
    let offset = 0;
    for (const chunk of this.#written) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    return all;
  }

  /** How many writes there were. */
  get writes(): number {
    return this.#written.length;
  }
}

/**
 * `data` cut into pieces at the given offsets.
 *
 * @param data the whole
 * @param cuts increasing offsets inside it
 * @returns the pieces, empty ones left out
 */
export function cutAt(data: Uint8Array, ...cuts: number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const cut of [...cuts, data.length]) {
    if (cut > from) pieces.push(data.subarray(from, cut));
    from = Math.max(from, cut);
  }
  return pieces;
}
