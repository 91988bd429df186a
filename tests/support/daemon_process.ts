/**
 * A stand-in daemon as a process of its own, so a test can kill it with SIGKILL the way a
 * developer's laptop crashes: it connects to a manager, creates one intercept, prints
 * `ready`, and then does nothing until it dies.
 *
 *   deno run -A daemon_process.ts MANAGER_DAEMON_PORT LOCAL_PORT 'SPEC_JSON' USER
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { ManagerClient } from "../../cli/daemon/manager_client.ts";
import { dialTcp } from "../../tunnel/dial.ts";
import { silentLogger } from "../../tunnel/log.ts";
import type { InterceptSpec } from "../../tunnel/protocol/mod.ts";

const [managerPort, localPort, specJson, user] = Deno.args;
const client = new ManagerClient({
  connect: () => dialTcp("127.0.0.1", Number(managerPort)),
  user: user ?? "crash",
  host: "test",
  namespaces: ["shop"],
  logger: silentLogger,
});
await client.start();
const intercept = await client.createIntercept(JSON.parse(specJson!) as InterceptSpec, {
  host: "127.0.0.1",
  port: Number(localPort),
});
console.log(JSON.stringify({ ready: true, intercept }));
await new Promise(() => {/* until killed */});
