/**
 * `tpx version`: the versions a bug report needs.
 *
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { PROTOCOL_VERSION, TPX_VERSION } from "../../tunnel/protocol/mod.ts";
import { printResult, type Terminal } from "../output.ts";

/** What `tpx version` reports. */
export interface VersionInfo {
  tpx: string;
  deno: string;
  protocol: number;
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
    .description("print the versions of tpx, its Deno runtime and its protocol")
    .addOption(outputOption())
    .action((options) => {
      const info = versionInfo();
      printResult(terminal, options.output, info, () =>
        [
          `tpx       ${info.tpx}`,
          `deno      ${info.deno}`,
          `protocol  ${info.protocol}`,
        ].join("\n"));
    });
}

/** `-o, --output text|json`, shared by every command that prints a result. */
export function outputOption() {
  return new Option("-o, --output <format>", "print the result as text or json")
    .choices(["text", "json"] as const)
    .default("text" as const);
}
