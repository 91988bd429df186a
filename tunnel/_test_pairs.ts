/**
 * Test helpers shared by the tunnel's tests: the transports a session runs over (an in-memory
 * pair and a real loopback TCP connection), so one suite of cases runs over each, and a
 * connected daemon⇄manager session pair. Nothing outside `tunnel/*_test.ts` imports this.
 *
 * @module
 */
import { type ByteChannel, memoryChannelPair } from "./channel.ts";
import type { Clock } from "./clock.ts";
import { MemoryLogger } from "./log.ts";
import {
  daemonCodec,
  type DaemonToManager,
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameType,
  type Hello,
  managerDaemonCodec,
  type ManagerToDaemon,
  type RawControl,
  Role,
} from "./protocol/mod.ts";
import { type IncomingStream, Session, type SessionOptions } from "./session.ts";
import type { Stream } from "./stream.ts";

/** Two connected byte channels and a way to close whatever is left of them. */
export interface ChannelPair extends AsyncDisposable {
  /** The end the dialer (daemon) uses. */
  readonly dialer: ByteChannel;
  /** The end the acceptor (manager) uses. */
  readonly acceptor: ByteChannel;
}

/** One way of connecting two channels; every case of a suite runs over each. */
export interface TransportCase {
  readonly name: string;
  pair(): Promise<ChannelPair>;
}

/** Closes a channel that its session may already have closed. */
export function closeQuietly(channel: ByteChannel): void {
  try {
    channel.close();
  } catch (error) {
    // A Deno.Conn throws on a second close; that is the only failure expected here.
    if (!(error instanceof Deno.errors.BadResource)) throw error;
  }
}

/** The in-memory pair of channel.ts. */
export const memoryTransport: TransportCase = {
  name: "memory",
  pair() {
    const [dialer, acceptor] = memoryChannelPair();
    return Promise.resolve({
      dialer,
      acceptor,
      [Symbol.asyncDispose]() {
        dialer.close();
        acceptor.close();
        return Promise.resolve();
      },
    });
  },
};

/** A real TCP connection on loopback. */
export const tcpTransport: TransportCase = {
  name: "tcp",
  async pair() {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const [acceptor, dialer] = await Promise.all([
      listener.accept(),
      Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    ]);
    return {
      dialer,
      acceptor,
      [Symbol.asyncDispose]() {
        closeQuietly(dialer);
        closeQuietly(acceptor);
        return Promise.resolve();
      },
    };
  },
};

/** Every transport the shared suites run over. */
export const transports: readonly TransportCase[] = [memoryTransport, tcpTransport];

/** The daemon's hello: the dialer's. */
export function daemonHello(overrides: Partial<Hello> = {}): Hello {
  return { role: Role.Daemon, minProtocol: 1, maxProtocol: 1, software: "0.1.0", ...overrides };
}

/** The manager's hello: the acceptor's. */
export function managerHello(overrides: Partial<Hello> = {}): Hello {
  return { role: Role.Manager, minProtocol: 1, maxProtocol: 1, software: "0.1.0", ...overrides };
}

/** The daemon side of a session. */
export type DaemonSession = Session<DaemonToManager, ManagerToDaemon>;
/** The manager side of a session. */
export type ManagerSession = Session<ManagerToDaemon, DaemonToManager>;

type Extra<Out, In> = Partial<Omit<SessionOptions<Out, In>, "side" | "codec">>;

/** Options of {@link sessionPair}: what differs from a plain daemon⇄manager pair. */
export interface SessionPairOptions {
  daemon?: Extra<DaemonToManager, ManagerToDaemon>;
  manager?: Extra<ManagerToDaemon, DaemonToManager>;
  /** Both sides' clock, unless a side sets its own. */
  clock?: Clock;
}

/** A connected daemon (dialer) and manager (acceptor), closed on dispose. */
export interface SessionPair extends AsyncDisposable {
  readonly daemon: DaemonSession;
  readonly manager: ManagerSession;
  readonly channels: ChannelPair;
  readonly daemonLog: MemoryLogger;
  readonly managerLog: MemoryLogger;
}

/**
 * Connects a daemon and a manager session over a fresh pair of `transport`. By default the
 * manager accepts every stream the daemon opens and hands it to `accepted`.
 *
 * @param transport what the sessions run over
 * @param options per-side overrides
 * @returns both sessions; disposing closes them and the channels
 */
export async function sessionPair(
  transport: TransportCase,
  options: SessionPairOptions = {},
): Promise<SessionPair> {
  const channels = await transport.pair();
  const daemonLog = new MemoryLogger();
  const managerLog = new MemoryLogger();
  const clock = options.clock ? { clock: options.clock } : {};
  try {
    const [daemon, manager] = await Promise.all([
      Session.connect(channels.dialer, {
        side: "dialer",
        hello: daemonHello(),
        codec: daemonCodec,
        logger: daemonLog,
        ...clock,
        ...options.daemon,
      }),
      Session.connect(channels.acceptor, {
        side: "acceptor",
        hello: managerHello(),
        codec: managerDaemonCodec,
        logger: managerLog,
        ...clock,
        ...options.manager,
      }),
    ]);
    return {
      daemon,
      manager,
      channels,
      daemonLog,
      managerLog,
      async [Symbol.asyncDispose]() {
        await Promise.all([daemon.close(), manager.close()]);
        await channels[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await channels[Symbol.asyncDispose]();
    throw error;
  }
}

/** Streams the peer opened and this side accepted, in arrival order. */
export class AcceptQueue {
  readonly #streams: Stream[] = [];
  readonly #waiters: ((stream: Stream) => void)[] = [];
  /** The destinations seen, accepted or not. */
  readonly destinations: IncomingStream["destination"][] = [];

  /** An `onStream` handler that accepts every stream. */
  readonly onStream = (incoming: IncomingStream): void => {
    this.destinations.push(incoming.destination);
    const stream = incoming.accept();
    const waiter = this.#waiters.shift();
    if (waiter) waiter(stream);
    else this.#streams.push(stream);
  };

  /** The next accepted stream. */
  next(): Promise<Stream> {
    const stream = this.#streams.shift();
    if (stream) return Promise.resolve(stream);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/** Reads everything until the end of the stream (or the channel). */
export async function readAll(
  source: { read(p: Uint8Array): Promise<number | null> },
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await source.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
    size += n;
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Reads exactly `n` bytes, or fails if the stream ends first. */
export async function readExactly(
  source: { read(p: Uint8Array): Promise<number | null> },
  n: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let offset = 0;
  while (offset < n) {
    const got = await source.read(out.subarray(offset));
    if (got === null) throw new Error(`ended after ${offset} of ${n} bytes`);
    offset += got;
  }
  return out;
}

/** `size` bytes that differ per `seed`, cheap to make and to compare. */
export function pattern(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Whether two byte arrays are equal; faster than a deep comparison for megabytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lets the event loop run: pending I/O, timers due now, and every queued microtask. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Waits (turn by turn, at most `turns`) until `condition` holds. */
export async function until(condition: () => boolean, what: string, turns = 2000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (condition()) return;
    await turn();
  }
  throw new Error(`timed out waiting until ${what}`);
}

/**
 * The far end of a channel driven by hand: frames are written with `encodeFrame` and read
 * back decoded, so a test can play a peer that misbehaves.
 */
export class RawPeer {
  readonly #channel: ByteChannel;
  readonly #decoder = new FrameDecoder<RawControl>();

  constructor(channel: ByteChannel) {
    this.#channel = channel;
  }

  /** Writes bytes as they are. */
  async writeBytes(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await this.#channel.write(bytes.subarray(written));
  }

  /** Writes one frame. */
  send(frame: Frame<RawControl>): Promise<void> {
    return this.writeBytes(encodeFrame(frame));
  }

  /** The next frame, or `undefined` at the end of the channel. Payloads are copied. */
  async next(): Promise<Frame<RawControl> | undefined> {
    for (;;) {
      const frame = this.#decoder.next();
      if (frame) return structuredClone(frame);
      let n: number | null;
      try {
        n = await this.#channel.read(this.#decoder.reserve(4096));
      } catch {
        return undefined; // the session closed its end under us: the same as the end
      }
      if (n === null) return undefined;
      this.#decoder.commit(n);
    }
  }

  /** The next frame of type `type`, skipping others (pings, for instance). */
  async nextOf<T extends FrameType>(
    type: T,
  ): Promise<Extract<Frame<RawControl>, { type: T }> | undefined> {
    for (;;) {
      const frame = await this.next();
      if (!frame) return undefined;
      if (frame.type === type) return frame as Extract<Frame<RawControl>, { type: T }>;
    }
  }

  /** Plays the acceptor's part of the handshake: reads the dialer's hello, answers with `hello`. */
  async acceptHandshake(hello: Hello = managerHello()): Promise<Hello> {
    const first = await this.next();
    if (first?.type !== FrameType.Hello) throw new Error("expected a hello first");
    await this.send({ type: FrameType.Hello, streamId: 0, hello });
    return first.hello;
  }
}

/** A daemon session dialed against a hand-driven peer that completes the handshake. */
export async function dialerAgainstRaw(
  channels: ChannelPair,
  options: Omit<SessionOptions<DaemonToManager, ManagerToDaemon>, "side" | "hello" | "codec">,
): Promise<{ session: Session<DaemonToManager, ManagerToDaemon>; raw: RawPeer }> {
  const raw = new RawPeer(channels.acceptor);
  const [session] = await Promise.all([
    Session.connect(channels.dialer, {
      side: "dialer",
      hello: daemonHello(),
      codec: daemonCodec,
      ...options,
    }),
    raw.acceptHandshake(),
  ]);
  return { session, raw };
}
