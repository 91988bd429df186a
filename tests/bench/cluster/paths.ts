/**
 * The paths the cluster benchmark compares, each a local port that reaches the echo app:
 * tpx's tunnel (a forwarder whose streams go over a session to the manager pod, which dials
 * the echo Service) carried by a given byte channel, and `kubectl port-forward` to the pod.
 *
 * @module
 */
import { ManagerClient } from "../../../cli/daemon/manager_client.ts";
import type { ByteChannel } from "../../../tunnel/channel.ts";
import { silentLogger } from "../../../tunnel/log.ts";
import { TcpForwarder } from "../../../tunnel/tcp_forwarder.ts";

/** A local port to measure through, and how to take it down. */
export interface BenchPath extends AsyncDisposable {
  port: number;
}

/**
 * tpx's tunnel to the manager over `connect`, and a forwarder to `target` through it.
 *
 * @param connect opens the byte channel to the manager's daemon port
 * @param namespace the namespace the session announces
 * @param target where the manager dials (the echo Service)
 * @returns the forwarder's port
 */
export async function tunnelPath(
  connect: () => Promise<ByteChannel>,
  namespace: string,
  target: { host: string; port: number },
): Promise<BenchPath> {
  const client = new ManagerClient({
    connect,
    user: "bench",
    host: "bench",
    namespaces: [namespace],
    logger: silentLogger,
  });
  await client.start();
  const forwarder = TcpForwarder.listen({
    hostname: "127.0.0.1",
    port: 0,
    target,
    opener: { open: (destination) => client.session!.open(destination) },
    logger: silentLogger,
  });
  return {
    port: forwarder.port,
    async [Symbol.asyncDispose]() {
      await forwarder.close();
      await client.close();
    },
  };
}
