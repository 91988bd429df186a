import assert from "node:assert/strict";
import { FakeClock } from "../../../tunnel/clock.ts";
import { HeadTimeout } from "./head_timeout.ts";

Deno.test("HeadTimeout expires once an armed deadline passes", () => {
  const clock = new FakeClock();
  let expired = 0;
  const timeout = new HeadTimeout(clock, 1000, () => expired++);
  timeout.arm();
  clock.advance(999);
  assert.equal(expired, 0);
  clock.advance(1);
  assert.equal(expired, 1);
  clock.advance(5000);
  assert.equal(expired, 1);
  timeout.dispose();
});

Deno.test("HeadTimeout counts from the latest arm, with one timer pending", () => {
  const clock = new FakeClock();
  let expired = 0;
  const timeout = new HeadTimeout(clock, 1000, () => expired++);
  timeout.arm();
  clock.advance(600);
  timeout.disarm();
  timeout.arm();
  assert.equal(clock.pending, 1);
  clock.advance(999);
  assert.equal(expired, 0);
  clock.advance(1);
  assert.equal(expired, 1);
  timeout.dispose();
});

Deno.test("HeadTimeout does not expire while disarmed, and dispose cancels its timer", () => {
  const clock = new FakeClock();
  let expired = 0;
  const timeout = new HeadTimeout(clock, 1000, () => expired++);
  timeout.arm();
  timeout.disarm();
  clock.advance(2000);
  assert.equal(expired, 0);
  timeout.arm();
  timeout.dispose();
  assert.equal(clock.pending, 0);
  clock.advance(2000);
  assert.equal(expired, 0);
});
