/**
 * One loopback address per cluster service, so the daemon can listen on each service's own
 * ports without clashes, and a PTR query can name the service behind an address.
 *
 * @module
 */

import { TpxError } from "../protocol/errors.ts";
import { normalize } from "./names.ts";

/** The range used when none is configured. */
export const DEFAULT_LOOPBACK_RANGE = "127.241.0.0/16";

/**
 * Hands out loopback addresses from a range, one per name, stable while the pool lives.
 * Host parts ending in `.0` or `.255` are skipped, since some tools treat them as network or
 * broadcast addresses.
 *
 * @example
 * ```ts
 * const pool = new LoopbackPool();
 * pool.address("web.shop.svc.cluster.local"); // "127.241.0.1"
 * pool.reverse("127.241.0.1"); // "web.shop.svc.cluster.local"
 * ```
 */
export class LoopbackPool {
  readonly #range: string;
  readonly #first: number;
  readonly #last: number;
  #next: number;
  readonly #byName = new Map<string, string>();
  readonly #byAddress = new Map<string, string>();

  /**
   * @param range an IPv4 CIDR inside 127.0.0.0/8, such as `127.241.0.0/16`
   * @throws {TpxError} (config) when the range is not such a CIDR
   */
  constructor(range: string = DEFAULT_LOOPBACK_RANGE) {
    const parsed = parseLoopbackRange(range);
    this.#range = range;
    this.#first = parsed.first;
    this.#last = parsed.last;
    this.#next = parsed.first;
  }

  /** How many names have an address. */
  get size(): number {
    return this.#byName.size;
  }

  /**
   * The address of a name, handing out the next free one the first time.
   *
   * @param name such as `web.shop.svc.cluster.local`; case and a trailing dot do not matter
   * @returns an IPv4 loopback address
   * @throws {TpxError} (config, `loopback_range_exhausted`) when every address is taken
   */
  address(name: string): string {
    const key = normalize(name);
    const known = this.#byName.get(key);
    if (known !== undefined) return known;
    const address = this.#take();
    this.#byName.set(key, address);
    this.#byAddress.set(address, key);
    return address;
  }

  /**
   * Gives a name the next free address, as when another program (another user's daemon)
   * already listens on the one it had. The old address is not handed out again.
   *
   * @param name the name
   * @returns its new address
   * @throws {TpxError} (config, `loopback_range_exhausted`) when every address is taken
   */
  reassign(name: string): string {
    const key = normalize(name);
    const old = this.#byName.get(key);
    if (old !== undefined) this.#byName.delete(key);
    // The old address keeps pointing here, so that a PTR query for it is still answered.
    return this.address(key);
  }

  /**
   * The name an address was handed out for.
   *
   * @param address an IPv4 address
   * @returns the name, or `undefined` when this pool did not hand the address out
   */
  reverse(address: string): string | undefined {
    return this.#byAddress.get(address);
  }

  #take(): string {
    while (this.#next <= this.#last) {
      const candidate = this.#next++;
      const host = candidate & 0xff;
      if (host !== 0 && host !== 255) return formatIPv4(candidate);
    }
    throw new TpxError(
      "config",
      `Loopback range "${this.#range}" is exhausted: ${this.size} services have addresses`,
      { code: "loopback_range_exhausted", hint: "configure a larger loopback range" },
    );
  }
}

/**
 * The first and last address of a loopback CIDR.
 *
 * @param range such as `127.241.0.0/16`
 * @returns the addresses as 32-bit numbers
 * @throws {TpxError} (config) unless the range is an IPv4 CIDR inside 127.0.0.0/8
 */
export function parseLoopbackRange(range: string): { first: number; last: number } {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(range.trim());
  const base = match ? parseIPv4(match[1]!) : undefined;
  const prefix = match ? Number(match[2]) : NaN;
  if (base === undefined || !(prefix >= 8 && prefix <= 31) || base >>> 24 !== 127) {
    throw new TpxError(
      "config",
      `Invalid loopback range "${range}": expected a CIDR in 127.0.0.0/8`,
      {
        code: "invalid_loopback_range",
        hint: `use a range such as "${DEFAULT_LOOPBACK_RANGE}"`,
      },
    );
  }
  const size = 2 ** (32 - prefix);
  const first = base - (base % size);
  return { first, last: first + size - 1 };
}

/**
 * An IPv4 address as a number.
 *
 * @param address dotted decimal
 * @returns the unsigned 32-bit value, or `undefined` when it is not an IPv4 address
 */
export function parseIPv4(address: string): number | undefined {
  const parts = address.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join(".");
}
