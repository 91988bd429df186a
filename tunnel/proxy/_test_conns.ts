/**
 * Test helpers of the proxy: an in-memory connection that delivers given chunks, and bytes.
 *
 * @module
 */
import type { DuplexConn } from "../relay.ts";

/** A connection whose reads return `chunks` one by one, then the end; writes are recorded. */
export function scriptedConn(chunks: Uint8Array[]): DuplexConn & { written: Uint8Array[] } {
  const queue = chunks.map((c) => c.slice());
  const written: Uint8Array[] = [];
  return {
    written,
    read(p) {
      const next = queue[0];
      if (next === undefined) return Promise.resolve(null);
      const n = Math.min(p.length, next.length);
      p.set(next.subarray(0, n));
      if (n === next.length) queue.shift();
      else queue[0] = next.subarray(n);
      return Promise.resolve(n);
    },
    write(p) {
      written.push(p.slice());
      return Promise.resolve(p.length);
    },
    closeWrite: () => Promise.resolve(),
    close() {},
  };
}

/** `bytes` cut at `at`, as two chunks (one when `at` is at either end). */
export function splitAt(bytes: Uint8Array, at: number): Uint8Array[] {
  return [bytes.subarray(0, at), bytes.subarray(at)].filter((c) => c.length > 0);
}

/** Text as bytes. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Concatenates byte arrays: the tunnel tests' helper, so the proxy tests import one module. */
export { concat } from "../_test_tunnel.ts";
