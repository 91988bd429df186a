/**
 * Test fixtures shared by the forwarding tests: two sessions over a loopback TCP connection,
 * the far one serving streams with {@link Outbound}, and small echo servers.
 *
 * @module
 */
import { MemoryLogger, silentLogger } from "./log.ts";
import { TcpServer } from "./tcp_server.ts";
import { Outbound, type OutboundOptions } from "./outbound.ts";
import {
  daemonCodec,
  type DaemonToManager,
  managerDaemonCodec,
  type ManagerToDaemon,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  Role,
} from "./protocol/mod.ts";
import { closeQuietly } from "./relay.ts";
import { Session } from "./session.ts";

/** A daemon-side session, a manager-side session serving outbound streams, and their log. */
export interface TunnelFixture extends AsyncDisposable {
  near: Session<DaemonToManager, ManagerToDaemon>;
  far: Session<ManagerToDaemon, DaemonToManager>;
  outbound: Outbound;
  logger: MemoryLogger;
}

/**
 * Connects two sessions over loopback TCP.
 *
 * @param outboundOptions options of the far side's {@link Outbound}, besides the logger
 * @returns the fixture; dispose it to close everything
 */
export async function tunnelFixture(
  outboundOptions: Partial<OutboundOptions> = {},
): Promise<TunnelFixture> {
  const logger = new MemoryLogger();
  const outbound = new Outbound({ logger, ...outboundOptions });
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [dialed, accepted] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  const hello = (role: Role) => ({
    role,
    minProtocol: MIN_PROTOCOL_VERSION,
    maxProtocol: PROTOCOL_VERSION,
    software: "test",
  });
  const [near, far] = await Promise.all([
    Session.connect(dialed, {
      side: "dialer",
      hello: hello(Role.Daemon),
      codec: daemonCodec,
      logger,
      keepaliveIntervalMs: 0,
    }),
    Session.connect(accepted, {
      side: "acceptor",
      hello: hello(Role.Manager),
      codec: managerDaemonCodec,
      logger,
      keepaliveIntervalMs: 0,
      onStream: (stream) => outbound.handle(stream),
    }),
  ]);
  return {
    near,
    far,
    outbound,
    logger,
    async [Symbol.asyncDispose]() {
      await near.close();
      await far.close();
      await outbound.close();
    },
  };
}

/** A TCP server on `hostname` (loopback) echoing every byte until the client half-closes. */
export function tcpEchoServer(hostname = "127.0.0.1"): AsyncDisposable & { port: number } {
  const server = TcpServer.listen({
    hostname,
    port: 0,
    logger: silentLogger,
    handle: async (conn) => {
      const buffer = new Uint8Array(64 * 1024);
      for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
        let written = 0;
        while (written < n) written += await conn.write(buffer.subarray(written, n));
      }
      await conn.closeWrite();
    },
  });
  return { port: server.port, [Symbol.asyncDispose]: () => server.close() };
}

/** A UDP server on loopback that answers each datagram with `prefix` + the datagram. */
export function udpEchoServer(prefix = ""): AsyncDisposable & { port: number } {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const head = new TextEncoder().encode(prefix);
  const serving = (async () => {
    try {
      for (;;) {
        const [data, from] = await socket.receive();
        const reply = new Uint8Array(head.length + data.length);
        reply.set(head);
        reply.set(data, head.length);
        await socket.send(reply, from);
      }
    } catch {
      // Closed by dispose.
    }
  })();
  return {
    port: (socket.addr as Deno.NetAddr).port,
    async [Symbol.asyncDispose]() {
      closeQuietly(socket);
      await serving;
    },
  };
}

/** Reads until the end of `conn`; returns everything read. */
export async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    parts.push(buffer.slice(0, n));
  }
  return concat(...parts);
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
