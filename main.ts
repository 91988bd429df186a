/**
 * tpx: one binary for the CLI, the local daemon (`tpx daemon`, started by `tpx connect`), and — in the cluster — the traffic-manager
 * and traffic-agent. This file only dispatches; each part is loaded with a dynamic import so
 * the CLI never loads cluster-side code.
 *
 * @module
 */

/**
 * The long-running processes, by subcommand; everything else is the CLI. The in-cluster ones
 * are `traffic-manager` and `traffic-agent` because `tpx manager …` is the CLI's command for
 * installing the manager.
 */
const processes: Record<string, () => Promise<{ main(args: string[]): Promise<number> }>> = {
  "traffic-manager": () => import("./agent/manager/main.ts"),
  "traffic-agent": () => import("./agent/traffic_agent/main.ts"),
  daemon: () => import("./cli/daemon/main.ts"),
};

async function main(args: string[]): Promise<number> {
  const [first = "", ...rest] = args;
  const process = processes[first];
  if (process) return await (await process()).main(rest);
  const { runCli } = await import("./cli/main.ts");
  return await runCli(args);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
