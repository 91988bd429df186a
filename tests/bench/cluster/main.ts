/**
 * `deno task bench:cluster [--quick] [portforward] [day]`: the benchmarks against the local
 * cluster (`deno task cluster:up`), one JSON line per figure on stdout; all of them unless
 * some are named. Each works in namespaces of its own and deletes them.
 *
 * - `portforward` ({@link benchPortForward}): throughput of tpx's own port-forward;
 * - `day` ({@link benchDay}): connect, intercept, leave, crash and intercept throughput
 *   through the real CLI.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import type { BenchOptions, BenchResult } from "../result.ts";
import { benchDay } from "./day.ts";
import { benchPortForward } from "./portforward.ts";

const benches: Record<string, (options: BenchOptions) => Promise<BenchResult[]>> = {
  portforward: benchPortForward,
  day: benchDay,
};

const options: BenchOptions = { quick: Deno.args.includes("--quick") };
const only = Deno.args.filter((a) => !a.startsWith("--"));
for (const [name, bench] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue;
  for (const result of await bench(options)) console.log(JSON.stringify(result));
}
