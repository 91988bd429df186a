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
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
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
