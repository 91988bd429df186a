import assert from "node:assert/strict";
import { udpEchoServer } from "./_test_tunnel.ts";
import { localDatagramPath } from "./local_datagrams.ts";
import { MemoryLogger } from "./log.ts";
import { closeQuietly } from "./relay.ts";
import { UdpForwarder } from "./udp_forwarder.ts";

Deno.test("a UdpForwarder over local paths passes each peer's datagrams to a local server", async () => {
  await using app = udpEchoServer("app:");
  await using forwarder = UdpForwarder.listen({
    hostname: "127.0.0.1",
    port: 0,
    open: () => localDatagramPath("127.0.0.1", app.port),
    label: "app",
    logger: new MemoryLogger(),
  });
  const peer = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: forwarder.port };
    await peer.send(new TextEncoder().encode("one"), to);
    assert.equal(new TextDecoder().decode((await peer.receive())[0]), "app:one");
    await peer.send(new TextEncoder().encode("two"), to);
    assert.equal(new TextDecoder().decode((await peer.receive())[0]), "app:two");
    assert.equal(forwarder.associations, 1);
  } finally {
    closeQuietly(peer);
  }
});
