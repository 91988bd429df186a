/**
 * A bounded cache whose entries expire, on a clock the caller supplies, so tests move time
 * instead of sleeping.
 *
 * @module
 */

/** A cached value and how long it has left. */
export interface CacheHit<V> {
  value: V;
  /** Milliseconds until the entry expires, always above 0. */
  remainingMs: number;
}

/**
 * Entries expire after their own time to live; when full, the least recently used entry goes
 * first, so a flood of one-off names cannot grow memory without limit.
 *
 * @example
 * ```ts
 * const cache = new TtlCache<string>(1000, () => performance.now());
 * cache.set("a", "value", 30_000);
 * cache.get("a"); // { value: "value", remainingMs: 30000 }
 * ```
 */
export class TtlCache<V> {
  readonly #maxEntries: number;
  readonly #now: () => number;
  // A Map keeps insertion order: re-inserting on use makes the first key the least recent.
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();

  /**
   * @param maxEntries how many entries at most
   * @param now the clock, in milliseconds
   */
  constructor(maxEntries: number, now: () => number) {
    this.#maxEntries = Math.max(1, maxEntries);
    this.#now = now;
  }

  /** How many entries are held, expired ones included until they are touched. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * A live entry.
   *
   * @param key the entry's key
   * @returns the value and its remaining time, or `undefined` when absent or expired
   */
  get(key: string): CacheHit<V> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    const remainingMs = entry.expiresAt - this.#now();
    if (remainingMs <= 0) return undefined;
    this.#entries.set(key, entry);
    return { value: entry.value, remainingMs };
  }

  /**
   * Stores a value; a time to live of zero or less stores nothing.
   *
   * @param key the entry's key
   * @param value what to keep
   * @param ttlMs how long it may be used
   */
  set(key: string, value: V, ttlMs: number): void {
    this.#entries.delete(key);
    if (!(ttlMs > 0)) return;
    while (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt: this.#now() + ttlMs });
  }

  /** Drops every entry. */
  clear(): void {
    this.#entries.clear();
  }
}
