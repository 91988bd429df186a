import assert from "node:assert/strict";
import { procAddressPair, resetTcp } from "./tcp_reset.ts";

const onLinux = Deno.build.os === "linux";

async function connectedPair(hostname: string): Promise<[Deno.TcpConn, Deno.TcpConn]> {
  using listener = Deno.listen({ hostname, port: 0 });
  const dialing = Deno.connect({ hostname, port: listener.addr.port });
  const accepted = await listener.accept();
  return [await dialing, accepted];
}

/** What the peer's next read ends with: bytes, the end (null), or the error's class name. */
async function peerSees(conn: Deno.TcpConn): Promise<string> {
  try {
    const n = await conn.read(new Uint8Array(16));
    return n === null ? "end" : `${n} bytes`;
  } catch (error) {
    return (error as Error).name;
  } finally {
    conn.close();
  }
}

function hasIpv6Loopback(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test("resetTcp() ends a connection with a reset, where close() ends it with an end", async () => {
  const [closedPeer, closed] = await connectedPair("127.0.0.1");
  closed.close();
  assert.equal(await peerSees(closedPeer), "end");

  const [resetPeer, reset] = await connectedPair("127.0.0.1");
  const seen = peerSees(resetPeer);
  resetTcp(reset);
  assert.equal(await seen, onLinux ? "ConnectionReset" : "end");
});

Deno.test({
  name: "resetTcp() resets an IPv6 connection too",
  ignore: !hasIpv6Loopback(),
  fn: async () => {
    const [peer, conn] = await connectedPair("::1");
    const seen = peerSees(peer);
    resetTcp(conn);
    assert.equal(await seen, onLinux ? "ConnectionReset" : "end");
  },
});

Deno.test("resets asked for in one turn are all delivered, and each closes its connection", async () => {
  const pairs = await Promise.all(Array.from({ length: 20 }, () => connectedPair("127.0.0.1")));
  const seen = pairs.map(([peer]) => peerSees(peer));
  for (const [, conn] of pairs) resetTcp(conn);
  const expected = onLinux ? "ConnectionReset" : "end";
  assert.deepEqual(await Promise.all(seen), pairs.map(() => expected));
  // Closed by resetTcp(): closing again is refused as a closed resource.
  for (const [, conn] of pairs) assert.throws(() => conn.close(), Deno.errors.BadResource);
});

Deno.test("procAddressPair() writes address pairs as /proc/net/tcp and tcp6 do", () => {
  assert.equal(
    procAddressPair(
      { transport: "tcp", hostname: "127.0.0.1", port: 8080 },
      { transport: "tcp", hostname: "10.1.2.3", port: 54321 },
    ),
    "0100007F:1F90 0302010A:D431",
  );
  assert.equal(
    procAddressPair(
      { transport: "tcp", hostname: "::1", port: 80 },
      { transport: "tcp", hostname: "fd00::a:1", port: 443 },
    ),
    "00000000000000000000000001000000:0050 000000FD000000000000000001000A00:01BB",
  );
  assert.equal(
    procAddressPair(
      { transport: "tcp", hostname: "::ffff:127.0.0.1", port: 1 },
      { transport: "tcp", hostname: "::", port: 0 },
    ),
    "0000000000000000FFFF00000100007F:0001 00000000000000000000000000000000:0000",
  );
});

Deno.test({
  name: "procAddressPair() names a live connection the way /proc/net/tcp lists it",
  ignore: !onLinux,
  fn: async () => {
    const [peer, conn] = await connectedPair("127.0.0.1");
    try {
      const pair = procAddressPair(conn.localAddr, conn.remoteAddr);
      const rows = (await Deno.readTextFile("/proc/net/tcp")).split("\n").map((line) =>
        line.trim().split(/\s+/).slice(1, 3).join(" ")
      );
      assert.ok(rows.includes(pair), `${pair} is listed`);
    } finally {
      conn.close();
      peer.close();
    }
  },
});
