import assert from "node:assert/strict";
import { FakeClock } from "../../tunnel/clock.ts";
import { TpxError } from "../../tunnel/protocol/mod.ts";
import { describeFailure, runStep, runSteps, type Step, type StepResult } from "./steps.ts";

function step(name: string, run: Step["run"], timeoutMs = 1_000): Step {
  return { name, timeoutMs, run };
}

Deno.test("runSteps() runs every step in order and reports each as it ends", async () => {
  const ran: string[] = [];
  const printed: StepResult[] = [];
  const clock = new FakeClock();
  const results = await runSteps([
    step("one", () => {
      ran.push("one");
      clock.advance(25);
      return Promise.resolve("first");
    }),
    step("two", () => {
      ran.push("two");
      return Promise.resolve("second");
    }),
  ], { clock, onResult: (result) => printed.push(result) });
  assert.deepEqual(ran, ["one", "two"]);
  assert.deepEqual(results, [
    { name: "one", ok: true, detail: "first", ms: 25 },
    { name: "two", ok: true, detail: "second", ms: 0 },
  ]);
  assert.deepEqual(printed, results);
});

Deno.test("runSteps() stops at the first failure and reports why", async () => {
  const ran: string[] = [];
  const results = await runSteps([
    step("one", () => Promise.reject(new Error("the port is taken"))),
    step("two", () => {
      ran.push("two");
      return Promise.resolve("");
    }),
  ], { clock: new FakeClock() });
  assert.deepEqual(ran, []);
  assert.deepEqual(results, [{ name: "one", ok: false, detail: "the port is taken", ms: 0 }]);
});

Deno.test("runStep() fails a step that outlives its time limit and aborts its signal", async () => {
  const clock = new FakeClock();
  let signal: AbortSignal | undefined;
  const running = runStep(
    step("slow", (s) => {
      signal = s;
      return new Promise(() => {/* never */});
    }, 2_500),
    { clock },
  );
  clock.advance(2_499);
  await Promise.resolve();
  assert.equal(signal?.aborted, false);
  clock.advance(1);
  const result = await running;
  assert.equal(signal?.aborted, true);
  assert.deepEqual(result, {
    name: "slow",
    ok: false,
    detail: "It did not finish within 2.5 s",
    ms: 2_500,
  });
  assert.equal(clock.pending, 0, "no timer is left behind");
});

Deno.test("runStep() ends the step at once when the run is interrupted", async () => {
  const clock = new FakeClock();
  const interrupt = new AbortController();
  const running = runStep(step("waiting", () => new Promise(() => {/* never */})), {
    clock,
    signal: interrupt.signal,
  });
  interrupt.abort(new TpxError("user", "Interrupted (Ctrl-C)"));
  assert.deepEqual(await running, {
    name: "waiting",
    ok: false,
    detail: "Interrupted (Ctrl-C)",
    ms: 0,
  });
  assert.equal(clock.pending, 0);
});

Deno.test("runSteps() runs nothing after an interruption that came before it", async () => {
  const interrupt = new AbortController();
  interrupt.abort(new Error("Interrupted"));
  let ran = false;
  const results = await runSteps([step("one", () => {
    ran = true;
    return Promise.resolve("");
  })], { clock: new FakeClock(), signal: interrupt.signal });
  assert.equal(results.length, 1);
  assert.equal(results[0]?.ok, false);
  assert.equal(results[0]?.detail, "Interrupted");
  assert.equal(ran, false);
});

Deno.test("describeFailure() gives a tpx error's message with its hint", () => {
  assert.equal(
    describeFailure(new TpxError("cluster", 'No manager at "127.0.0.1:1"', { hint: "check it" })),
    'No manager at "127.0.0.1:1" (check it)',
  );
  assert.equal(describeFailure(new TypeError("bad")), "bad");
  assert.equal(describeFailure("plain"), "plain");
});
