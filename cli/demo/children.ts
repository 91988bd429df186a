/**
 * The demo's stand-ins for the cluster side: `tpx traffic-manager` and `tpx traffic-agent`
 * run as child processes of this same program (the CLI never imports their code), each with
 * its JSON-line log copied to a file and watched for the line that says it is ready.
 *
 * @module
 */
import { TpxError } from "../../tunnel/protocol/mod.ts";
import { daemonCommandLine } from "../daemon/spawn.ts";

/** Stable codes of the errors of this module. */
export const ChildErrorCode = {
  Exited: "demo_child_exited",
  CommandLine: "demo_command_line",
} as const;

/** A log line of a child, parsed. */
export type LogLine = Record<string, unknown>;

/**
 * The command line that runs `tpx <subcommand>` with this program: the daemon's, with its
 * subcommand swapped, so the demo runs the cluster side exactly as `connect` runs the daemon
 * (the binary itself when compiled, else this Deno with this checkout's main.ts).
 *
 * @param subcommand such as `traffic-manager`
 * @returns the executable and its arguments
 */
export function tpxCommandLine(subcommand: string): { command: string; args: string[] } {
  const { command, args } = daemonCommandLine();
  if (args.at(-1) !== "daemon") {
    throw new TpxError("internal", `The daemon's command line does not end in "daemon"`, {
      code: ChildErrorCode.CommandLine,
    });
  }
  return { command, args: [...args.slice(0, -1), subcommand] };
}

/** Options of {@link startChild}. */
export interface ChildOptions {
  /** Such as `traffic-manager`. */
  subcommand: string;
  /** Its whole environment: nothing of this process's leaks in (no `KUBERNETES_*`). */
  env: Record<string, string>;
  /** Where its output is copied. */
  logPath: string;
}

/**
 * A running child.
 *
 * @example
 * ```ts
 * const manager = await ChildProcess.start({ subcommand: "traffic-manager", env, logPath });
 * const started = await manager.waitForLog("manager started", ["manager failed"], signal);
 * await manager.stop();
 * ```
 */
export class ChildProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #logs: LogLine[] = [];
  readonly #changed = new EventTarget();
  readonly #copying: Promise<void>;
  readonly #status: Promise<Deno.CommandStatus>;
  #exited: Deno.CommandStatus | undefined;
  readonly subcommand: string;
  readonly logPath: string;

  private constructor(child: Deno.ChildProcess, log: Deno.FsFile, options: ChildOptions) {
    this.#child = child;
    this.subcommand = options.subcommand;
    this.logPath = options.logPath;
    this.#copying = this.#copy(log);
    this.#status = child.status.then(async (status) => {
      // Its last lines say why it stopped; they may still be in the pipe.
      await this.#copying;
      this.#exited = status;
      this.#changed.dispatchEvent(new Event("change"));
      return status;
    });
  }

  /**
   * Starts `tpx <subcommand>`.
   *
   * @param options the subcommand, its environment and its log file
   * @returns the child, running
   */
  static async start(options: ChildOptions): Promise<ChildProcess> {
    const log = await Deno.open(options.logPath, { create: true, append: true, mode: 0o600 });
    try {
      const { command, args } = tpxCommandLine(options.subcommand);
      const child = new Deno.Command(command, {
        args,
        env: options.env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        // Deno's own complaints (a missing module, a panic) belong in the same log.
        stderr: "piped",
      }).spawn();
      return new ChildProcess(child, log, options);
    } catch (error) {
      log.close();
      throw error;
    }
  }

  /** Its process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /**
   * Waits for the first log line whose `msg` is `message`.
   *
   * @param message the line that means ready, such as `manager started`
   * @param failures lines that mean it will never be ready, such as `manager failed`
   * @param signal gives up when aborted
   * @returns the line
   * @throws {TpxError} `demo_child_exited` when it exits or logs a failure first, with its
   *   last words; the signal's reason when aborted
   */
  waitForLog(message: string, failures: string[], signal: AbortSignal): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.#logs.find((l) => l.msg === message);
        const failure = this.#logs.find((l) => failures.includes(String(l.msg)));
        if (line) done(() => resolve(line));
        else if (failure) done(() => reject(this.#failed(JSON.stringify(failure))));
        else if (this.#exited) done(() => reject(this.#failed(`exit code ${this.#exited?.code}`)));
      };
      const abort = () => done(() => reject(signal.reason));
      const done = (settle: () => void) => {
        this.#changed.removeEventListener("change", check);
        signal.removeEventListener("abort", abort);
        settle();
      };
      this.#changed.addEventListener("change", check);
      signal.addEventListener("abort", abort, { once: true });
      if (signal.aborted) abort();
      else check();
    });
  }

  #failed(why: string): TpxError {
    return new TpxError("internal", `"tpx ${this.subcommand}" stopped: ${why}`, {
      code: ChildErrorCode.Exited,
      hint: `its log is "${this.logPath}"`,
    });
  }

  /**
   * Stops it with SIGTERM, and SIGKILL if it has not exited after `graceMs`.
   *
   * @param graceMs how long it may take to stop cleanly
   * @returns whether it stopped on SIGTERM
   */
  async stop(graceMs = 5_000): Promise<boolean> {
    let clean = true;
    if (this.#exited === undefined) {
      signalQuietly(this.#child, "SIGTERM");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const exited = await Promise.race([
        this.#status.then(() => true),
        new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), graceMs)),
      ]);
      clearTimeout(timer);
      if (!exited) {
        clean = false;
        signalQuietly(this.#child, "SIGKILL");
      }
    }
    await this.#status;
    return clean;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop().then(() => {});
  }

  /** Copies stdout and stderr to the log, parsing stdout's JSON lines as they come. */
  async #copy(log: Deno.FsFile): Promise<void> {
    const encoder = new TextEncoder();
    const write = (text: string) => log.writeSync(encoder.encode(text));
    const stdout = (async () => {
      let pending = "";
      for await (const chunk of this.#child.stdout.pipeThrough(new TextDecoderStream())) {
        write(chunk);
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) this.#parse(line);
      }
    })();
    const stderr = (async () => {
      for await (const chunk of this.#child.stderr.pipeThrough(new TextDecoderStream())) {
        write(chunk);
      }
    })();
    try {
      await Promise.all([stdout, stderr]);
    } finally {
      log.close();
    }
  }

  #parse(line: string): void {
    if (line.trim() === "") return;
    try {
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === "object" && parsed !== null) this.#logs.push(parsed as LogLine);
    } catch {
      // Not a log line (a stack trace); it is in the file.
      return;
    }
    this.#changed.dispatchEvent(new Event("change"));
  }
}

/** Signals a child that may have exited already, which is not an error here. */
function signalQuietly(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch (error) {
    if (!(error instanceof TypeError) && !(error instanceof Deno.errors.NotFound)) throw error;
  }
}
