/**
 * The workstation's side of the demo through the code a user's commands run: the daemon is
 * started by {@link openDaemon} with a private `TPX_HOME`, and driven over its API as
 * `tpx connect`, `tpx intercept`, `tpx leave` and `tpx quit` drive it.
 *
 * @module
 */
import { TpxError } from "../../tunnel/protocol/mod.ts";
import type { DaemonClient } from "../daemon/api_client.ts";
import type {
  ConnectRequest,
  InterceptEvent,
  InterceptRequest,
  InterceptView,
  QuitResponse,
  SessionStatus,
} from "../daemon/api_types.ts";
import { type DaemonPaths, daemonPaths } from "../daemon/paths.ts";
import { openDaemon } from "../daemon/spawn.ts";

/** Stable codes of the errors of this module. */
export const DemoDaemonErrorCode = {
  BadAnswer: "demo_daemon_bad_answer",
  DidNotStop: "demo_daemon_did_not_stop",
} as const;

/**
 * The daemon paths under the demo's own directory, so the demo never meets the user's daemon.
 *
 * @param home the directory to use as `TPX_HOME`
 * @returns the paths
 */
export function demoDaemonPaths(home: string): DaemonPaths {
  return daemonPaths((name) => name === "TPX_HOME" ? home : Deno.env.get(name));
}

/**
 * The demo's daemon.
 *
 * @example
 * ```ts
 * const daemon = await DemoDaemon.start(demoDaemonPaths(`${dir}/home`));
 * await daemon.connect("127.0.0.1:8081", "demo", signal);
 * await daemon.quit();
 * ```
 */
export class DemoDaemon implements Disposable {
  readonly client: DaemonClient;
  readonly pid: number;
  readonly paths: DaemonPaths;

  private constructor(client: DaemonClient, pid: number, paths: DaemonPaths) {
    this.client = client;
    this.pid = pid;
    this.paths = paths;
  }

  /**
   * Starts the daemon the way `tpx connect` does (with nothing to replace in a fresh home).
   *
   * @param paths its private paths
   * @returns the daemon, answering
   * @throws {TpxError} `daemon_did_not_start`, pointing at its log
   */
  static async start(paths: DaemonPaths): Promise<DemoDaemon> {
    const client = await openDaemon(paths, { start: true, notice: () => {} });
    try {
      const version = await client.running();
      if (version === undefined) {
        throw new TpxError("internal", "The demo's daemon stopped right after it started", {
          code: DemoDaemonErrorCode.BadAnswer,
          hint: `its log is "${paths.log}"`,
        });
      }
      return new DemoDaemon(client, version.pid, paths);
    } catch (error) {
      client[Symbol.dispose]();
      throw error;
    }
  }

  /**
   * `tpx connect --manager-address ADDRESS -n NAMESPACE`.
   *
   * @param managerAddress the manager's daemon port on loopback
   * @param namespace where short names resolve
   * @param signal gives up when aborted
   * @returns the session
   */
  async connect(
    managerAddress: string,
    namespace: string,
    signal: AbortSignal,
  ): Promise<SessionStatus> {
    const request: ConnectRequest = {
      managerNamespace: "tpx-system",
      managerAddress,
      namespace,
      // A demo must not touch the machine's resolver, even as root.
      systemDns: "off",
      env: Deno.env.toObject(),
    };
    return await this.client.call<SessionStatus>("POST", "/connect", request, signal);
  }

  /**
   * `tpx intercept`: creates the intercept and waits until it is active.
   *
   * @param request what to intercept
   * @param signal gives up when aborted; the daemon then removes the intercept
   * @returns the intercept
   * @throws {TpxError} the daemon's refusal or failure
   */
  async intercept(request: InterceptRequest, signal: AbortSignal): Promise<InterceptView> {
    let result: InterceptView | undefined;
    let failure: TpxError | undefined;
    await this.client.stream<InterceptEvent>("/intercepts", request, (event) => {
      if ("intercept" in event) result = event.intercept;
      else if ("error" in event) failure = TpxError.fromWire(event.error);
    }, signal);
    if (failure) throw failure;
    if (result === undefined) {
      throw new TpxError("internal", "The daemon ended the intercept's answer early", {
        code: DemoDaemonErrorCode.BadAnswer,
        hint: `its log is "${this.paths.log}"`,
      });
    }
    return result;
  }

  /**
   * `tpx leave NAME`.
   *
   * @param name the intercept's name
   * @param signal gives up when aborted
   * @returns the intercept as it was
   */
  async leave(name: string, signal: AbortSignal): Promise<InterceptView> {
    return await this.client.call<InterceptView>(
      "DELETE",
      `/intercepts/${encodeURIComponent(name)}`,
      undefined,
      signal,
    );
  }

  /**
   * `tpx quit`, then waits until the daemon no longer answers; SIGTERM to its pid when it
   * still does after `graceMs` (it then disconnects and exits, as on `quit`).
   *
   * @param graceMs how long the daemon may take to stop
   * @returns what it ended, or `undefined` when it was no longer running
   * @throws {TpxError} `demo_daemon_did_not_stop` when it still answers after SIGTERM too
   */
  async quit(graceMs = 5_000): Promise<QuitResponse | undefined> {
    if (await this.client.running() === undefined) return undefined;
    const result = await this.client.call<QuitResponse>("POST", "/quit").catch(() => undefined);
    if (await this.#stopped(graceMs)) return result;
    try {
      Deno.kill(this.pid, "SIGTERM");
    } catch {
      // It exited between the last check and now.
    }
    if (await this.#stopped(graceMs)) return result;
    throw new TpxError("internal", `The demo's daemon (pid ${this.pid}) did not stop`, {
      code: DemoDaemonErrorCode.DidNotStop,
      hint: `"kill ${this.pid}" stops it; its log is "${this.paths.log}"`,
    });
  }

  async #stopped(withinMs: number): Promise<boolean> {
    const deadline = performance.now() + withinMs;
    while (performance.now() < deadline) {
      if (await this.client.running().catch(() => undefined) === undefined) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  }

  [Symbol.dispose](): void {
    this.client[Symbol.dispose]();
  }
}
