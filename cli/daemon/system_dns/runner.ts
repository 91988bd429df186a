/**
 * The one place where the system DNS change starts programs, so the rest sees a
 * {@link CommandRunner} that tests replace.
 *
 * @module
 */

import type { CommandResult, CommandRunner } from "./types.ts";

/**
 * Runs a program with `Deno.Command`; a program that is not installed ends with code 127,
 * like a shell, instead of throwing, since "not installed" is an answer the callers expect.
 *
 * @example
 * ```ts
 * const { success } = await runCommand("resolvectl", ["status"]);
 * ```
 *
 * @param command the program, looked up on PATH
 * @param args its arguments
 * @returns how it ended and what it printed
 */
export const runCommand: CommandRunner = async (command, args): Promise<CommandResult> => {
  try {
    const output = await new Deno.Command(command, {
      args: [...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    return {
      success: output.success,
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { success: false, code: 127, stdout: "", stderr: `${command}: not found` };
    }
    throw error;
  }
};
