/**
 * What the tunnel benchmarks share: a tunnel over loopback TCP with a forwarder in front, and
 * the baseline it is measured against — one userspace relay doing the same job.
 *
 * @module
 */
import { silentLogger } from "../../tunnel/log.ts";
import { Outbound } from "../../tunnel/outbound.ts";
import {
  daemonCodec,
  managerDaemonCodec,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  Role,
} from "../../tunnel/protocol/mod.ts";
import { closeQuietly } from "../../tunnel/relay.ts";
import { Session } from "../../tunnel/session.ts";
import { TcpForwarder } from "../../tunnel/tcp_forwarder.ts";
import { TcpServer } from "../../tunnel/tcp_server.ts";

/** Something that listens on loopback and leads to `target`. */
export interface Path extends AsyncDisposable {
  port: number;
}

/**
 * The manager's side: accepts one tunnel connection and dials each stream's destination.
 *
 * @returns the port the tunnel connects to; dispose to tear it down
 */
export function farSide(): Promise<Path> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const outbound = new Outbound({ logger: silentLogger });
  let session: Session<unknown, unknown> | undefined;
  const accepting = (async () => {
    const conn = await listener.accept();
    conn.setNoDelay(true);
    session = await Session.connect(conn, {
      side: "acceptor",
      hello: hello(Role.Manager),
      codec: managerDaemonCodec,
      logger: silentLogger,
      onStream: (s) => outbound.handle(s),
    }) as Session<unknown, unknown>;
  })();
  return Promise.resolve({
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      closeQuietly(listener);
      await accepting.catch(() => {});
      await session?.close();
      await outbound.close();
    },
  });
}

/**
 * The daemon's side: a session to the far side at `tunnelPort`, and a TCP forwarder whose
 * connections go through it to `targetPort`.
 *
 * @param tunnelPort where the far side listens
 * @param targetPort where the far side dials
 * @returns the forwarder's port; dispose to tear it down
 */
export async function nearSide(tunnelPort: number, targetPort: number): Promise<Path> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: tunnelPort });
  conn.setNoDelay(true);
  const session = await Session.connect(conn, {
    side: "dialer",
    hello: hello(Role.Daemon),
    codec: daemonCodec,
    logger: silentLogger,
  });
  const forwarder = TcpForwarder.listen({
    hostname: "127.0.0.1",
    port: 0,
    target: { host: "127.0.0.1", port: targetPort },
    opener: session,
    logger: silentLogger,
  });
  return {
    port: forwarder.port,
    async [Symbol.asyncDispose]() {
      await forwarder.close();
      await session.close();
    },
  };
}

function hello(role: Role) {
  return {
    role,
    minProtocol: MIN_PROTOCOL_VERSION,
    maxProtocol: PROTOCOL_VERSION,
    software: "bench",
  };
}

/** Runs a path in a worker thread; see path_worker.ts. */
async function inWorker(message: Record<string, unknown>): Promise<Path> {
  const worker = new Worker(new URL("./path_worker.ts", import.meta.url).href, { type: "module" });
  const reply = (m: Record<string, unknown>) =>
    new Promise<Record<string, unknown>>((resolve) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.postMessage(m);
    });
  const { port } = await reply(message) as { port: number };
  return {
    port,
    async [Symbol.asyncDispose]() {
      await reply({ kind: "close" });
      worker.terminate();
    },
  };
}

/**
 * The path under test, each side in a thread of its own as in real life (the daemon on the
 * workstation, the manager in the cluster): a TCP forwarder → a session over a loopback TCP
 * connection → the far session's outbound dialer → `targetPort`.
 *
 * @param targetPort where the far side dials
 * @returns the forwarder's port; dispose to tear all down
 */
export async function tunnelPath(targetPort: number): Promise<Path> {
  const far = await inWorker({ kind: "far" });
  const near = await inWorker({ kind: "near", tunnelPort: far.port, targetPort });
  return {
    port: near.port,
    async [Symbol.asyncDispose]() {
      await near[Symbol.asyncDispose]();
      await far[Symbol.asyncDispose]();
    },
  };
}

/**
 * The baseline in a thread of its own, as `kubectl port-forward` would be a process of its
 * own: see {@link relayPath}.
 *
 * @param targetPort where the relay dials
 * @returns the relay's port; dispose to stop it
 */
export function relayPathInWorker(targetPort: number): Promise<Path> {
  return inWorker({ kind: "relay", targetPort });
}

/**
 * The baseline: one userspace relay (a read/write loop each way on reused buffers) between a
 * loopback listener and `targetPort` — what any port-forwarder does at the least.
 *
 * @param targetPort where the relay dials
 * @returns the relay's port; dispose to stop it
 */
export function relayPath(targetPort: number): Path {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const serving = (async () => {
    const relays: Promise<void>[] = [];
    for await (const client of listener) {
      relays.push((async () => {
        const server = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
        client.setNoDelay(true);
        server.setNoDelay(true);
        conns.add(client).add(server);
        await Promise.all([copy(client, server), copy(server, client)]);
        closeQuietly(client);
        closeQuietly(server);
        conns.delete(client);
        conns.delete(server);
      })());
    }
    await Promise.allSettled(relays);
  })();
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      closeQuietly(listener);
      for (const conn of conns) closeQuietly(conn);
      await serving;
    },
  };
}

async function copy(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (let n = await from.read(buffer); n !== null; n = await from.read(buffer)) {
      let written = 0;
      while (written < n) written += await to.write(buffer.subarray(written, n));
    }
    await to.closeWrite();
  } catch {
    // One side went away; the other is closed by the caller.
  }
}

/**
 * A TCP server on loopback; `handle` serves each connection, which is closed afterwards.
 *
 * @param handle what to do with a connection
 * @returns its port; dispose to stop it
 */
export function server(handle: (conn: Deno.TcpConn) => Promise<void>): Path {
  const tcp = TcpServer.listen({ hostname: "127.0.0.1", port: 0, logger: silentLogger, handle });
  return { port: tcp.port, [Symbol.asyncDispose]: () => tcp.close() };
}

/**
 * Writes all of `data`.
 *
 * @param conn where to
 * @param data what
 */
export async function writeFully(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.length) written += await conn.write(data.subarray(written));
}

/**
 * Reads exactly `p.length` bytes.
 *
 * @param conn where from
 * @param p where to
 * @returns false when the stream ended first
 */
export async function readFully(conn: Deno.Conn, p: Uint8Array): Promise<boolean> {
  let got = 0;
  while (got < p.length) {
    const n = await conn.read(p.subarray(got));
    if (n === null) return false;
    got += n;
  }
  return true;
}

/**
 * A sink that counts what it reads and, once its peer half-closes, answers with the count
 * (8 bytes, big-endian), so a pusher knows every byte arrived.
 *
 * @returns the sink
 */
export function countingSink(): Path {
  return server(countAndAnswer);
}

/**
 * What a {@link countingSink} does with one connection: counts what it reads and answers with
 * the count once its peer half-closed.
 *
 * @param conn the connection
 */
export async function countAndAnswer(conn: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(256 * 1024);
  let total = 0n;
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    total += BigInt(n);
  }
  const reply = new Uint8Array(8);
  new DataView(reply.buffer).setBigUint64(0, total);
  await writeFully(conn, reply);
}

/**
 * Pushes `bytes` into a {@link countingSink} over `conn`, half-closes, waits for the count
 * and closes.
 *
 * @param conn a connection that reaches the sink
 * @param bytes how many bytes to push
 * @throws {Error} when the sink did not answer or counted other than `bytes`
 */
export async function pushIntoSink(conn: Deno.TcpConn, bytes: number): Promise<void> {
  const chunk = new Uint8Array(256 * 1024).fill(0x5a);
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    await writeFully(conn, chunk.subarray(0, Math.min(chunk.length, bytes - sent)));
  }
  await conn.closeWrite();
  const reply = new Uint8Array(8);
  if (!await readFully(conn, reply)) throw new Error("the sink did not answer");
  conn.close();
  const counted = Number(new DataView(reply.buffer).getBigUint64(0));
  if (counted !== bytes) throw new Error(`the sink counted ${counted} of ${bytes} bytes`);
}
