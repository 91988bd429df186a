import assert from "node:assert/strict";
import { pattern } from "./_test_pairs.ts";
import { readAll, tcpEchoServer, type TunnelFixture, tunnelFixture } from "./_test_tunnel.ts";
import { FakeClock } from "./clock.ts";
import { TpxError } from "./protocol/mod.ts";
import { TcpForwarder } from "./tcp_forwarder.ts";
import { resetTcp } from "./tcp_reset.ts";

/** Deno's TcpConn can send a reset only on Linux (tcp_reset.ts); elsewhere the client sees an end. */
function assertReset(ended: unknown): void {
  if (Deno.build.os === "linux") {
    assert.ok(ended instanceof Deno.errors.ConnectionReset, String(ended));
  } else assert.equal(ended, null);
}

/** A forwarder on a free loopback port, through `tunnel`, to `port` on loopback. */
function forwarderTo(tunnel: TunnelFixture, port: number): TcpForwarder {
  return TcpForwarder.listen({
    hostname: "127.0.0.1",
    port: 0,
    target: { host: "127.0.0.1", port },
    opener: tunnel.near,
    logger: tunnel.logger,
  });
}

async function writeAllTo(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.length) written += await conn.write(data.subarray(written));
}

Deno.test("TcpForwarder carries 4 MiB both ways intact through the tunnel", async () => {
  await using tunnel = await tunnelFixture();
  await using echo = tcpEchoServer();
  await using forwarder = forwarderTo(tunnel, echo.port);
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: forwarder.port });
  const payload = pattern(4 * 1024 * 1024);
  const [, echoed] = await Promise.all([
    writeAllTo(conn, payload).then(() => conn.closeWrite()),
    readAll(conn),
  ]);
  assert.equal(echoed.length, payload.length);
  assert.deepEqual(echoed, payload);
});

Deno.test("TcpForwarder passes a half-close on and still carries the reply", async () => {
  await using tunnel = await tunnelFixture();
  using server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using forwarder = forwarderTo(tunnel, server.addr.port);
  using client = await Deno.connect({ hostname: "127.0.0.1", port: forwarder.port });
  using accepted = await server.accept();
  await writeAllTo(client, new TextEncoder().encode("request"));
  await client.closeWrite();
  // The server sees the whole request, then the end, while its own side stays open.
  const request = new TextDecoder().decode(await readAll(accepted));
  assert.equal(request, "request");
  await writeAllTo(accepted, new TextEncoder().encode("reply after the client's FIN"));
  await accepted.closeWrite();
  assert.equal(new TextDecoder().decode(await readAll(client)), "reply after the client's FIN");
});

Deno.test("TcpForwarder resets the local connection at once when the far side is refused", async () => {
  await using tunnel = await tunnelFixture();
  const closedPort = (() => {
    using probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return probe.addr.port;
  })();
  await using forwarder = forwarderTo(tunnel, closedPort);
  using client = await Deno.connect({ hostname: "127.0.0.1", port: forwarder.port });
  const ended = await client.read(new Uint8Array(16)).catch((error) => error);
  assertReset(ended);
  const refused = tunnel.logger.entries.find((e) => e.message === "outbound dial failed");
  assert.ok(refused, "the far side logs the failed dial");
  assert.match(String(refused.fields.reason), /refused/i);
  assert.ok(tunnel.logger.messages().includes("forwarded connection refused"));
});

Deno.test("TcpForwarder resets the local connection at once when the far side cannot reach the target", async () => {
  await using tunnel = await tunnelFixture({
    // What Deno.connect throws when no route leads to the address.
    connect: () =>
      Promise.reject(new Deno.errors.NetworkUnreachable("Network is unreachable (os error 101)")),
  });
  await using forwarder = TcpForwarder.listen({
    hostname: "127.0.0.1",
    port: 0,
    target: { host: "10.255.255.1", port: 80 },
    opener: tunnel.near,
    logger: tunnel.logger,
  });
  using client = await Deno.connect({ hostname: "127.0.0.1", port: forwarder.port });
  const ended = await client.read(new Uint8Array(16)).catch((error) => error);
  assertReset(ended);
  const failed = tunnel.logger.entries.find((e) => e.message === "outbound dial failed");
  assert.match(String(failed?.fields.reason), /unreachable/i);
  const refused = tunnel.logger.entries.find((e) => e.message === "forwarded connection refused");
  assert.match(String(refused?.fields.error), /Unreachable\): 10\.255\.255\.1:80/);
});

Deno.test("TcpForwarder resets a connection whose far dial times out", async () => {
  const clock = new FakeClock();
  let dialStarted!: () => void;
  const started = new Promise<void>((resolve) => dialStarted = resolve);
  await using tunnel = await tunnelFixture({
    clock,
    dialTimeoutMs: 5000,
    connect: () => {
      dialStarted();
      return new Promise(() => {/* never connects, like a black-holed address */});
    },
  });
  await using forwarder = TcpForwarder.listen({
    hostname: "127.0.0.1",
    port: 0,
    target: { host: "10.0.0.1", port: 80 },
    opener: tunnel.near,
    logger: tunnel.logger,
  });
  using client = await Deno.connect({ hostname: "127.0.0.1", port: forwarder.port });
  await started;
  clock.advance(5000);
  const ended = await client.read(new Uint8Array(16)).catch((error) => error);
  assertReset(ended);
  const failed = tunnel.logger.entries.find((e) => e.message === "outbound dial failed");
  assert.match(String(failed?.fields.reason), /timed out after 5000 ms/);
});

Deno.test("TcpForwarder resets local connections when the tunnel drops", async () => {
  const tunnel = await tunnelFixture();
  using server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using forwarder = forwarderTo(tunnel, server.addr.port);
  using client = await Deno.connect({ hostname: "127.0.0.1", port: forwarder.port });
  using accepted = await server.accept();
  await writeAllTo(client, new Uint8Array([1]));
  assert.equal(await accepted.read(new Uint8Array(1)), 1);
  await tunnel.far.close();
  const ended = await client.read(new Uint8Array(16)).catch((error) => error);
  assertReset(ended);
  assert.equal(await accepted.read(new Uint8Array(1)).catch(() => null), null);
  await tunnel[Symbol.asyncDispose]();
});

Deno.test("TcpForwarder passes a reset each way: the target's to the client, the client's to the target", async () => {
  await using tunnel = await tunnelFixture();
  using server = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using forwarder = forwarderTo(tunnel, server.addr.port);
  for (const resetBy of ["target", "client"] as const) {
    using client = await Deno.connect({ hostname: "127.0.0.1", port: forwarder.port });
    using accepted = await server.accept();
    await writeAllTo(client, new Uint8Array([1]));
    assert.equal(await accepted.read(new Uint8Array(1)), 1);
    const [resetting, peer] = resetBy === "target" ? [accepted, client] : [client, accepted];
    const ended = peer.read(new Uint8Array(16)).catch((error) => error);
    resetTcp(resetting);
    assertReset(await ended);
  }
});

Deno.test("TcpForwarder.listen on a busy address names it and says what to do", async () => {
  await using tunnel = await tunnelFixture();
  using busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  assert.throws(
    () =>
      TcpForwarder.listen({
        hostname: "127.0.0.1",
        port: busy.addr.port,
        target: { host: "127.0.0.1", port: 1 },
        opener: tunnel.near,
        logger: tunnel.logger,
      }),
    (error: unknown) =>
      error instanceof TpxError && error.code === "address_in_use" &&
      error.message.includes(`127.0.0.1:${busy.addr.port}`) && error.hint !== undefined,
  );
});
