/**
 * Reading length-prefixed DNS messages from a TCP connection (RFC 1035 4.2.2), several per
 * connection and split across reads in any way.
 *
 * @module
 */

/**
 * Reads one message after another from a byte stream.
 *
 * @example
 * ```ts
 * const frames = new FrameReader(conn);
 * for (let m = await frames.next(); m !== null; m = await frames.next()) handle(m);
 * ```
 */
export class FrameReader {
  readonly #reader: { read(p: Uint8Array): Promise<number | null> };
  #buffer = new Uint8Array(4096);
  #start = 0;
  #end = 0;

  /** @param reader where the bytes come from, such as a `Deno.Conn` */
  constructor(reader: { read(p: Uint8Array): Promise<number | null> }) {
    this.#reader = reader;
  }

  /**
   * The next message.
   *
   * @returns the message, or `null` when the stream ends between messages or inside one
   */
  async next(): Promise<Uint8Array | null> {
    if (!await this.#fill(2)) return null;
    const length = (this.#buffer[this.#start]! << 8) | this.#buffer[this.#start + 1]!;
    if (!await this.#fill(2 + length)) return null;
    const message = this.#buffer.slice(this.#start + 2, this.#start + 2 + length);
    this.#start += 2 + length;
    return message;
  }

  /** Reads until `count` bytes are buffered; false at the end of the stream. */
  async #fill(count: number): Promise<boolean> {
    while (this.#end - this.#start < count) {
      if (this.#start + count > this.#buffer.length) this.#makeRoom(count);
      const read = await this.#reader.read(this.#buffer.subarray(this.#end));
      if (read === null) return false;
      this.#end += read;
    }
    return true;
  }

  #makeRoom(count: number): void {
    const pending = this.#buffer.subarray(this.#start, this.#end);
    if (count > this.#buffer.length) {
      const bigger = new Uint8Array(count);
      bigger.set(pending);
      this.#buffer = bigger;
    } else {
      this.#buffer.copyWithin(0, this.#start, this.#end);
    }
    this.#end -= this.#start;
    this.#start = 0;
  }
}
