/**
 * The figures of a developer's day (connect, intercept, leave, crash, throughput) from the
 * samples of several rounds: the median of the values beside the median of the baselines
 * measured in the same rounds, with every sample kept so that the spread shows.
 *
 * @example
 * ```ts
 * const f = medianFigure("leave_time", "s", [{ value: 2, baseline: 1 }], "one request");
 * // f.value === 2, f.baseline === 1, f.ratio === 2
 * ```
 * @module
 */
import { type BenchResult, figure, percentile, round } from "../result.ts";

/** One round's measurement of a figure and of its baseline. */
export interface Sample {
  value: number;
  baseline: number;
}

/**
 * The median of `numbers` (for an even count, the lower of the middle two, as `percentile`
 * picks it: a measured value, never an average of two).
 *
 * @param numbers the samples
 * @returns the median; NaN when there are none
 */
export function median(numbers: readonly number[]): number {
  return percentile([...numbers], 50);
}

/**
 * A figure of the medians of the rounds' values and baselines.
 *
 * @param name the figure's name
 * @param unit the unit of value and baseline
 * @param samples one per round
 * @param baselineIs what the baseline measures, printed beside it
 * @param extra further fields
 * @returns the figure, with `samples` and `baseline_samples`
 * @throws {Error} when there is no sample
 */
export function medianFigure(
  name: string,
  unit: string,
  samples: readonly Sample[],
  baselineIs: string,
  extra: Record<string, unknown> = {},
): BenchResult {
  if (samples.length === 0) throw new Error(`No sample of "${name}"`);
  const values = samples.map((s) => round(s.value));
  const baselines = samples.map((s) => round(s.baseline));
  return figure(name, median(values), median(baselines), unit, {
    baseline_is: baselineIs,
    rounds: samples.length,
    samples: values,
    baseline_samples: baselines,
    ...extra,
  });
}

/** One round's crash: seconds until callers reach the app, and one request's round trip. */
export interface CrashSample {
  seconds: number;
  requestSeconds: number;
}

/**
 * `restore_after_crash`: the seconds from `kill -9` of the daemon until callers in the cluster
 * reach the app, against the manager's lease (the bound the design promises), and beside it
 * the ratio to one request's round trip (the floor of any measurement made by requests).
 *
 * @param samples one per round
 * @param leaseMs the manager's lease
 * @returns the figure
 */
export function crashFigure(samples: readonly CrashSample[], leaseMs: number): BenchResult {
  const requests = median(samples.map((s) => s.requestSeconds));
  const result = medianFigure(
    "restore_after_crash",
    "s",
    samples.map((s) => ({ value: s.seconds, baseline: leaseMs / 1000 })),
    "the manager's lease (TPX_LEASE_MS), the designed bound",
    { request_round_trip: round(requests) },
  );
  return { ...result, ratio_to_round_trip: round(result.value / requests) };
}
