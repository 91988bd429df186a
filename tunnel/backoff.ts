/**
 * Exponential backoff with jitter, for reconnecting without stampeding a restarted manager.
 *
 * @module
 */

/** Options of {@link Backoff}. */
export interface BackoffOptions {
  /** First delay. Default 200 ms. */
  initialMs?: number;
  /** Largest delay. Default 10 s. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Fraction of each delay drawn at random, ± (0-1). Default 0.2. */
  jitter?: number;
  /** Random numbers in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

/**
 * Delays between attempts: `initialMs`, then growing by `factor` up to `maxMs`.
 *
 * @example
 * ```ts
 * const backoff = new Backoff({ jitter: 0 });
 * backoff.next(); // 200
 * backoff.next(); // 400
 * backoff.reset();
 * ```
 */
export class Backoff {
  readonly #initial: number;
  readonly #max: number;
  readonly #factor: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.#initial = options.initialMs ?? 200;
    this.#max = options.maxMs ?? 10_000;
    this.#factor = options.factor ?? 2;
    this.#jitter = options.jitter ?? 0.2;
    this.#random = options.random ?? Math.random;
  }

  /** The delay before the next attempt, in milliseconds. */
  next(): number {
    const base = Math.min(this.#max, this.#initial * this.#factor ** this.#attempt++);
    const spread = base * this.#jitter * (2 * this.#random() - 1);
    return Math.max(0, Math.round(base + spread));
  }

  /** Starts over after a success. */
  reset(): void {
    this.#attempt = 0;
  }
}
