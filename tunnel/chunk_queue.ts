/**
 * Received bytes waiting for their reader, as the chunks they arrived in: streams, in-memory
 * channels and WebSocket channels all keep one.
 *
 * @module
 */

/**
 * A first-in first-out queue of byte chunks with constant-time removal at the head
 * (`Array.prototype.shift` is linear in V8 for long arrays, which made a reader of many small
 * chunks quadratic).
 */
export class ChunkQueue {
  #items: (Uint8Array | undefined)[] = [];
  #head = 0;
  #bytes = 0;

  /** Chunks queued. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Bytes queued. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Appends a chunk; it is kept, not copied. */
  push(chunk: Uint8Array): void {
    this.#items.push(chunk);
    this.#bytes += chunk.length;
  }

  /** The first chunk, without removing it. */
  peek(): Uint8Array | undefined {
    return this.#items[this.#head];
  }

  /** Removes and returns the first chunk, whole. */
  shift(): Uint8Array | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const chunk = this.#items[this.#head]!;
    this.#items[this.#head++] = undefined;
    this.#bytes -= chunk.length;
    // Drop the consumed slots once they are most of the array; amortized constant time.
    if (this.#head === this.#items.length) this.clear();
    else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return chunk;
  }

  /**
   * Moves bytes into `p`, splitting the first chunk when it does not fit.
   *
   * @param p where to copy
   * @returns how many bytes were copied
   */
  readInto(p: Uint8Array): number {
    let n = 0;
    while (n < p.length && this.#head < this.#items.length) {
      const chunk = this.#items[this.#head]!;
      const take = Math.min(chunk.length, p.length - n);
      p.set(take === chunk.length ? chunk : chunk.subarray(0, take), n);
      n += take;
      if (take === chunk.length) this.shift();
      else {
        this.#items[this.#head] = chunk.subarray(take);
        this.#bytes -= take;
      }
    }
    return n;
  }

  /** Drops everything. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#bytes = 0;
  }
}
