/**
 * A port-forward WebSocket as a {@link ByteChannel}: the bytes of the pod's connection, with
 * the kubelet's error text turned into a {@link TpxError} instead of a silent end.
 *
 * @module
 */
import type { ByteChannel } from "../../tunnel/protocol/byte_channel.ts";
import { TpxError } from "../../tunnel/protocol/errors.ts";
import {
  forwardFailed,
  forwardProtocol,
  forwardTimeout,
  PortForwardErrorCode,
  type PortForwardTarget,
} from "./errors.ts";
import { dataMessage, PortForwardProtocolError, PortForwardReader } from "./protocol.ts";

/**
 * Outgoing bytes the socket may buffer before writes wait. With 1 MiB the socket ran dry
 * between polls: raw uploads to a pod measured 62–84 MB/s, and 92–102 MB/s with 4 MiB. (Joining
 * writes into 256 KiB messages was tried as well and did not help the tunnel's uploads.)
 */
const HIGH_WATER = 4 * 1024 * 1024;
/** WebSocket has no drain event; a waiting writer looks again this often. */
const DRAIN_POLL_MS = 1;

/** The WebSocket closed before it was open: the caller finds out why (see open.ts). */
export class HandshakeFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HandshakeFailedError";
  }
}

/** Options of {@link connectPortForward}. */
export interface ConnectOptions {
  /** How long the port frames may take. Default 10 s. */
  timeoutMs?: number;
  /** Runs once when the socket has closed, to free what it used (its HTTP client). */
  onClosed?: () => void;
}

/**
 * Waits until `socket` is open and the server named the port on both channels.
 *
 * @param socket a WebSocket to a pod's `portforward` endpoint, connecting or open
 * @param target the pod and port, for messages
 * @param options timeout and clean-up
 * @returns the channel
 * @throws {HandshakeFailedError} when the socket closes before it opens
 * @throws {TpxError} the kubelet's error, a protocol error, or the timeout
 */
export function connectPortForward(
  socket: WebSocket,
  target: PortForwardTarget,
  options: ConnectOptions = {},
): Promise<ByteChannel> {
  const channel = new PortForwardSocketChannel(socket, target, options.onClosed);
  const timeoutMs = options.timeoutMs ?? 10_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      channel.close();
      reject(forwardTimeout(target, timeoutMs));
    }, timeoutMs);
  });
  return Promise.race([channel.ready.then(() => channel), deadline])
    .finally(() => clearTimeout(timer));
}

class PortForwardSocketChannel implements ByteChannel {
  readonly #socket: WebSocket;
  readonly #target: PortForwardTarget;
  readonly #reader: PortForwardReader;
  /** Received data; `#head` is the first unread chunk and `#offset` the position in it. */
  #chunks: Uint8Array[] = [];
  #head = 0;
  #offset = 0;
  #ended = false;
  #opened = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;
  #settle!: { resolve: () => void; reject: (error: Error) => void };
  readonly ready: Promise<void>;

  constructor(socket: WebSocket, target: PortForwardTarget, onClosed?: () => void) {
    this.#socket = socket;
    this.#target = target;
    this.#reader = new PortForwardReader(target.port);
    this.ready = new Promise((resolve, reject) => this.#settle = { resolve, reject });
    this.ready.catch(() => {}); // Reported through connectPortForward().
    socket.binaryType = "arraybuffer";
    socket.addEventListener("open", () => this.#opened = true);
    socket.addEventListener("message", (event) => this.#receive(event.data));
    socket.addEventListener("error", (event) => {
      if (this.#opened) return;
      const message = (event as ErrorEvent).message || "the WebSocket handshake failed";
      this.#settle.reject(new HandshakeFailedError(message));
    });
    socket.addEventListener("close", (event) => {
      this.#ended = true;
      if (this.#reader.errorText !== "" && this.#error === undefined) {
        this.#error = forwardFailed(this.#target, this.#reader.errorText);
      }
      this.#settle.reject(
        this.#error ?? new HandshakeFailedError(event.reason || `closed with code ${event.code}`),
      );
      this.#notify();
      onClosed?.();
    }, { once: true });
  }

  async read(p: Uint8Array): Promise<number | null> {
    while (this.#head === this.#chunks.length) {
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    let n = 0;
    while (n < p.length && this.#head < this.#chunks.length) {
      const chunk = this.#chunks[this.#head]!;
      const take = Math.min(p.length - n, chunk.length - this.#offset);
      p.set(chunk.subarray(this.#offset, this.#offset + take), n);
      n += take;
      this.#offset += take;
      if (this.#offset === chunk.length) {
        this.#head++;
        this.#offset = 0;
      }
    }
    // Nothing limits how far the kubelet runs ahead of the reader, so the backlog may hold
    // thousands of messages: drop read ones in bulk rather than shift() them one by one.
    if (this.#head === this.#chunks.length) {
      this.#chunks = [];
      this.#head = 0;
    } else if (this.#head > 1024) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
    return n;
  }

  async write(p: Uint8Array): Promise<number> {
    while (this.#socket.bufferedAmount > HIGH_WATER && this.#writable()) {
      await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    }
    if (!this.#writable()) throw this.#error ?? this.#closedError();
    this.#socket.send(dataMessage(p));
    return p.length;
  }

  close(): void {
    this.#ended = true;
    if (this.#socket.readyState <= WebSocket.OPEN) this.#socket.close();
    this.#notify();
  }

  #writable(): boolean {
    return this.#error === undefined && !this.#ended && this.#socket.readyState === WebSocket.OPEN;
  }

  #receive(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) {
      return this.#fail(forwardProtocol(this.#target, new Error("text message on a binary port")));
    }
    try {
      const event = this.#reader.receive(new Uint8Array(data));
      if (event.kind === "ready") this.#settle.resolve();
      else if (event.kind === "data") {
        this.#chunks.push(event.bytes);
        this.#notify();
      }
      // The kubelet closes the socket right after its error text; failing now, not at the
      // close, tells the reader at once even if the close takes a while.
      if (this.#reader.errorText !== "") {
        this.#fail(forwardFailed(this.#target, this.#reader.errorText));
      }
    } catch (error) {
      if (!(error instanceof PortForwardProtocolError)) throw error;
      this.#fail(forwardProtocol(this.#target, error));
    }
  }

  #fail(error: TpxError): void {
    this.#error ??= error;
    this.#settle.reject(error);
    this.close();
  }

  #closedError(): TpxError {
    const { port, namespace, pod } = this.#target;
    return new TpxError(
      "cluster",
      `The port-forward to port ${port} of pod "${namespace}/${pod}" is closed`,
      { code: PortForwardErrorCode.Failed, retryable: true },
    );
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
