import assert from "node:assert/strict";
import { Backoff } from "./backoff.ts";

Deno.test("Backoff doubles up to its maximum and starts over after reset()", () => {
  const backoff = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => backoff.next()), [100, 200, 400, 800, 1000, 1000]);
  backoff.reset();
  assert.equal(backoff.next(), 100);
});

Deno.test("Backoff spreads each delay by the jitter fraction", () => {
  const low = new Backoff({ initialMs: 1000, jitter: 0.5, random: () => 0 });
  const high = new Backoff({ initialMs: 1000, jitter: 0.5, random: () => 0.999999 });
  assert.equal(low.next(), 500);
  assert.equal(high.next(), 1500);
});
