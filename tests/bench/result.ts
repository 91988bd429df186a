/**
 * The shape of a benchmark figure: one JSON line each, a value beside a baseline measured in
 * the same run, so that the ratio means something on a shared, noisy machine.
 *
 * @module
 */

/** One figure. `ratio` is `value / baseline`; extra fields (p99, peak RSS) may follow. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: number;
  ratio: number;
  [extra: string]: unknown;
}

/** Options every benchmark receives. */
export interface BenchOptions {
  /** The whole set in under a minute: smaller volumes, fewer rounds. */
  quick: boolean;
}

/**
 * A figure from a value and its baseline.
 *
 * @param name the figure's name, such as `tunnel_throughput`
 * @param value what was measured
 * @param baseline the same measured without tpx
 * @param unit the unit of both
 * @param extra further fields to print
 * @returns the figure
 */
export function figure(
  name: string,
  value: number,
  baseline: number,
  unit: string,
  extra: Record<string, unknown> = {},
): BenchResult {
  return { name, value, unit, baseline, ratio: round(value / baseline), ...extra };
}

/** Rounds to 4 significant digits, so lines stay readable. */
export function round(n: number): number {
  return Number.isFinite(n) ? Number(n.toPrecision(4)) : n;
}

/** The p-th percentile (0-100) of `samples`. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)]!;
}
