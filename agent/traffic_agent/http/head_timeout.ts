/**
 * The deadline for a client to finish a request head: what stops slowloris clients from
 * holding connections open by sending a head a byte at a time, or nothing at all.
 *
 * @module
 */
import type { Clock, TimerId } from "../../../tunnel/clock.ts";

/**
 * A re-armable deadline that costs no timer per request: arming only moves the deadline, and
 * the one pending timer, when it fires early, sleeps again for what is left.
 *
 * @example
 * ```ts
 * const timeout = new HeadTimeout(clock, 30_000, () => conn.close());
 * timeout.arm();    // waiting for a head
 * timeout.disarm(); // it came
 * timeout.dispose();
 * ```
 */
export class HeadTimeout {
  readonly #clock: Clock;
  readonly #ms: number;
  readonly #onExpire: () => void;
  #deadline = 0;
  #armed = false;
  #timer: TimerId | undefined;

  /**
   * @param clock the time source
   * @param ms how long a head may take
   * @param onExpire called once when an armed deadline passes
   */
  constructor(clock: Clock, ms: number, onExpire: () => void) {
    this.#clock = clock;
    this.#ms = ms;
    this.#onExpire = onExpire;
  }

  /** Starts the deadline: the timeout from now. */
  arm(): void {
    this.#armed = true;
    this.#deadline = this.#clock.now() + this.#ms;
    if (this.#timer === undefined) this.#schedule(this.#ms);
  }

  /** Stops the deadline until the next {@link HeadTimeout.arm}. */
  disarm(): void {
    this.#armed = false;
  }

  /** Cancels the pending timer for good. */
  dispose(): void {
    this.#armed = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(ms: number): void {
    this.#timer = this.#clock.setTimeout(() => this.#fire(), ms);
  }

  #fire(): void {
    this.#timer = undefined;
    if (!this.#armed) return;
    const left = this.#deadline - this.#clock.now();
    if (left > 0) {
      this.#schedule(left);
      return;
    }
    this.#armed = false;
    this.#onExpire();
  }
}
