/**
 * The tpx CLI run as a user runs it, each command a process of its own, with a private
 * `TPX_HOME` so that the daemon it starts is this test's alone.
 *
 * @module
 */
const mainModule = new URL("../../main.ts", import.meta.url).pathname;

/** What one command printed, and its exit code. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The arguments of `tpx connect` to a manager whose daemon port is on loopback, leaving the
 * system resolver alone (no test may change the machine's).
 *
 * @param daemonPort the manager's daemon port on 127.0.0.1
 * @param more further arguments, such as `-n shop`
 * @returns the arguments for {@link CliHome.run}
 */
export function connectArgs(daemonPort: number, ...more: string[]): string[] {
  return [
    "connect",
    "--manager-address",
    `127.0.0.1:${daemonPort}`,
    "--system-dns",
    "off",
    ...more,
  ];
}

/**
 * A finished command's exit code and output, decoded.
 *
 * @param output what `Deno.Command.output()` returned
 * @returns the result
 */
export function cliResult(output: Deno.CommandOutput): CliResult {
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

/**
 * Runs `tpx ARGS` from source as a process, without colour.
 *
 * @param args its arguments
 * @param env more of its environment (added to this process's)
 * @returns its exit code and output
 */
export async function runTpx(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", mainModule, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  return cliResult(output);
}

/** A private tpx home: its commands, and a dispose that stops its daemon and removes it. */
export interface CliHome extends AsyncDisposable {
  home: string;
  run(args: string[], env?: Record<string, string>): Promise<CliResult>;
  /** Runs with `-o json` and parses stdout; fails the test on a non-zero exit. */
  json<T>(args: string[]): Promise<T>;
}

/**
 * A fresh home.
 *
 * @returns the home
 */
export async function cliHome(): Promise<CliHome> {
  const home = await Deno.makeTempDir({ prefix: "tpx-home-" });
  const run = async (args: string[], env: Record<string, string> = {}): Promise<CliResult> => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "--quiet", mainModule, ...args],
      env: { TPX_HOME: home, NO_COLOR: "1", ...env },
      stdin: "null",
    }).output();
    return cliResult(output);
  };
  return {
    home,
    run,
    async json<T>(args: string[]): Promise<T> {
      const result = await run([...args, "-o", "json"]);
      if (result.code !== 0) {
        throw new Error(`tpx ${args.join(" ")} exited with ${result.code}: ${result.stderr}`);
      }
      return JSON.parse(result.stdout) as T;
    },
    async [Symbol.asyncDispose]() {
      await run(["quit"]);
      await Deno.remove(home, { recursive: true });
    },
  };
}
