/**
 * Forwarding the names that are not the cluster's to the resolvers the machine had: each in
 * turn until one answers, over TCP when the UDP answer was truncated, SERVFAIL when none
 * does, and answers cached by their smallest TTL.
 *
 * @module
 */

import { type Clock, systemClock } from "../clock.ts";
import type { Logger } from "../log.ts";
import { parseIPv4 } from "./loopback_pool.ts";
import { normalize } from "./names.ts";
import type { NameServer } from "./resolv_conf.ts";
import { exchangeTcp, exchangeUdp } from "./transport.ts";
import { TtlCache } from "./ttl_cache.ts";
import { agedResponse, errorResponse, minTtl, Rcode, readHeader, withId } from "./wire.ts";

/** Options of {@link Forwarder}. */
export interface ForwarderOptions {
  /** The resolvers to ask, in order; the stub's own address must not be among them. */
  servers: readonly NameServer[];
  /** How long to wait for each server; default 2,000 ms. */
  timeoutMs?: number;
  /** Entries the answer cache holds at most; default 10,000. */
  cacheEntries?: number;
  /** How long NXDOMAIN and empty answers are kept at most, in seconds; default 5. */
  negativeTtlSeconds?: number;
  /** Positive answers are kept no longer than this, in seconds; default 3,600. */
  maxTtlSeconds?: number;
  clock?: Clock;
  logger: Logger;
}

/** Sends queries upstream and caches the answers. */
export class Forwarder {
  readonly #servers: readonly NameServer[];
  readonly #timeoutMs: number;
  readonly #negativeTtl: number;
  readonly #maxTtl: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #cache: TtlCache<{ answer: Uint8Array; ttl: number }>;

  /** @param options the servers, the timeout, the cache's limits, a clock and a logger */
  constructor(options: ForwarderOptions) {
    this.#servers = options.servers;
    this.#timeoutMs = options.timeoutMs ?? 2_000;
    this.#negativeTtl = options.negativeTtlSeconds ?? 5;
    this.#maxTtl = options.maxTtlSeconds ?? 3_600;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
    this.#cache = new TtlCache(options.cacheEntries ?? 10_000, () => this.#clock.now());
  }

  /**
   * The answer to a query, from the cache or from the first server that answers.
   *
   * @param query the client's query, as received
   * @param question the key the answer is cached under: its name, type and class
   * @param signal aborted when the stub closes
   * @returns the answer with the query's id; SERVFAIL when no server answered
   */
  async forward(
    query: Uint8Array,
    question: { name: string; type: string; class: string },
    signal: AbortSignal,
  ): Promise<Uint8Array> {
    const id = readHeader(query)!.id;
    const key = `${normalize(question.name)}|${question.type}|${question.class}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      const age = hit.value.ttl - Math.ceil(hit.remainingMs / 1000);
      return withId(agedResponse(hit.value.answer, Math.max(0, age)), id);
    }
    // A fresh random id per query makes a forged answer harder to slip in.
    const outgoing = withId(query, crypto.getRandomValues(new Uint16Array(1))[0]!);
    for (const server of this.#servers) {
      if (signal.aborted) break;
      const answer = await this.#ask(server, outgoing, signal);
      if (answer === undefined) continue;
      const ttl = this.#ttlOf(answer);
      if (ttl !== undefined) this.#cache.set(key, { answer, ttl }, ttl * 1000);
      return withId(answer, id);
    }
    return errorResponse(query, Rcode.ServFail);
  }

  /** Drops every cached answer, as when the network changes. */
  clear(): void {
    this.#cache.clear();
  }

  /** One server's usable answer: UDP first, TCP when truncated; `undefined` to try the next. */
  async #ask(
    server: NameServer,
    query: Uint8Array,
    signal: AbortSignal,
  ): Promise<Uint8Array | undefined> {
    const options = { timeoutMs: this.#timeoutMs, signal, clock: this.#clock };
    try {
      let answer = await exchangeUdp(server, query, options);
      if (readHeader(answer)?.truncated) answer = await exchangeTcp(server, query, options);
      const rcode = readHeader(answer)?.rcode;
      if (rcode === Rcode.NoError || rcode === Rcode.NXDomain) return answer;
      this.#logger.debug("upstream DNS server failed a query", { server, rcode });
    } catch (error) {
      if (signal.aborted) return undefined;
      this.#logger.debug("upstream DNS server did not answer", { server, error });
    }
    return undefined;
  }

  /** How long an answer may be cached, in seconds; `undefined` for not at all. */
  #ttlOf(answer: Uint8Array): number | undefined {
    const header = readHeader(answer);
    const smallest = minTtl(answer);
    if (header === undefined || smallest === null) return undefined;
    const negative = header.rcode === Rcode.NXDomain || header.ancount === 0;
    if (negative) return Math.min(smallest ?? this.#negativeTtl, this.#negativeTtl);
    return smallest === undefined ? undefined : Math.min(smallest, this.#maxTtl);
  }
}

/**
 * The servers without the stub itself, so a machine already pointed at the stub does not
 * make it forward to itself forever.
 *
 * @param servers the machine's resolvers
 * @param self the stub's address; a wildcard address stands for the loopback ones (other
 *   addresses of the machine's interfaces are not known here)
 * @returns the servers that are not the stub
 */
export function withoutSelf(servers: readonly NameServer[], self: NameServer): NameServer[] {
  const wildcard = self.hostname === "0.0.0.0" || self.hostname === "::";
  return servers.filter((s) => {
    if (s.port !== self.port) return true;
    return wildcard ? !isLoopback(s.hostname) : s.hostname !== self.hostname;
  });
}

function isLoopback(hostname: string): boolean {
  return hostname === "::1" || (parseIPv4(hostname) ?? 0) >>> 24 === 127;
}
