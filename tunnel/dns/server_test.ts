import assert from "node:assert/strict";
import { FakeClock } from "../clock.ts";
import { MemoryLogger } from "../log.ts";
import { TpxError } from "../protocol/errors.ts";
import {
  ask,
  dataOf,
  decode,
  encodeQuery,
  exampleUpstream,
  FakeResolver,
  FakeUpstream,
} from "./_testing.ts";
import { DnsClient } from "./client.ts";
import { type DnsStubOptions, startDnsStub } from "./server.ts";
import { FrameReader } from "./tcp_frames.ts";
import { tcpFrame } from "./wire.ts";

const WEB = "web.shop.svc.cluster.local";

function resolver(): FakeResolver {
  return new FakeResolver({
    [WEB]: {},
    "many.shop.svc.cluster.local": {
      ipv4: Array.from({ length: 100 }, (_, i) => `10.1.0.${i + 1}`),
    },
  });
}

function stub(options: Partial<DnsStubOptions> = {}) {
  return startDnsStub({
    port: 0,
    resolver: resolver(),
    upstreams: [],
    isNamespace: (ns) => ns === "shop",
    logger: new MemoryLogger(),
    ...options,
  });
}

Deno.test("stub listens on UDP and TCP on one port, reported when port 0 was asked", async () => {
  await using dns = stub();
  assert.equal(dns.addr.hostname, "127.0.0.1");
  assert.ok(dns.addr.port > 0);
  assert.deepEqual(dataOf(await ask(dns.addr, "web.shop", "A")), ["127.241.0.1"]);
  assert.deepEqual(dataOf(await ask(dns.addr, "web.shop", "A", { transport: "tcp" })), [
    "127.241.0.1",
  ]);
});

Deno.test("stub forwards other names to the machine's resolvers over UDP", async () => {
  await using upstream = exampleUpstream();
  await using dns = stub({ upstreams: [upstream.addr] });
  const answer = await ask(dns.addr, "example.com", "A");
  assert.deepEqual(dataOf(answer), ["192.0.2.1"]);
  assert.equal(upstream.queries.length, 1);
});

Deno.test("stub asks again after its caches are cleared", async () => {
  const names = resolver();
  await using dns = stub({ resolver: names });
  await ask(dns.addr, "web.shop", "A");
  await ask(dns.addr, "web.shop", "A");
  dns.clearCaches();
  await ask(dns.addr, "web.shop", "A");
  assert.deepEqual(names.calls, [WEB, WEB]);
});

Deno.test("stub truncates a large answer over UDP and the client's TCP retry gets all", async () => {
  await using dns = stub();
  const udp = await ask(dns.addr, "many.shop", "A");
  assert.equal(udp.flag_tc, true);
  assert.ok(udp.size <= 512);
  const tcp = await ask(dns.addr, "many.shop", "A", { transport: "tcp" });
  assert.equal(tcp.flag_tc, false);
  assert.equal(dataOf(tcp).length, 100);
});

Deno.test("stub answers two queries on one TCP connection, even when they arrive together", async () => {
  await using dns = stub();
  using conn = await Deno.connect(dns.addr);
  const first = tcpFrame(encodeQuery("web.shop", "A", { id: 1 }));
  const second = tcpFrame(encodeQuery("nope.shop", "A", { id: 2 }));
  await conn.write(new Uint8Array([...first, ...second]));
  const frames = new FrameReader(conn);
  const answers = [decode((await frames.next())!), decode((await frames.next())!)];
  answers.sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  assert.deepEqual(answers.map((a) => [a.id, a.rcode]), [[1, "NOERROR"], [2, "NXDOMAIN"]]);
  await conn.write(tcpFrame(encodeQuery("web.shop", "A", { id: 3 })));
  assert.equal(decode((await frames.next())!).id, 3);
});

Deno.test("stub closes a TCP connection that stays idle", async () => {
  const clock = new FakeClock();
  await using dns = stub({ clock, tcpIdleTimeoutMs: 5_000 });
  using conn = await Deno.connect(dns.addr);
  const frames = new FrameReader(conn);
  await conn.write(tcpFrame(encodeQuery("web.shop", "A")));
  assert.ok(await frames.next());
  clock.advance(5_000);
  assert.equal(await frames.next(), null);
});

Deno.test("stub answers FORMERR over UDP and still answers afterwards", async () => {
  await using dns = stub();
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  let bytes: Uint8Array;
  try {
    const garbage = new Uint8Array([0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
    await client.send(garbage, { transport: "udp", ...dns.addr });
    [bytes] = await client.receive();
  } finally {
    client.close();
  }
  const answer = decode(bytes);
  assert.equal(answer.id, 0x1234);
  assert.equal(answer.rcode, "FORMERR");
  assert.deepEqual(dataOf(await ask(dns.addr, "web.shop", "A")), ["127.241.0.1"]);
});

Deno.test("stub close ends open TCP connections", async () => {
  const dns = stub();
  using conn = await Deno.connect(dns.addr);
  const frames = new FrameReader(conn);
  await conn.write(tcpFrame(encodeQuery("web.shop", "A")));
  assert.ok(await frames.next());
  await dns.close();
  await dns.close();
  assert.equal(await frames.next(), null);
});

Deno.test("stub close ends a query still waiting for an upstream server", async () => {
  let received!: () => void;
  const asked = new Promise<void>((resolve) => received = resolve);
  await using silent = new FakeUpstream(() => {
    received();
    return "silent";
  });
  const dns = stub({ upstreams: [silent.addr], upstreamTimeoutMs: 60_000 });
  await using client = new DnsClient(dns.addr);
  const pending = client.query(encodeQuery("slow.example", "A"));
  await asked;
  await dns.close();
  await client.close();
  await assert.rejects(pending);
});

Deno.test("stub refuses to start on a port in use with a config TpxError", async () => {
  await using first = stub();
  assert.throws(() => stub({ port: first.addr.port }), (error: unknown) => {
    assert.ok(error instanceof TpxError);
    assert.equal(error.category, "config");
    assert.equal(error.code, "dns_addr_in_use");
    assert.match(
      error.message,
      /^Cannot start the DNS stub on "127\.0\.0\.1:\d+": address in use$/,
    );
    assert.match(error.hint ?? "", /another address or port/);
    return true;
  });
});
