/**
 * Test helpers of the kube tests that wire a whole manager, imported by nothing else: a
 * ManagerServer on loopback with free ports, and a daemon that is a real ManagerClient over TCP.
 *
 * @module
 */

import { ManagerClient } from "../../../cli/daemon/manager_client.ts";
import { dialTcp } from "../../../tunnel/dial.ts";
import { LevelSwitch, MemoryLogger } from "../../../tunnel/log.ts";
import { ManagerServer, type ManagerServerOptions } from "../server.ts";

/**
 * Starts a manager on 127.0.0.1, every port chosen by the system, logging to memory.
 *
 * @param options what the test sets besides the ports and the logger
 * @returns the manager; dispose it with `await using`
 */
export function loopbackManager(options: Partial<ManagerServerOptions> = {}): ManagerServer {
  return ManagerServer.start({
    hostname: "127.0.0.1",
    daemonPort: 0,
    agentPort: 0,
    apiPort: 0,
    logger: new MemoryLogger(),
    levels: new LevelSwitch("debug"),
    ...options,
  });
}

/**
 * A daemon of `user` on `host`, watching namespace "shop", that dials the manager's daemon
 * port. It is not started: the test calls `start()`.
 *
 * @param manager the manager to dial
 * @param user the daemon's user
 * @param host the daemon's host
 * @returns the client, closed on dispose
 */
export function loopbackDaemon(
  manager: ManagerServer,
  user = "ana",
  host = "laptop",
): ManagerClient & AsyncDisposable {
  const client = new ManagerClient({
    connect: () => dialTcp("127.0.0.1", manager.ports.daemon),
    user,
    host,
    namespaces: ["shop"],
    logger: new MemoryLogger(),
  });
  return Object.assign(client, { [Symbol.asyncDispose]: () => client.close() });
}
