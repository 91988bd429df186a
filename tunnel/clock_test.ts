import assert from "node:assert/strict";
import { FakeClock, systemClock } from "./clock.ts";

Deno.test("FakeClock fires due timers in time order, whatever the order they were set", () => {
  const clock = new FakeClock();
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`c@${clock.now()}`), 300);
  clock.setTimeout(() => fired.push(`a@${clock.now()}`), 100);
  clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
  clock.advance(250);
  assert.deepEqual(fired, ["a@100", "b@200"]);
  assert.equal(clock.now(), 250);
  assert.equal(clock.pending, 1);
  clock.advance(50);
  assert.deepEqual(fired, ["a@100", "b@200", "c@300"]);
  assert.equal(clock.pending, 0);
});

Deno.test("FakeClock fires timers due at the same time in the order they were set", () => {
  const clock = new FakeClock();
  const fired: number[] = [];
  for (let i = 0; i < 5; i++) clock.setTimeout(() => fired.push(i), 10);
  clock.advance(10);
  assert.deepEqual(fired, [0, 1, 2, 3, 4]);
});

Deno.test("FakeClock fires timers that callbacks set, if they fall due within the advance", () => {
  const clock = new FakeClock();
  const fired: number[] = [];
  const tick = () => {
    fired.push(clock.now());
    clock.setTimeout(tick, 10);
  };
  clock.setTimeout(tick, 10);
  clock.advance(35);
  assert.deepEqual(fired, [10, 20, 30]);
  assert.equal(clock.now(), 35);
  assert.equal(clock.pending, 1);
});

Deno.test("FakeClock never fires a cleared timer", () => {
  const clock = new FakeClock();
  let fired = false;
  const id = clock.setTimeout(() => fired = true, 5);
  clock.clearTimeout(id);
  clock.advance(10);
  assert.equal(fired, false);
  assert.equal(clock.pending, 0);
});

Deno.test("FakeClock runs a timer with no or negative delay on the next advance", () => {
  const clock = new FakeClock();
  const fired: number[] = [];
  clock.advance(7);
  clock.setTimeout(() => fired.push(clock.now()), -5);
  clock.setTimeout(() => fired.push(clock.now()), 0);
  assert.deepEqual(fired, [], "nothing fires until time is advanced");
  clock.advance(0);
  assert.deepEqual(fired, [7, 7]);
});

Deno.test("systemClock's timers fire and can be cleared", async () => {
  const cleared = systemClock.setTimeout(() => assert.fail("a cleared timer fired"), 0);
  systemClock.clearTimeout(cleared);
  const before = systemClock.now();
  await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 1));
  assert.ok(systemClock.now() >= before);
});
