/**
 * The command line: builds the commander program and runs it.
 *
 * @module
 */
import { Command, CommanderError, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { TPX_VERSION } from "../tunnel/protocol/mod.ts";
import { completionCommand } from "./commands/completion.ts";
import { configCommand } from "./commands/config_view.ts";
import { demoCommand } from "./commands/demo.ts";
import { gatherLogsCommand } from "./commands/gather_logs.ts";
import { interceptCommand, leaveCommand, listCommand } from "./commands/intercept.ts";
import { managerCommand } from "./commands/manager.ts";
import { runCommand } from "./commands/run.ts";
import { connectCommand, quitCommand, statusCommand } from "./commands/session.ts";
import { uninstallCommand } from "./commands/uninstall.ts";
import { versionCommand } from "./commands/version.ts";
import { CommandExit, ExitCode } from "./exit_codes.ts";
import { printError, processTerminal, type Terminal } from "./output.ts";

/**
 * The program with every command, writing to `terminal`.
 *
 * @param terminal where commands print
 * @returns the program, not yet parsed
 */
export function buildProgram(terminal: Terminal): CommandUnknownOpts {
  const program = new Command("tpx")
    .description(
      "Put your machine inside a Kubernetes cluster: reach cluster services by name, and " +
        "intercept a workload's traffic to a process on your machine.",
    )
    .version(TPX_VERSION, "--version", "print the tpx version")
    .addCommand(connectCommand(terminal))
    .addCommand(statusCommand(terminal))
    .addCommand(listCommand(terminal))
    .addCommand(interceptCommand(terminal))
    .addCommand(leaveCommand(terminal))
    .addCommand(runCommand(terminal))
    .addCommand(uninstallCommand(terminal))
    .addCommand(quitCommand(terminal))
    .addCommand(versionCommand(terminal))
    .addCommand(managerCommand(terminal))
    .addCommand(configCommand(terminal))
    .addCommand(gatherLogsCommand(terminal))
    .addCommand(completionCommand(terminal, () => buildProgram(terminal)))
    .addCommand(demoCommand(terminal));
  sendOutputTo(program, terminal);
  return program;
}

/** Commander settings are not inherited by added commands, so each one gets them. */
function sendOutputTo(command: CommandUnknownOpts, terminal: Terminal): void {
  command
    .configureOutput({
      writeOut: (text) => terminal.stdout(text.trimEnd()),
      writeErr: (text) => terminal.stderr(text.trimEnd()),
    })
    .exitOverride()
    .showSuggestionAfterError();
  for (const sub of command.commands) sendOutputTo(sub, terminal);
}

/**
 * Runs the CLI.
 *
 * @param args the arguments after the program name
 * @param terminal where to print; the process's terminal by default
 * @returns the exit code
 */
export async function runCli(
  args: string[],
  terminal: Terminal = processTerminal(),
): Promise<number> {
  const program = buildProgram(terminal);
  if (args.length === 0) {
    program.outputHelp();
    return ExitCode.Ok;
  }
  try {
    await program.parseAsync(args, { from: "user" });
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) return commanderExitCode(error);
    if (error instanceof CommandExit) return error.code;
    return printError(terminal, error);
  }
}

/** Commander already printed its message; only the code is ours to choose. */
function commanderExitCode(error: CommanderError): number {
  switch (error.code) {
    case "commander.helpDisplayed":
    case "commander.version":
    case "commander.help":
      return ExitCode.Ok;
    case "commander.unknownCommand":
      return ExitCode.UnknownCommand;
    default:
      return ExitCode.Usage;
  }
}
