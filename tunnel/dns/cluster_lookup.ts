/**
 * Asking the cluster resolver with a cache in front: answers are kept for their TTL, "no such
 * name" briefly, and concurrent questions for one name share one lookup.
 *
 * @module
 */

import type { ClusterAnswer, ClusterResolver } from "./resolver.ts";
import { TtlCache } from "./ttl_cache.ts";

/** An answer (or its absence) and the TTL its records carry now. */
export interface CachedLookup {
  answer: ClusterAnswer | undefined;
  /** Seconds left, to put in the records. */
  ttl: number;
}

/** Options of {@link ClusterLookup}. */
export interface ClusterLookupOptions {
  resolver: ClusterResolver;
  /** The clock of the cache, in milliseconds. */
  now: () => number;
  /** Entries the cache holds at most; default 10,000. */
  cacheEntries?: number;
  /** How long "no such name" is kept, in seconds; default 5. */
  negativeTtlSeconds?: number;
}

/** The cluster resolver behind a cache. */
export class ClusterLookup {
  readonly #resolver: ClusterResolver;
  readonly #negativeTtl: number;
  readonly #cache: TtlCache<ClusterAnswer | undefined>;
  readonly #pending = new Map<string, Promise<ClusterAnswer | undefined>>();

  /** @param options the resolver, a clock and the cache's limits */
  constructor(options: ClusterLookupOptions) {
    this.#resolver = options.resolver;
    this.#negativeTtl = options.negativeTtlSeconds ?? 5;
    this.#cache = new TtlCache(options.cacheEntries ?? 10_000, options.now);
  }

  /**
   * What the cluster knows about a name.
   *
   * @param fqdn a lower-case name without trailing dot
   * @param signal aborted when the stub closes; the lookup then rejects with its reason
   * @returns the answer, `undefined` meaning no such name, and its TTL
   * @throws whatever the resolver throws; failures are not cached
   */
  async lookup(fqdn: string, signal: AbortSignal): Promise<CachedLookup> {
    const hit = this.#cache.get(fqdn);
    if (hit !== undefined) return { answer: hit.value, ttl: Math.ceil(hit.remainingMs / 1000) };
    let pending = this.#pending.get(fqdn);
    if (pending === undefined) {
      pending = this.#ask(fqdn, signal);
      this.#pending.set(fqdn, pending);
    }
    const answer = await untilAborted(pending, signal);
    return { answer, ttl: answer === undefined ? this.#negativeTtl : answer.ttl };
  }

  /** Forgets every answer, as when the session to the cluster starts over. */
  clear(): void {
    this.#cache.clear();
  }

  async #ask(fqdn: string, signal: AbortSignal): Promise<ClusterAnswer | undefined> {
    try {
      const answer = await this.#resolver.resolve(fqdn, signal);
      const ttl = answer === undefined ? this.#negativeTtl : answer.ttl;
      this.#cache.set(fqdn, answer, ttl * 1000);
      return answer;
    } finally {
      this.#pending.delete(fqdn);
    }
  }
}

/** A resolver that ignores the signal must not keep the stub from closing. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
