/**
 * Running the demo's steps one after another: each gets a time limit and the Ctrl-C signal,
 * reports `{name, ok, detail, ms}`, and the first failure ends the run, since every step
 * needs the ones before it.
 *
 * @module
 */
import { type Clock, systemClock } from "../../tunnel/clock.ts";
import { TpxError } from "../../tunnel/protocol/mod.ts";

/** Stable codes of the errors of this module. */
export const StepErrorCode = { Timeout: "demo_step_timeout" } as const;

/** One step: what it does, and how long it may take. */
export interface Step {
  name: string;
  /** The step fails when it has not finished by then. */
  timeoutMs: number;
  /**
   * Does the step.
   *
   * @param signal aborted on timeout or Ctrl-C; the step should give up then
   * @returns what a person should know of the result, one line
   */
  run(signal: AbortSignal): Promise<string>;
}

/** How a step went. */
export interface StepResult {
  name: string;
  ok: boolean;
  /** What happened when it worked; why not when it failed. */
  detail: string;
  /** How long it took, whole milliseconds. */
  ms: number;
}

/** Options of {@link runSteps}. */
export interface RunStepsOptions {
  /** Aborts the step running now (Ctrl-C); the run then stops. */
  signal?: AbortSignal;
  /** Receives each result as soon as it is known, to print it. */
  onResult?: (result: StepResult) => void;
  /** Measures steps and runs their time limits; the system clock by default. */
  clock?: Clock;
}

/**
 * Runs `steps` in order until one fails.
 *
 * @param steps the steps
 * @param options the Ctrl-C signal, a printer, a clock
 * @returns the results of the steps that ran; the last one failed unless all passed
 * @example
 * ```ts
 * const results = await runSteps([
 *   { name: "start", timeoutMs: 5_000, run: async () => "started" },
 * ], { onResult: (r) => print(r) });
 * ```
 */
export async function runSteps(
  steps: Iterable<Step>,
  options: RunStepsOptions = {},
): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of steps) {
    const result = await runStep(step, options);
    results.push(result);
    options.onResult?.(result);
    if (!result.ok) break;
  }
  return results;
}

/**
 * Runs one step with its time limit.
 *
 * @param step the step
 * @param options the Ctrl-C signal and the clock
 * @returns how it went; a step that throws or runs out of time failed, and never throws here
 */
export async function runStep(
  step: Step,
  options: Pick<RunStepsOptions, "signal" | "clock"> = {},
): Promise<StepResult> {
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  if (options.signal?.aborted) {
    return { name: step.name, ok: false, detail: describeFailure(options.signal.reason), ms: 0 };
  }
  const controller = new AbortController();
  const stopped = Promise.withResolvers<never>();
  const stop = (reason: unknown) => {
    controller.abort(reason);
    stopped.reject(reason);
  };
  // Settled on timeout or Ctrl-C; a step that ignores its signal must not hold the run.
  stopped.promise.catch(() => {});
  const onAbort = () => stop(options.signal?.reason);
  const timer = clock.setTimeout(
    () =>
      stop(
        new TpxError("internal", `It did not finish within ${formatSeconds(step.timeoutMs)}`, {
          code: StepErrorCode.Timeout,
        }),
      ),
    step.timeoutMs,
  );
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const detail = await Promise.race([step.run(controller.signal), stopped.promise]);
    return { name: step.name, ok: true, detail, ms: elapsed(clock, started) };
  } catch (error) {
    return {
      name: step.name,
      ok: false,
      detail: describeFailure(error),
      ms: elapsed(clock, started),
    };
  } finally {
    clock.clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Why a step failed, one line: the message, and the hint of a {@link TpxError}.
 *
 * @param error what the step threw
 * @returns the text
 */
export function describeFailure(error: unknown): string {
  if (error instanceof TpxError) {
    return error.hint ? `${error.message} (${error.hint})` : error.message;
  }
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

function elapsed(clock: Clock, started: number): number {
  return Math.round(clock.now() - started);
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
