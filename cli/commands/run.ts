/**
 * `tpx run -- CMD ARGS`: the rootless way to the cluster. The command runs with the proxy
 * variables pointing at the daemon's SOCKS5/HTTP proxy, which resolves cluster names itself
 * (`socks5h`), so `curl http://web.shop` works without touching the system resolver.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { proxyEnvironment } from "../../tunnel/proxy/mod.ts";
import { TpxError } from "../../tunnel/protocol/mod.ts";
import type { StatusResponse } from "../daemon/api_types.ts";
import { daemonPaths } from "../daemon/paths.ts";
import { openDaemon } from "../daemon/spawn.ts";
import { CommandExit } from "../exit_codes.ts";
import { notice, type Terminal } from "../output.ts";
import { runWithEnvironment } from "./intercept_env.ts";

/**
 * The `run` command.
 *
 * @param terminal where notices go
 * @returns the command
 */
export function runCommand(terminal: Terminal) {
  return new Command("run")
    .description("run a command that reaches the cluster through tpx's proxy (no root needed)")
    .argument("<command...>", "the command and its arguments, after --")
    .action(async (command) => {
      using daemon = await openDaemon(daemonPaths(), { start: false, notice: notice(terminal) });
      const status = await daemon.call<StatusResponse>("GET", "/status");
      const proxy = status.session?.proxy;
      if (proxy === undefined) {
        throw new TpxError("user", "tpx is not connected to a cluster", {
          code: "not_connected",
          hint: '"tpx connect" connects',
        });
      }
      const local = Deno.env.toObject();
      const env = {
        ...local,
        ...proxyEnvironment({
          hostname: proxy.address,
          port: proxy.port,
          ...(local.NO_PROXY ?? local.no_proxy
            ? { noProxy: local.NO_PROXY ?? local.no_proxy }
            : {}),
        }),
      };
      const code = await runWithEnvironment(command, env);
      if (code !== 0) throw new CommandExit(code);
    });
}
