import assert from "node:assert/strict";
import { MemoryLogger } from "../log.ts";
import { ask, dataOf, encodeQuery, FakeResolver } from "./_testing.ts";
import { startDnsStub } from "./server.ts";

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function packets(count: number, seed: number): Uint8Array[] {
  const next = random(seed);
  const int = (n: number) => Math.floor(next() * n);
  const valid = [
    encodeQuery("web.shop", "A"),
    encodeQuery("_http._tcp.web.shop.svc.cluster.local", "SRV", { ednsSize: 1232 }),
    encodeQuery("1.0.241.127.in-addr.arpa", "PTR"),
    encodeQuery("example.com", "AAAA"),
  ];
  return Array.from({ length: count }, (_, i) => {
    if (i % 2 === 0) return Uint8Array.from({ length: int(600) }, () => int(256));
    // A valid query with a few bytes flipped, cut short or extended.
    const bytes = valid[int(valid.length)]!.slice();
    for (let flips = 1 + int(4); flips > 0; flips--) bytes[int(bytes.length)] = int(256);
    if (next() < 0.2) return bytes.subarray(0, int(bytes.length));
    if (next() < 0.1) {
      return Uint8Array.from([
        ...bytes,
        ...Array.from({ length: int(40) }, () => int(256)),
      ]);
    }
    return bytes;
  });
}

Deno.test("stub survives 10,000 random and mutated packets and still answers correctly", async () => {
  const logger = new MemoryLogger();
  await using dns = startDnsStub({
    port: 0,
    resolver: new FakeResolver({
      "web.shop.svc.cluster.local": { ports: [{ name: "http", port: 80, protocol: "TCP" }] },
    }),
    upstreams: [],
    isNamespace: (ns) => ns === "shop",
    logger,
  });
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    let sent = 0;
    for (const packet of packets(10_000, 20261129)) {
      await client.send(packet, { transport: "udp", ...dns.addr });
      // Pause now and then so the stub's socket buffer holds what was sent.
      if (++sent % 200 === 0) await ask(dns.addr, "web.shop", "A");
    }
  } finally {
    client.close();
  }
  const answer = await ask(dns.addr, "web.shop", "A");
  assert.equal(answer.rcode, "NOERROR");
  assert.deepEqual(dataOf(answer), ["127.241.0.1"]);
  assert.deepEqual(logger.messages("warn"), []);
});

Deno.test("stub survives random bytes on a TCP connection and answers the next connection", async () => {
  await using dns = startDnsStub({
    port: 0,
    resolver: new FakeResolver({ "web.shop.svc.cluster.local": {} }),
    upstreams: [],
    isNamespace: (ns) => ns === "shop",
    logger: new MemoryLogger(),
  });
  const next = random(7);
  for (let round = 0; round < 20; round++) {
    using conn = await Deno.connect(dns.addr);
    await conn.write(
      Uint8Array.from({ length: 1 + Math.floor(next() * 2000) }, () => Math.floor(next() * 256)),
    );
  }
  const answer = await ask(dns.addr, "web.shop", "A", { transport: "tcp" });
  assert.deepEqual(dataOf(answer), ["127.241.0.1"]);
});
