/**
 * `tpx daemon`: the per-user background process that `tpx connect` starts. It serves the
 * daemon API on an owner-only Unix socket, logs JSON lines to a file, and exits on
 * `tpx quit` or SIGTERM after disconnecting.
 *
 * @module
 */
import { jsonLinesLogger, LevelSwitch, parseLogLevel } from "../../tunnel/log.ts";
import { daemonApi } from "./api.ts";
import { DaemonClient } from "./api_client.ts";
import { Daemon } from "./daemon.ts";
import { daemonPaths, ensureHome } from "./paths.ts";

/**
 * Runs the daemon until it is told to quit.
 *
 * @param _args unused
 * @returns the exit code
 */
export async function main(_args: string[]): Promise<number> {
  const paths = daemonPaths();
  await ensureHome(paths);
  {
    using other = new DaemonClient(paths.socket);
    if (await other.running()) {
      // deno-lint-ignore no-console
      console.error(`Error: a tpx daemon already answers on "${paths.socket}"`);
      return 1;
    }
  }
  await Deno.remove(paths.socket).catch(() => {});
  const log = await Deno.open(paths.log, { append: true, create: true, mode: 0o600 });
  const encoder = new TextEncoder();
  const logger = jsonLinesLogger(
    (line) => log.writeSync(encoder.encode(`${line}\n`)),
    new LevelSwitch(parseLogLevel(Deno.env.get("TPX_LOG_LEVEL"))),
  );
  const daemon = new Daemon({
    logger,
    logPath: paths.log,
  });
  const stopped = Promise.withResolvers<void>();
  const server = Deno.serve(
    { path: paths.socket, onListen: () => {} },
    daemonApi({ daemon, logger, onQuit: () => stopped.resolve() }).fetch,
  );
  await Deno.chmod(paths.socket, 0o600);
  logger.info("daemon started", { pid: Deno.pid, socket: paths.socket });
  const stop = () => stopped.resolve();
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  await stopped.promise;
  await daemon.quit().catch((error) => logger.error("quit failed", { error }));
  await server.shutdown();
  await Deno.remove(paths.socket).catch(() => {});
  logger.info("daemon stopped", { pid: Deno.pid });
  log.close();
  return 0;
}
