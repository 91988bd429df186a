/**
 * A UDP association with a server on this host: what the agent uses to pass datagrams to the
 * app it fronts.
 *
 * @module
 */
import { MAX_DATAGRAM } from "./protocol/mod.ts";
import { closeQuietly } from "./relay.ts";
import type { DatagramPath } from "./udp_forwarder.ts";

/**
 * A socket of its own for one association, so the server's replies come back to it alone.
 *
 * @param hostname the server's address (an IP literal)
 * @param port the server's port
 * @returns the association's path
 */
export function localDatagramPath(hostname: string, port: number): Promise<DatagramPath> {
  const socket = Deno.listenDatagram({
    transport: "udp",
    hostname: hostname.includes(":") ? "::1" : "127.0.0.1",
    port: 0,
  });
  const server: Deno.NetAddr = { transport: "udp", hostname, port };
  let closed = false;
  return Promise.resolve({
    async writeDatagram(datagram) {
      if (closed) return false;
      await socket.send(datagram, server);
      return true;
    },
    async readDatagram() {
      try {
        for (;;) {
          const [datagram, from] = await socket.receive(new Uint8Array(MAX_DATAGRAM));
          // Only the server's replies: anyone else on this host could aim at our port.
          const addr = from as Deno.NetAddr;
          if (addr.port === port) return datagram;
        }
      } catch {
        return null;
      }
    },
    reset() {
      closed = true;
      closeQuietly(socket);
    },
  });
}
