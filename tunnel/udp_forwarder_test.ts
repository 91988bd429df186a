import assert from "node:assert/strict";
import { tunnelFixture, udpEchoServer } from "./_test_tunnel.ts";
import { FakeClock } from "./clock.ts";
import { closeQuietly } from "./relay.ts";
import { throughTunnel, UdpForwarder } from "./udp_forwarder.ts";

const text = new TextEncoder();
const decode = (d: Uint8Array) => new TextDecoder().decode(d);

function localPeer(): Deno.DatagramConn & Disposable {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  return Object.assign(socket, { [Symbol.dispose]: () => closeQuietly(socket) });
}

Deno.test("UdpForwarder returns each peer's replies to that peer, datagrams whole", async () => {
  await using tunnel = await tunnelFixture();
  await using echo = udpEchoServer("echo:");
  await using forwarder = UdpForwarder.listen({
    hostname: "127.0.0.1",
    port: 0,
    open: throughTunnel(tunnel.near, { host: "127.0.0.1", port: echo.port }),
    label: "echo",
    logger: tunnel.logger,
  });
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: forwarder.port };
  using alice = localPeer();
  using bob = localPeer();
  const big = new Uint8Array(60_000).fill(7);
  await alice.send(text.encode("from alice"), to);
  await bob.send(text.encode("from bob"), to);
  await alice.send(big, to);
  assert.equal(decode((await alice.receive())[0]), "echo:from alice");
  assert.equal(decode((await bob.receive())[0]), "echo:from bob");
  const [bigReply] = await alice.receive();
  assert.equal(bigReply.length, 5 + big.length, "one datagram, not split or joined");
  assert.equal(forwarder.associations, 2);
});

Deno.test("UdpForwarder ends associations that stay idle", async () => {
  const clock = new FakeClock();
  await using tunnel = await tunnelFixture();
  await using echo = udpEchoServer();
  await using forwarder = UdpForwarder.listen({
    hostname: "127.0.0.1",
    port: 0,
    open: throughTunnel(tunnel.near, { host: "127.0.0.1", port: echo.port }),
    label: "echo",
    logger: tunnel.logger,
    idleMs: 30_000,
    clock,
  });
  const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: forwarder.port };
  using peer = localPeer();
  await peer.send(text.encode("ping"), to);
  await peer.receive();
  assert.equal(forwarder.associations, 1);
  clock.advance(15_000);
  assert.equal(forwarder.associations, 1, "not idle long enough yet");
  clock.advance(30_000);
  assert.equal(forwarder.associations, 0);
  // A new datagram from the same peer starts a new association that works.
  await peer.send(text.encode("again"), to);
  assert.equal(decode((await peer.receive())[0]), "again");
});

Deno.test("UdpForwarder drops the association when the far side refuses the target", async () => {
  await using tunnel = await tunnelFixture({
    vet: (d) => d.host === "nowhere.invalid" ? "no such service" : undefined,
  });
  await using forwarder = UdpForwarder.listen({
    hostname: "127.0.0.1",
    port: 0,
    open: throughTunnel(tunnel.near, { host: "nowhere.invalid", port: 53 }),
    label: "nowhere.invalid:53",
    logger: tunnel.logger,
  });
  using peer = localPeer();
  await peer.send(text.encode("q"), {
    transport: "udp",
    hostname: "127.0.0.1",
    port: forwarder.port,
  });
  while (!tunnel.logger.messages().includes("UDP association refused")) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const refused = tunnel.logger.entries.find((e) => e.message === "UDP association refused");
  assert.match(String(refused?.fields.error), /no such service/);
  assert.equal(forwarder.associations, 0);
});
