/**
 * The one module that writes to the terminal: results on stdout, errors and progress on
 * stderr, plain text or JSON, colour only where a person reads it.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { ErrorCategory, TpxError } from "../tunnel/protocol/mod.ts";
import { type ExitCode, exitCodeFor } from "./exit_codes.ts";

/** How a command prints its result. */
export type OutputFormat = "text" | "json";

/** Where output goes; tests pass their own. */
export interface Terminal {
  stdout(line: string): void;
  stderr(line: string): void;
  /** Whether stderr is a terminal that a person reads (progress and colour only then). */
  interactive: boolean;
  /** Whether colour is allowed (`NO_COLOR` unset, and a terminal). */
  color: boolean;
}

/** The process's own terminal. */
export function processTerminal(): Terminal {
  const interactive = Deno.stderr.isTerminal();
  return {
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
    interactive,
    color: interactive && !Deno.env.get("NO_COLOR"),
  };
}

/**
 * Prints a command's result.
 *
 * @param terminal where
 * @param format text or JSON
 * @param value the result, printed as JSON with `-o json`
 * @param text the same result for a person
 */
export function printResult(
  terminal: Terminal,
  format: OutputFormat,
  value: unknown,
  text: () => string,
): void {
  terminal.stdout(format === "json" ? JSON.stringify(value, null, 2) : text());
}

/**
 * Prints an error the way DESIGN.md says: the message, the hint, and a pointer to the
 * daemon log only for internal errors.
 *
 * @param terminal where
 * @param error what was thrown
 * @param logPath the daemon log, if there is one
 * @returns the exit code for it
 */
export function printError(terminal: Terminal, error: unknown, logPath?: string): ExitCode {
  const tpxError = error instanceof TpxError
    ? error
    : new TpxError(ErrorCategory.Internal, error instanceof Error ? error.message : String(error));
  const label = terminal.color ? "\x1b[31mError:\x1b[0m" : "Error:";
  terminal.stderr(`${label} ${tpxError.message}`);
  if (tpxError.hint) terminal.stderr(`Hint: ${tpxError.hint}`);
  if (tpxError.category === ErrorCategory.Internal && logPath) {
    terminal.stderr(`This is a bug in tpx; the details are in ${logPath}`);
  }
  return exitCodeFor(tpxError.category);
}

/**
 * Where a command's notices go: one line on stderr each, such as "replacing the daemon".
 *
 * @param terminal where
 * @returns the callback
 */
export function notice(terminal: Terminal): (line: string) => void {
  return (line) => terminal.stderr(line);
}
