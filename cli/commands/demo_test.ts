import assert from "node:assert/strict";
import { TpxError } from "../../tunnel/protocol/mod.ts";
import { recordingTerminal } from "../_test_terminal.ts";
import type { DemoReport } from "../demo/report.ts";
import type { RunDemoOptions } from "../demo/run.ts";
import type { StepResult } from "../demo/steps.ts";
import { demo, DemoErrorCode } from "./demo.ts";

const connect: StepResult = { name: "connect", ok: true, detail: "daemon pid 7", ms: 400 };
const cleanup: StepResult = { name: "clean up", ok: true, detail: "removed /tmp/d", ms: 100 };
const intercept: StepResult = { name: "intercept hello", ok: false, detail: "no agent", ms: 500 };

/** A demo that reports `steps` as they "end", then returns the report. */
function fakeRun(steps: StepResult[], overrides: Partial<DemoReport> = {}) {
  return (options: RunDemoOptions): Promise<DemoReport> => {
    for (const step of steps) options.onResult(step);
    return Promise.resolve({
      ok: steps.every((s) => s.ok),
      interrupted: false,
      steps,
      pids: { daemon: 7 },
      dir: "/tmp/d",
      logs: [],
      ...overrides,
    });
  };
}

async function failure(promise: Promise<unknown>): Promise<TpxError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof TpxError, `expected a TpxError, got ${error}`);
  return error;
}

Deno.test("demo() prints each step as it ends, then the summary", async () => {
  const terminal = recordingTerminal();
  const report = await demo(terminal, "text", fakeRun([connect, cleanup]));
  assert.equal(report.ok, true);
  assert.deepEqual(terminal.out, [
    "✔ connect — daemon pid 7",
    "✔ clean up — removed /tmp/d",
    "all 2 steps passed in 0.5 s",
  ]);
  assert.deepEqual(terminal.err, []);
});

Deno.test("demo() with -o json prints only the report, as JSON", async () => {
  const terminal = recordingTerminal();
  await demo(terminal, "json", fakeRun([connect, cleanup]));
  assert.equal(terminal.out.length, 1);
  const printed = JSON.parse(terminal.out[0]!) as DemoReport;
  assert.deepEqual(printed.steps, [connect, cleanup]);
  assert.equal(printed.ok, true);
  assert.deepEqual(printed.pids, { daemon: 7 });
});

Deno.test("demo() fails naming the step, with the kept logs in the hint", async () => {
  const terminal = recordingTerminal();
  const error = await failure(
    demo(terminal, "text", fakeRun([connect, intercept, cleanup], { logs: ["/tmp/d/a.log"] })),
  );
  assert.equal(error.code, DemoErrorCode.Failed);
  assert.equal(error.category, "user", "exit code 1");
  assert.equal(error.message, 'The demo failed at "intercept hello"');
  assert.equal(error.hint, 'the logs are in "/tmp/d/a.log"');
  assert.deepEqual(terminal.out, [
    "✔ connect — daemon pid 7",
    "✘ intercept hello — no agent",
    "✔ clean up — removed /tmp/d",
    'the demo failed at "intercept hello" after 1.0 s',
  ]);
});

Deno.test("demo() says an interrupted run was interrupted, not that it failed", async () => {
  const terminal = recordingTerminal();
  const stopped = { ...intercept, detail: "Interrupted" };
  const error = await failure(
    demo(terminal, "json", fakeRun([connect, stopped, cleanup], { interrupted: true })),
  );
  assert.equal(error.code, DemoErrorCode.Interrupted);
  assert.match(error.message, /interrupted; everything it started is stopped/);
  assert.equal((JSON.parse(terminal.out[0]!) as DemoReport).interrupted, true);
});

Deno.test("demo() hands the run a signal that is not aborted until Ctrl-C", async () => {
  let signal: AbortSignal | undefined;
  await demo(recordingTerminal(), "text", (options) => {
    signal = options.signal;
    return fakeRun([connect])(options);
  });
  assert.equal(signal?.aborted, false);
});
