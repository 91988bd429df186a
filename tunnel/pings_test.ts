import assert from "node:assert/strict";
import { FakeClock } from "./clock.ts";
import { Pings } from "./pings.ts";

Deno.test("Pings measures the round trip of the pong that echoes a ping", async () => {
  const clock = new FakeClock();
  const pings = new Pings(clock);
  const first = pings.start();
  const second = pings.start();
  clock.advance(7);
  pings.answered(second.opaque);
  assert.equal(await second.rtt, 7);
  assert.equal(pings.rttMs, 7);
  clock.advance(5);
  pings.answered(first.opaque);
  assert.equal(await first.rtt, 12);
});

Deno.test("Pings.failAll() rejects pings in flight without an unhandled rejection", async () => {
  const pings = new Pings(new FakeClock());
  const awaited = pings.start();
  pings.start(); // nobody awaits this one
  pings.failAll(new Error("session ended"));
  await assert.rejects(awaited.rtt, /session ended/);
});
