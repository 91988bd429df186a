import assert from "node:assert/strict";
import { FakeClock } from "../clock.ts";
import { TtlCache } from "./ttl_cache.ts";

Deno.test("TtlCache returns a value with the time it has left", () => {
  const clock = new FakeClock();
  const cache = new TtlCache<string>(10, () => clock.now());
  cache.set("a", "one", 30_000);
  clock.advance(10_000);
  assert.deepEqual(cache.get("a"), { value: "one", remainingMs: 20_000 });
});

Deno.test("TtlCache forgets an entry once its time to live has passed", () => {
  const clock = new FakeClock();
  const cache = new TtlCache<string>(10, () => clock.now());
  cache.set("a", "one", 1_000);
  clock.advance(999);
  assert.equal(cache.get("a")?.value, "one");
  clock.advance(1);
  assert.equal(cache.get("a"), undefined);
  assert.equal(cache.size, 0);
});

Deno.test("TtlCache stores nothing for a time to live of zero", () => {
  const cache = new TtlCache<string>(10, () => 0);
  cache.set("a", "one", 0);
  assert.equal(cache.get("a"), undefined);
});

Deno.test("TtlCache evicts the least recently used entry when full", () => {
  const cache = new TtlCache<number>(3, () => 0);
  cache.set("a", 1, 1000);
  cache.set("b", 2, 1000);
  cache.set("c", 3, 1000);
  cache.get("a");
  cache.set("d", 4, 1000);
  assert.equal(cache.size, 3);
  assert.equal(cache.get("b"), undefined);
  assert.deepEqual([cache.get("a")?.value, cache.get("c")?.value, cache.get("d")?.value], [
    1,
    3,
    4,
  ]);
});

Deno.test("TtlCache replaces the value of a key set twice", () => {
  const cache = new TtlCache<number>(3, () => 0);
  cache.set("a", 1, 1000);
  cache.set("a", 2, 5000);
  assert.deepEqual(cache.get("a"), { value: 2, remainingMs: 5000 });
  assert.equal(cache.size, 1);
});
