/**
 * `deno task bench [--quick]`: every benchmark, one JSON line per figure on stdout.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import type { BenchOptions, BenchResult } from "./result.ts";
import { benchAgent } from "./agent.ts";
import { benchDnsStub } from "./dns_stub.ts";
import { benchProxy } from "./proxy.ts";
import { benchTunnel } from "./tunnel.ts";

const benches: Record<string, (options: BenchOptions) => Promise<BenchResult[]>> = {
  tunnel: benchTunnel,
  dns: benchDnsStub,
  agent: benchAgent,
  proxy: benchProxy,
};

const args = new Set(Deno.args);
const options: BenchOptions = { quick: args.has("--quick") };
const only = Deno.args.filter((a) => !a.startsWith("--"));
for (const [name, bench] of Object.entries(benches)) {
  if (only.length > 0 && !only.includes(name)) continue;
  for (const result of await bench(options)) console.log(JSON.stringify(result));
}
