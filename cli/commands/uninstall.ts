/**
 * `tpx uninstall`: removes tpx's agents and gives workloads back their original spec — one
 * workload, or all of them (also after a crash: the manager finds them in the cluster).
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import type { RestoreResult, RestoreTarget } from "../daemon/manager_client.ts";
import { daemonPaths } from "../daemon/paths.ts";
import { openDaemon } from "../daemon/spawn.ts";
import { notice, printResult, type Terminal } from "../output.ts";
import { parseNamespace } from "./arguments.ts";
import { describeWorkload } from "./intercept.ts";
import { outputOption } from "./version.ts";

/**
 * The `uninstall` command.
 *
 * @param terminal where it prints
 * @returns the command
 */
export function uninstallCommand(terminal: Terminal) {
  return new Command("uninstall")
    .description("remove the agent from a workload, or from all (--all-agents)")
    .argument("[workload]", "the workload to restore")
    .option(
      "-n, --namespace <namespace>",
      "the workload's namespace (default: the connection's)",
      parseNamespace,
    )
    .option("--all-agents", "restore every workload that carries an agent")
    .addOption(outputOption())
    .action(async function (workload, options) {
      if ((workload === undefined) === (options.allAgents !== true)) {
        this.error("error: give a workload or --all-agents (one of them)", {
          code: "tpx.workloadOrAll",
          exitCode: 2,
        });
      }
      using daemon = await openDaemon(daemonPaths(), { start: false, notice: notice(terminal) });
      let target: RestoreTarget;
      if (workload === undefined) {
        target = options.namespace === undefined
          ? { all: true }
          : { all: true, namespace: options.namespace };
      } else {
        const status = await daemon.call<{ session?: { namespace: string } }>("GET", "/status");
        target = {
          workload,
          namespace: options.namespace ?? status.session?.namespace ?? "default",
        };
      }
      const result = await daemon.call<RestoreResult>("POST", "/uninstall", target);
      printResult(terminal, options.output, result, () => describeRestore(result));
    });
}

function describeRestore(result: RestoreResult): string {
  const lines = [
    ...result.restored.map((w) => `restored ${describeWorkload(w)}`),
    ...result.refused.map((w) => `not restored ${describeWorkload(w)}: ${w.error.message}`),
  ];
  return lines.length === 0 ? "no workload carries an agent" : lines.join("\n");
}
