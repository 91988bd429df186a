/**
 * What `tpx demo` prints: one line per step for a person, and one JSON object for scripts.
 *
 * @module
 */
import type { StepResult } from "./steps.ts";

/** `tpx demo -o json`'s result. */
export interface DemoReport {
  /** Whether every step passed. */
  ok: boolean;
  /** Whether Ctrl-C (or SIGTERM) ended it. */
  interrupted: boolean;
  steps: StepResult[];
  /** The processes the demo started, all stopped by the time this is printed. */
  pids: { manager?: number; agent?: number; daemon?: number };
  /** The demo's temporary directory: removed after a pass, kept with the logs after a failure. */
  dir: string;
  /** The log files, when they were kept. */
  logs: string[];
}

/**
 * A step as a line: `✔ name — detail` or `✘ name — why`.
 *
 * @param result the step
 * @param color whether to colour the mark
 * @returns the line
 */
export function formatStep(result: StepResult, color: boolean): string {
  const mark = result.ok ? "✔" : "✘";
  const painted = color ? `\x1b[${result.ok ? 32 : 31}m${mark}\x1b[0m` : mark;
  const detail = result.detail === "" ? "" : ` — ${result.detail}`;
  return `${painted} ${result.name}${detail}`;
}

/**
 * The last line for a person: the count and time, or the step that failed (the error that
 * follows on stderr says where the logs are).
 *
 * @param report the finished demo
 * @returns the line
 */
export function formatSummary(report: DemoReport): string {
  const seconds = (report.steps.reduce((sum, s) => sum + s.ms, 0) / 1000).toFixed(1);
  if (report.ok) return `all ${report.steps.length} steps passed in ${seconds} s`;
  const failed = report.steps.find((s) => !s.ok);
  const how = report.interrupted ? "was interrupted" : "failed";
  return `the demo ${how} at "${failed?.name ?? "?"}" after ${seconds} s`;
}
