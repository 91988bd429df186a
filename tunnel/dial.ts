/**
 * Dialing TCP, with the runtime's errors mapped at this one edge.
 *
 * @module
 */
import { joinHostPort } from "./net_errors.ts";
import { TpxError } from "./protocol/mod.ts";

/**
 * Connects to `hostname:port` with Nagle off (the tunnel carries interactive traffic).
 *
 * @param hostname where
 * @param port which port
 * @returns the connection
 * @throws {TpxError} `connection_refused` or `unreachable`, naming the address
 */
export async function dialTcp(hostname: string, port: number): Promise<Deno.TcpConn> {
  try {
    const conn = await Deno.connect({ hostname, port });
    conn.setNoDelay(true);
    return conn;
  } catch (error) {
    const address = joinHostPort(hostname, port);
    if (error instanceof Deno.errors.ConnectionRefused) {
      throw new TpxError("cluster", `Nothing listens on ${address}`, {
        code: "connection_refused",
        retryable: true,
        cause: error,
      });
    }
    throw new TpxError("cluster", `Cannot reach ${address}: ${(error as Error).message}`, {
      code: "unreachable",
      retryable: true,
      cause: error,
    });
  }
}
