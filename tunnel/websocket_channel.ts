/**
 * A WebSocket as a {@link ByteChannel}: binary messages carry the bytes, in order.
 *
 * @module
 */
import { ChunkQueue } from "./chunk_queue.ts";
import type { ByteChannel } from "./channel.ts";
import { ChannelClosedError } from "./channel.ts";

/** Outgoing bytes the socket may buffer before writes wait. */
const HIGH_WATER = 1024 * 1024;
/** WebSocket has no drain event; a waiting writer looks again this often. */
const DRAIN_POLL_MS = 2;

/**
 * Wraps an open (or opening) WebSocket.
 *
 * @param socket the WebSocket; its `binaryType` is set to `arraybuffer`
 * @returns the channel, once the socket is open
 * @throws {ChannelClosedError} when the socket closes before it opens
 */
export async function websocketChannel(socket: WebSocket): Promise<ByteChannel> {
  socket.binaryType = "arraybuffer";
  if (socket.readyState === WebSocket.CONNECTING) {
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("close", () => reject(new ChannelClosedError()), { once: true });
    });
  }
  if (socket.readyState !== WebSocket.OPEN) throw new ChannelClosedError();
  return new WebSocketChannel(socket);
}

class WebSocketChannel implements ByteChannel {
  readonly #socket: WebSocket;
  readonly #chunks = new ChunkQueue();
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.addEventListener("message", (event) => {
      if (event.data instanceof ArrayBuffer) this.#chunks.push(new Uint8Array(event.data));
      this.#notify();
    });
    socket.addEventListener("close", () => {
      this.#ended = true;
      this.#notify();
    });
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const n = this.#chunks.readInto(p);
    return n;
  }

  async write(p: Uint8Array): Promise<number> {
    while (this.#socket.bufferedAmount > HIGH_WATER && this.#socket.readyState === WebSocket.OPEN) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
    if (this.#socket.readyState !== WebSocket.OPEN) throw new ChannelClosedError();
    this.#socket.send(p.slice());
    return p.length;
  }

  close(): void {
    this.#ended = true;
    if (this.#socket.readyState <= WebSocket.OPEN) this.#socket.close();
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
