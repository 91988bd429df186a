/**
 * The byte streams a tunnel runs over: a `Deno.Conn`, a WebSocket (websocket_channel.ts), or
 * an in-memory pair for tests.
 *
 * @module
 */
import { ChunkQueue } from "./chunk_queue.ts";
import type { ByteChannel } from "./protocol/byte_channel.ts";

export type { ByteChannel };

/**
 * Writes all of `data`.
 *
 * @param channel where to
 * @param data what
 */
export async function writeAll(channel: ByteChannel, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.length) {
    written += await channel.write(data.subarray(written));
  }
}

/** The error of a read or write on a closed in-memory channel. */
export class ChannelClosedError extends Error {
  constructor() {
    super("channel closed");
    this.name = "ChannelClosedError";
  }
}

/** One direction of an in-memory pair: a bounded buffer, so a writer feels backpressure. */
class Pipe {
  readonly #chunks = new ChunkQueue();
  #buffered = 0;
  #ended = false;
  #broken = false;
  #wakeReader: (() => void) | undefined;
  #wakeWriter: (() => void) | undefined;

  constructor(readonly capacity: number) {}

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#broken) throw new ChannelClosedError();
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wakeReader = resolve);
    }
    const n = this.#chunks.readInto(p);
    this.#buffered -= n;
    this.#wake("writer");
    return n;
  }

  async write(p: Uint8Array): Promise<number> {
    while (this.#buffered >= this.capacity && !this.#ended) {
      await new Promise<void>((resolve) => this.#wakeWriter = resolve);
    }
    if (this.#ended) throw new ChannelClosedError();
    const n = Math.min(p.length, Math.max(1, this.capacity - this.#buffered));
    this.#chunks.push(p.slice(0, n));
    this.#buffered += n;
    this.#wake("reader");
    return n;
  }

  /** The writer is done: the reader drains what is buffered, then sees the end. */
  end(): void {
    this.#ended = true;
    this.#wake("reader");
    this.#wake("writer");
  }

  /** The reader is gone: pending and later reads fail, writes fail. */
  break(): void {
    this.#broken = true;
    this.#chunks.clear();
    this.end();
  }

  #wake(which: "reader" | "writer"): void {
    const wake = which === "reader" ? this.#wakeReader : this.#wakeWriter;
    if (which === "reader") this.#wakeReader = undefined;
    else this.#wakeWriter = undefined;
    wake?.();
  }
}

class PipeEnd implements ByteChannel {
  constructor(readonly incoming: Pipe, readonly outgoing: Pipe) {}
  read(p: Uint8Array): Promise<number | null> {
    return this.incoming.read(p);
  }
  write(p: Uint8Array): Promise<number> {
    return this.outgoing.write(p);
  }
  close(): void {
    this.outgoing.end();
    this.incoming.break();
  }
}

/**
 * Two connected in-memory channels: what one writes, the other reads.
 *
 * @param capacity bytes each direction buffers before writes wait
 * @returns both ends
 */
export function memoryChannelPair(capacity = 256 * 1024): [ByteChannel, ByteChannel] {
  const aToB = new Pipe(capacity);
  const bToA = new Pipe(capacity);
  return [new PipeEnd(bToA, aToB), new PipeEnd(aToB, bToA)];
}
