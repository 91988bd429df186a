/**
 * Pings in flight and the round trip they measure.
 *
 * @module
 */
import type { Clock } from "./clock.ts";

interface Pending {
  sentAt: number;
  resolve: (rtt: number) => void;
  reject: (error: Error) => void;
}

/** Pings sent and not yet answered, keyed by the 8 opaque bytes they carry. */
export class Pings {
  readonly #clock: Clock;
  readonly #pending = new Map<bigint, Pending>();
  #counter = 0n;
  #rttMs: number | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The last measured round trip, in milliseconds. */
  get rttMs(): number | undefined {
    return this.#rttMs;
  }

  /**
   * Starts a ping.
   *
   * @returns the opaque bytes to send, and the round trip once the pong comes back
   */
  start(): { opaque: Uint8Array; rtt: Promise<number> } {
    const counter = ++this.#counter;
    const opaque = new Uint8Array(8);
    new DataView(opaque.buffer).setBigUint64(0, counter);
    const rtt = new Promise<number>((resolve, reject) => {
      this.#pending.set(counter, { sentAt: this.#clock.now(), resolve, reject });
    });
    // A ping whose frame could not even be sent is failed later by failAll(), with nobody
    // awaiting it: that must not be an unhandled rejection, which would end the process.
    rtt.catch(() => {});
    return { opaque, rtt };
  }

  /**
   * A pong arrived.
   *
   * @param opaque the bytes it echoed
   */
  answered(opaque: Uint8Array): void {
    const counter = new DataView(opaque.buffer, opaque.byteOffset, 8).getBigUint64(0);
    const ping = this.#pending.get(counter);
    if (!ping) return;
    this.#pending.delete(counter);
    this.#rttMs = this.#clock.now() - ping.sentAt;
    ping.resolve(this.#rttMs);
  }

  /**
   * Fails every ping in flight, as when the session ends.
   *
   * @param error what they see
   */
  failAll(error: Error): void {
    for (const ping of this.#pending.values()) ping.reject(error);
    this.#pending.clear();
  }
}
