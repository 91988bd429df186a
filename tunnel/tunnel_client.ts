/**
 * Keeps a tunnel to the manager up: dials, runs the handshake, lets the owner re-register on
 * every new session, and after a drop dials again with backoff — until closed.
 *
 * @module
 */
import { Backoff, type BackoffOptions } from "./backoff.ts";
import type { ByteChannel } from "./channel.ts";
import { type Clock, systemClock, type TimerId } from "./clock.ts";
import type { Logger } from "./log.ts";
import { Session, type SessionEnd, type SessionOptions } from "./session.ts";

/** Options of {@link TunnelClient}. */
export interface TunnelClientOptions<Out, In> {
  /** Opens the byte stream to the manager (TCP, a port-forward…). */
  connect: () => Promise<ByteChannel>;
  /** The session's options; the client is always the dialer. */
  session: Omit<SessionOptions<Out, In>, "side" | "logger" | "clock">;
  /** Runs on each new session before it counts as connected (arrive, register…). */
  onSession: (session: Session<Out, In>) => Promise<void>;
  /** Runs when a session ends; the client then reconnects. */
  onDisconnect?: (end: SessionEnd) => void;
  logger: Logger;
  backoff?: BackoffOptions;
  clock?: Clock;
}

/**
 * A self-healing connection to the manager.
 *
 * @example
 * ```ts
 * const client = new TunnelClient({ connect, session: { hello, codec }, onSession, logger });
 * client.start();
 * const session = await client.connected();
 * ```
 */
export class TunnelClient<Out, In> {
  readonly #options: TunnelClientOptions<Out, In>;
  readonly #clock: Clock;
  readonly #backoff: Backoff;
  #session: Session<Out, In> | undefined;
  #closed = false;
  #timer: TimerId | undefined;
  #waiters: ((session: Session<Out, In>) => void)[] = [];
  #running: Promise<void> | undefined;
  #lastError: unknown;

  constructor(options: TunnelClientOptions<Out, In>) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#backoff = new Backoff(options.backoff);
  }

  /** The live session, if connected. */
  get session(): Session<Out, In> | undefined {
    return this.#session;
  }

  /** Why the last attempt failed, for status output. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** Starts connecting; returns at once. */
  start(): void {
    this.#attempt();
  }

  /**
   * The live session, once there is one.
   *
   * @returns the session
   */
  connected(): Promise<Session<Out, In>> {
    if (this.#session) return Promise.resolve(this.#session);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Stops reconnecting and closes the session. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    await this.#session?.close();
    this.#session = undefined;
  }

  #attempt(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    this.#running = this.#connectOnce().finally(() => this.#running = undefined);
  }

  async #connectOnce(): Promise<void> {
    const { logger } = this.#options;
    let session: Session<Out, In>;
    try {
      const channel = await this.#options.connect();
      session = await Session.connect(channel, {
        ...this.#options.session,
        side: "dialer",
        logger,
        clock: this.#clock,
      });
    } catch (error) {
      this.#lastError = error;
      return this.#retry(error);
    }
    if (this.#closed) return void await session.close();
    try {
      await this.#options.onSession(session);
    } catch (error) {
      this.#lastError = error;
      await session.close();
      return this.#retry(error);
    }
    this.#backoff.reset();
    this.#lastError = undefined;
    this.#session = session;
    logger.info("connected to the manager", { peer: session.peer.software });
    for (const wake of this.#waiters.splice(0)) wake(session);
    session.closed.then((end) => {
      if (this.#session === session) this.#session = undefined;
      this.#options.onDisconnect?.(end);
      if (!this.#closed) {
        logger.warn("lost the manager; reconnecting", { reason: end.reason });
        this.#schedule();
      }
    });
  }

  #retry(error: unknown): void {
    if (this.#closed) return;
    this.#options.logger.info("cannot reach the manager yet", {
      error: error instanceof Error ? error.message : String(error),
    });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = this.#clock.setTimeout(() => this.#attempt(), this.#backoff.next());
  }
}
