import assert from "node:assert/strict";
import { type DemoReport, formatStep, formatSummary } from "./report.ts";

const passed = { name: "connect", ok: true, detail: "daemon pid 42", ms: 1_200 };
const failed = { name: "intercept hello", ok: false, detail: "no agent", ms: 300 };

function report(overrides: Partial<DemoReport>): DemoReport {
  return {
    ok: true,
    interrupted: false,
    steps: [passed],
    pids: {},
    dir: "/tmp/tpx-demo-x",
    logs: [],
    ...overrides,
  };
}

Deno.test("formatStep() marks a passed step with a tick and its detail", () => {
  assert.equal(formatStep(passed, false), "✔ connect — daemon pid 42");
});

Deno.test("formatStep() marks a failed step with a cross and why", () => {
  assert.equal(formatStep(failed, false), "✘ intercept hello — no agent");
});

Deno.test("formatStep() colours only the mark, and only when asked", () => {
  assert.equal(formatStep(passed, true), "\x1b[32m✔\x1b[0m connect — daemon pid 42");
  assert.equal(formatStep(failed, true), "\x1b[31m✘\x1b[0m intercept hello — no agent");
});

Deno.test("formatStep() leaves out the dash when there is no detail", () => {
  assert.equal(formatStep({ ...passed, detail: "" }, false), "✔ connect");
});

Deno.test("formatSummary() counts the steps of a pass and their time", () => {
  assert.equal(formatSummary(report({})), "all 1 steps passed in 1.2 s");
});

Deno.test("formatSummary() names the step that failed", () => {
  const line = formatSummary(report({
    ok: false,
    steps: [passed, failed],
    logs: ["/tmp/tpx-demo-x/manager.log"],
  }));
  assert.equal(line, 'the demo failed at "intercept hello" after 1.5 s');
});

Deno.test("formatSummary() says when the demo was interrupted rather than failed", () => {
  const line = formatSummary(report({ ok: false, interrupted: true, steps: [passed, failed] }));
  assert.equal(line, 'the demo was interrupted at "intercept hello" after 1.5 s');
});
