/**
 * `tpx completion bash|zsh|fish`: shell completion scripts made by `@bomb.sh/tab`. The script
 * asks tpx itself for the words (`tpx completion complete -- <words>`), so completions follow
 * the commands of this binary and can include live values: the intercept names of a running
 * daemon, which is asked but never started.
 *
 * The program is passed in as a function, so this module does not import `cli/main.ts`,
 * which imports it.
 *
 * @module
 */
import {
  Argument,
  Command,
  type CommandUnknownOpts,
  type Option,
} from "@commander-js/extra-typings";
import { type Command as TabCommand, RootCommand, script, ShellCompDirective } from "@bomb.sh/tab";
import { Names } from "../../cluster/install/labels.ts";
import type { StatusResponse } from "../daemon/api_types.ts";
import { DaemonClient } from "../daemon/api_client.ts";
import { daemonPaths } from "../daemon/paths.ts";
import { printResult, type Terminal } from "../output.ts";

/** The shells there are scripts for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;
/** One of {@link SHELLS}. */
export type Shell = typeof SHELLS[number];

/** The command whose `complete` subcommand the scripts call (tab appends `complete --`). */
const COMMAND = "completion";

/** Live values offered where they fit; empty when no daemon runs. */
export interface CompletionValues {
  /** Intercept names, for `tpx leave`. */
  intercepts: string[];
  /** For `-n, --namespace`: the connected session's namespace. */
  namespaces: string[];
  /** For the manager's namespace options. */
  managerNamespaces: string[];
}

/** How long completion waits for the daemon before offering only the static words. */
const DAEMON_WAIT_MS = 1_000;

/**
 * The completion script for `shell`.
 *
 * @param shell the shell
 * @param name the program's name, as the user types it
 * @returns the script's text
 */
export function completionScript(shell: Shell, name = "tpx"): string {
  return captureLog(() => script(shell, name, `${name} ${COMMAND}`)).join("\n");
}

/**
 * The completions for the words typed after the program's name, the last one being
 * completed (empty after a space), in tab's protocol: `value\tdescription` lines and a
 * last `:directive` line.
 *
 * @param program the program to complete
 * @param words the words
 * @param values live values
 * @returns the lines
 */
export function completeWords(
  program: CommandUnknownOpts,
  words: readonly string[],
  values: CompletionValues,
): string[] {
  let fileWanted = false;
  const root = completionTree(program, values, () => fileWanted = true);
  const lines = captureLog(() => root.parse([...words]));
  // tab always answers "no file completion"; for a file option, let zsh and fish offer files.
  if (fileWanted) lines.splice(-1, 1, `:${ShellCompDirective.ShellCompDirectiveDefault}`);
  return lines;
}

/**
 * The program's commands, options and arguments as tab's tree, with live values attached.
 *
 * @param program the program
 * @param values live values
 * @param onFileValue called when the value of an option that takes a file is being completed
 * @returns the tree
 */
export function completionTree(
  program: CommandUnknownOpts,
  values: CompletionValues,
  onFileValue: () => void = () => {},
): RootCommand {
  const root = new RootCommand();
  const describe = describer(values, onFileValue);
  describe(root, program, "");
  const walk = (command: CommandUnknownOpts, path: string) => {
    for (const sub of command.createHelp().visibleCommands(command)) {
      const subPath = path === "" ? sub.name() : `${path} ${sub.name()}`;
      describe(root.command(subPath, sub.description()), sub, subPath);
      walk(sub, subPath);
    }
  };
  walk(program, "");
  return root;
}

/** Adds a command's options and arguments to tab's tree. */
function describer(values: CompletionValues, onFileValue: () => void) {
  return (target: TabCommand, command: CommandUnknownOpts, path: string) => {
    describeOptions(target, command, path, values, onFileValue);
    describeArguments(target, command, path, values);
  };
}

function describeOptions(
  target: TabCommand,
  command: CommandUnknownOpts,
  path: string,
  values: CompletionValues,
  onFileValue: () => void,
): void {
  for (const option of command.createHelp().visibleOptions(command)) {
    const long = option.long?.replace(/^--/, "");
    if (long === undefined) continue;
    const short = option.short?.replace(/^-/, "");
    const offered = optionValues(option, path, values);
    if (offered === undefined) {
      // tab takes an option without a handler for a flag, which must not swallow a word.
      if (short === undefined) target.option(long, option.description);
      else target.option(long, option.description, short);
    } else {
      const takesFile = option.flags.includes("<file>");
      const handler = (complete: (value: string, description: string) => void) => {
        if (takesFile) onFileValue();
        for (const value of offered) complete(value, "");
      };
      target.option(long, option.description, handler, short);
    }
  }
}

function describeArguments(
  target: TabCommand,
  command: CommandUnknownOpts,
  path: string,
  values: CompletionValues,
): void {
  const argumentValues = path === "leave" ? values.intercepts : undefined;
  for (const argument of command.registeredArguments) {
    const offered = argument.argChoices ?? argumentValues;
    target.argument(
      argument.name(),
      offered && ((complete) => offered.forEach((value) => complete(value, ""))),
      argument.variadic,
    );
  }
}

/** What to offer for an option's value; `undefined` for a flag that takes none. */
function optionValues(
  option: Option,
  path: string,
  values: CompletionValues,
): readonly string[] | undefined {
  if (!option.required && !option.optional) return undefined;
  if (option.argChoices) return option.argChoices;
  const long = option.long ?? "";
  const managerNamespace = long === "--manager-namespace" || long === "--namespace-manager" ||
    (path.startsWith("manager ") && long === "--namespace");
  if (managerNamespace) return [...new Set([...values.managerNamespaces, Names.DefaultNamespace])];
  if (long === "--namespace") return values.namespaces;
  return [];
}

/**
 * The live values, from the daemon if one answers at `socket` within a second.
 *
 * @param socket the daemon's socket
 * @returns the values; empty lists without a daemon
 */
export async function completionValues(socket: string): Promise<CompletionValues> {
  const none: CompletionValues = { intercepts: [], namespaces: [], managerNamespaces: [] };
  // No socket, no daemon: skip the request, which would be slower than the shell should wait.
  if (!await Deno.stat(socket).then(() => true, () => false)) return none;
  using daemon = new DaemonClient(socket);
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), DAEMON_WAIT_MS);
  try {
    const status = await daemon.call<StatusResponse>("GET", "/status", undefined, abort.signal);
    return {
      intercepts: status.intercepts.map((i) => i.spec.name),
      namespaces: status.session ? [status.session.namespace] : [],
      managerNamespaces: status.session ? [status.session.managerNamespace] : [],
    };
  } catch {
    // Completion must never fail the shell: a daemon that does not answer offers nothing.
    return none;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * tab writes its scripts and answers with `console.log`; this module, not tab, decides where
 * text goes, so it is collected here and printed through `printResult`.
 */
function captureLog(run: () => void): string[] {
  const lines: string[] = [];
  // deno-lint-ignore no-console
  const original = console.log;
  // deno-lint-ignore no-console
  console.log = (...args: unknown[]) => lines.push(args.map(String).join(" "));
  try {
    run();
  } finally {
    // deno-lint-ignore no-console
    console.log = original;
  }
  return lines;
}

const HELP_AFTER = `
Installing the script:
  bash  needs the bash-completion package; then either
          echo 'source <(tpx completion bash)' >> ~/.bashrc
        or, for every new shell without running tpx at start-up,
          tpx completion bash > ~/.local/share/bash-completion/completions/tpx
  zsh   after "autoload -U compinit && compinit" in ~/.zshrc, either
          echo 'source <(tpx completion zsh)' >> ~/.zshrc
        or put the script in a directory of $fpath as "_tpx":
          tpx completion zsh > "\${fpath[1]}/_tpx"
  fish  tpx completion fish > ~/.config/fish/completions/tpx.fish

Open a new shell afterwards. Completion asks a running daemon for intercept names, and never
starts one.`;

/**
 * The `completion` command, and its hidden `complete` subcommand that the scripts call.
 *
 * @param terminal where it prints
 * @param program returns the program to complete, such as `() => buildProgram(terminal)`
 * @returns the command
 */
export function completionCommand(terminal: Terminal, program: () => CommandUnknownOpts) {
  const complete = new Command("complete")
    .description("print the completions of the words after --, for the shell scripts")
    .argument("[words...]", "the words typed after tpx; the last one is being completed")
    .action(async (words) => {
      const values = await completionValues(daemonPaths().socket);
      const lines = completeWords(program(), words, values);
      printResult(terminal, "text", lines, () => lines.join("\n"));
    });
  return new Command(COMMAND)
    .description("print the shell completion script for bash, zsh or fish")
    .usage("<shell>")
    .addArgument(new Argument("<shell>", "the shell").choices(SHELLS))
    .addHelpText("after", HELP_AFTER)
    .addCommand(complete, { hidden: true })
    .action((shell) => {
      const text = completionScript(shell);
      printResult(terminal, "text", text, () => text.trimEnd());
    });
}
