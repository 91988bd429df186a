/**
 * `tpx version`: the versions a bug report needs.
 *
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { PROTOCOL_VERSION, TPX_VERSION } from "../../tunnel/protocol/mod.ts";
import { DaemonClient } from "../daemon/api_client.ts";
import type { StatusResponse } from "../daemon/api_types.ts";
import { daemonPaths } from "../daemon/paths.ts";
import { printResult, type Terminal } from "../output.ts";

/** What `tpx version` reports. */
export interface VersionInfo {
  tpx: string;
  deno: string;
  protocol: number;
  /** The running daemon's version; absent when none runs. */
  daemon?: string;
  /** The connected manager's version; absent when not connected. */
  manager?: string;
}

/** The versions of this binary. */
export function versionInfo(): VersionInfo {
  return { tpx: TPX_VERSION, deno: Deno.version.deno, protocol: PROTOCOL_VERSION };
}

/**
 * The `version` command.
 *
 * @param terminal where it prints
 * @returns the command
 */
export function versionCommand(terminal: Terminal) {
  return new Command("version")
    .description(
      "print the versions of tpx, its Deno runtime, its protocol, the daemon and the manager",
    )
    .addOption(outputOption())
    .action(async (options) => {
      const info: VersionInfo = { ...versionInfo(), ...await runningVersions() };
      printResult(terminal, options.output, info, () =>
        [
          `tpx       ${info.tpx}`,
          `deno      ${info.deno}`,
          `protocol  ${info.protocol}`,
          `daemon    ${info.daemon ?? "not running"}`,
          `manager   ${info.manager ?? "not connected"}`,
        ].join("\n"));
    });
}

/** The daemon's and the manager's versions, without starting or replacing anything. */
async function runningVersions(): Promise<Pick<VersionInfo, "daemon" | "manager">> {
  using daemon = new DaemonClient(daemonPaths().socket);
  const running = await daemon.running().catch(() => undefined);
  if (running === undefined) return {};
  const status = await daemon.call<StatusResponse>("GET", "/status").catch(() => undefined);
  const manager = status?.session?.managerVersion;
  return manager ? { daemon: running.tpx, manager } : { daemon: running.tpx };
}

/** `-o, --output text|json`, shared by every command that prints a result. */
export function outputOption() {
  return new Option("-o, --output <format>", "print the result as text or json")
    .choices(["text", "json"] as const)
    .default("text" as const);
}
