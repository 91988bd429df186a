/**
 * Reaching this user's daemon the way every command needs it: started in the background when
 * `connect` finds none, and replaced — keeping its connection and intercepts — when the one
 * running is of another tpx version (the binary was upgraded meanwhile).
 *
 * @module
 */
import { TPX_VERSION, TpxError } from "../../tunnel/protocol/mod.ts";
import type { DaemonHandover, InterceptEvent } from "./api_types.ts";
import { DaemonClient } from "./api_client.ts";
import { type DaemonPaths, ensureHome } from "./paths.ts";

/** Stable codes of the errors of this module. */
export const SpawnErrorCode = {
  DaemonDidNotStart: "daemon_did_not_start",
  DaemonDidNotStop: "daemon_did_not_stop",
} as const;

/** Options of {@link openDaemon}. */
export interface OpenDaemonOptions {
  /** Start a daemon when none runs (`connect`); others only talk to a running one. */
  start: boolean;
  /** Receives what happens, such as the replacement of a daemon of another version. */
  notice: (line: string) => void;
  /** How long a new daemon may take to answer; default 15 s. */
  timeoutMs?: number;
}

/**
 * The command line that runs `tpx daemon` with this same program: the binary itself when
 * compiled, else this Deno with this checkout's main.ts and config.
 *
 * @returns the executable and its arguments
 */
export function daemonCommandLine(): { command: string; args: string[] } {
  if (Deno.build.standalone) return { command: Deno.execPath(), args: ["daemon"] };
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const config = new URL("../../deno.json", import.meta.url).pathname;
  return {
    command: Deno.execPath(),
    args: ["run", "--allow-all", "--unstable-net", "--config", config, main, "daemon"],
  };
}

/**
 * A client of this user's daemon.
 *
 * @param paths the user's daemon paths
 * @param options whether to start one, and where notices go
 * @returns the client (its calls fail with "not connected" when none runs and none started)
 * @throws {TpxError} when a daemon had to be started or replaced and could not be
 */
export async function openDaemon(
  paths: DaemonPaths,
  options: OpenDaemonOptions,
): Promise<DaemonClient> {
  const client = new DaemonClient(paths.socket);
  try {
    const running = await client.running();
    if (running?.tpx === TPX_VERSION) return client;
    if (running) {
      options.notice(
        `the running daemon is tpx ${running.tpx}, this is tpx ${TPX_VERSION}: replacing it, ` +
          "with its connection and intercepts",
      );
      await replace(client, paths, options);
      return client;
    }
    if (options.start) await spawnDaemon(client, paths, options.timeoutMs ?? 15_000);
    return client;
  } catch (error) {
    client[Symbol.dispose]();
    throw error;
  }
}

async function replace(
  client: DaemonClient,
  paths: DaemonPaths,
  options: OpenDaemonOptions,
): Promise<void> {
  // A daemon from before hand-overs existed has no such route: it is replaced all the same.
  const handover = await client.call<DaemonHandover>("GET", "/handover")
    .catch((): DaemonHandover => ({ intercepts: [] }));
  await client.call("POST", "/quit");
  await waitUntil(async () => await client.running() === undefined, 10_000).catch(() => {
    throw new TpxError("internal", "The daemon of the other tpx version did not stop", {
      code: SpawnErrorCode.DaemonDidNotStop,
      hint: `stop it (its pid is in "${paths.log}"), then run the command again`,
    });
  });
  await spawnDaemon(client, paths, options.timeoutMs ?? 15_000);
  if (handover.connect === undefined) return;
  await client.call("POST", "/connect", handover.connect);
  for (const intercept of handover.intercepts) {
    let failure: string | undefined;
    await client.stream<InterceptEvent>("/intercepts", intercept, (event) => {
      if ("error" in event) failure = event.error.message;
    });
    options.notice(
      failure === undefined
        ? `intercept "${intercept.name}" carried over`
        : `intercept "${intercept.name}" could not be carried over: ${failure}`,
    );
  }
}

async function spawnDaemon(client: DaemonClient, paths: DaemonPaths, timeoutMs: number) {
  await ensureHome(paths);
  const { command, args } = daemonCommandLine();
  const child = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: true,
    env: { TPX_HOME: paths.home },
  }).spawn();
  child.unref();
  let exited = false;
  child.status.then(() => exited = true);
  await waitUntil(async () => exited || await client.running() !== undefined, timeoutMs)
    .catch(() => {});
  if (await client.running() === undefined) {
    throw new TpxError("internal", "The tpx daemon did not start", {
      code: SpawnErrorCode.DaemonDidNotStart,
      hint: `its log is "${paths.log}"`,
    });
  }
}

async function waitUntil(done: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await done()) {
    if (Date.now() >= deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
