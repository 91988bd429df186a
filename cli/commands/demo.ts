/**
 * `tpx demo`: the whole data path on this machine, without a cluster — a traffic-manager, a
 * traffic-agent in front of a sample service, and the real daemon — walked through step by
 * step. It exits 0 only when every step worked, and leaves nothing running.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { TpxError } from "../../tunnel/protocol/mod.ts";
import { type DemoReport, formatStep, formatSummary } from "../demo/report.ts";
import { runDemo, type RunDemoOptions } from "../demo/run.ts";
import { type OutputFormat, printResult, type Terminal } from "../output.ts";
import { outputOption } from "./version.ts";

/** Stable codes of the errors of this module. */
export const DemoErrorCode = { Failed: "demo_failed", Interrupted: "demo_interrupted" } as const;

/**
 * The `demo` command.
 *
 * @param terminal where it prints
 * @returns the command
 */
export function demoCommand(terminal: Terminal) {
  return new Command("demo")
    .description(
      "try tpx without a cluster: connect, reach a service by name, intercept it, leave",
    )
    .addOption(outputOption())
    .action(async (options) => {
      await demo(terminal, options.output);
    });
}

/**
 * Runs the demo and prints it.
 *
 * @param terminal where it prints
 * @param format text: a line per step as it ends; json: the report at the end
 * @param run runs the demo; tests pass a fake
 * @returns the report, when every step passed
 * @throws {TpxError} `demo_failed` naming the failed step and the logs, or
 *   `demo_interrupted` after Ctrl-C or SIGTERM; everything is stopped by then
 */
export async function demo(
  terminal: Terminal,
  format: OutputFormat,
  run: (options: RunDemoOptions) => Promise<DemoReport> = runDemo,
): Promise<DemoReport> {
  const interrupt = new AbortController();
  const onInterrupt = () =>
    interrupt.abort(
      new TpxError("user", "Interrupted", { code: DemoErrorCode.Interrupted }),
    );
  // SIGTERM too: left to its default, it would end this process and orphan the children.
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, onInterrupt);
  let report: DemoReport;
  try {
    report = await run({
      signal: interrupt.signal,
      onResult: (result) => {
        const line = formatStep(result, terminal.color);
        if (format === "text") terminal.stdout(line);
        else if (terminal.interactive) terminal.stderr(line);
      },
    });
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onInterrupt);
  }
  printResult(terminal, format, report, () => formatSummary(report));
  if (report.ok) return report;
  if (report.interrupted) {
    throw new TpxError("user", "The demo was interrupted; everything it started is stopped", {
      code: DemoErrorCode.Interrupted,
    });
  }
  const failed = report.steps.find((s) => !s.ok);
  throw new TpxError("user", `The demo failed at "${failed?.name ?? "?"}"`, {
    code: DemoErrorCode.Failed,
    hint: report.logs.length > 0
      ? `the logs are in ${report.logs.map((l) => `"${l}"`).join(", ")}`
      : "run it again; if it fails the same way, report it with its output",
  });
}
