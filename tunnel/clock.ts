/**
 * Time as a dependency, so timeouts can be tested with a fake clock instead of sleeping.
 *
 * @module
 */

/** A handle returned by {@link Clock.setTimeout}. */
export type TimerId = number | ReturnType<typeof setTimeout>;

/** What components need of time. */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (id) => clearTimeout(id as number),
};

/**
 * A clock that moves only when told to.
 *
 * @example
 * ```ts
 * const clock = new FakeClock();
 * clock.setTimeout(() => fired = true, 1000);
 * clock.advance(1000); // fired
 * ```
 */
export class FakeClock implements Clock {
  #now = 0;
  #nextId = 1;
  #timers = new Map<TimerId, { at: number; callback: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerId {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(id: TimerId): void {
    this.#timers.delete(id);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward, firing due timers in order (also those they schedule).
   *
   * @param ms how far
   */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let due: [TimerId, { at: number; callback: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at <= end && (!due || entry[1].at < due[1].at)) due = entry;
      }
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = due[1].at;
      due[1].callback();
    }
    this.#now = end;
  }
}
