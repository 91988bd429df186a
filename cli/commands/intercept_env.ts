/**
 * The intercepted container's environment on this machine: written to files for an IDE or
 * a debugger (`--env-file`, `--env-json`), or given to a command (`intercept -- CMD`).
 *
 * @module
 */
import { TpxError } from "../../tunnel/protocol/mod.ts";

/**
 * Variables that describe this machine rather than the app; the command keeps its own,
 * or it could not even be found (`PATH`) or write its files (`HOME`, `TMPDIR`).
 */
export const LOCAL_VARIABLES = ["PATH", "HOME", "USER", "SHELL", "TERM", "TMPDIR", "LANG"];

/**
 * The command's environment: this machine's, then the container's on top, but for
 * {@link LOCAL_VARIABLES}.
 *
 * @param local this process's environment
 * @param container the container's variables
 * @returns the merged environment
 */
export function commandEnvironment(
  local: Record<string, string>,
  container: Record<string, string>,
): Record<string, string> {
  const merged = { ...local };
  for (const [name, value] of Object.entries(container)) {
    if (!LOCAL_VARIABLES.includes(name)) merged[name] = value;
  }
  return merged;
}

/**
 * The variables in the env-file format of Docker and most IDEs: `NAME=value` a line. That
 * format has no quoting, so a line break inside a value is written as `\n`.
 *
 * @param env the variables
 * @returns the file's text
 */
export function envFileText(env: Record<string, string>): string {
  return Object.keys(env).sort().map((name) => `${name}=${env[name]!.replaceAll("\n", "\\n")}\n`)
    .join("");
}

/**
 * Writes the files asked for.
 *
 * @param env the variables
 * @param files `--env-file` and `--env-json`
 * @throws {TpxError} (user) naming a file that cannot be written
 */
export async function writeEnvFiles(
  env: Record<string, string>,
  files: { envFile?: string | undefined; envJson?: string | undefined },
): Promise<void> {
  const write = async (path: string, text: string) => {
    try {
      // The values may hold secrets (envFrom of a Secret): owner-only.
      await Deno.writeTextFile(path, text, { mode: 0o600 });
    } catch (error) {
      throw new TpxError(
        "user",
        `Cannot write the environment to "${path}": ${(error as Error).message}`,
        {
          code: "env_file_unwritable",
          hint: "give a path in a directory you can write",
        },
      );
    }
  };
  if (files.envFile) await write(files.envFile, envFileText(env));
  if (files.envJson) await write(files.envJson, `${JSON.stringify(env, null, 2)}\n`);
}

/**
 * Runs the command with the environment, its input and output this terminal's. Ctrl-C goes
 * to the command (same process group); this process waits, so that it can leave afterwards.
 *
 * @param command the command and its arguments
 * @param env its environment
 * @returns its exit code (128 + signal number when a signal ended it)
 * @throws {TpxError} (user) when the command cannot be started
 */
export async function runWithEnvironment(
  command: string[],
  env: Record<string, string>,
): Promise<number> {
  const [program, ...args] = command;
  const ignore = () => {};
  Deno.addSignalListener("SIGINT", ignore);
  try {
    const child = new Deno.Command(program!, {
      args,
      env,
      clearEnv: true,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    const status = await child.status;
    return status.signal ? 128 + signalNumber(status.signal) : status.code;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new TpxError("user", `Cannot run "${program}": no such command`, {
        code: "command_not_found",
        hint: "check the command after --, and PATH",
      });
    }
    throw error;
  } finally {
    Deno.removeSignalListener("SIGINT", ignore);
  }
}

function signalNumber(signal: Deno.Signal): number {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGHUP: 1, SIGQUIT: 3 } as Record<string, number>)[
    signal
  ] ?? 1;
}
