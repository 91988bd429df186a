import assert from "node:assert/strict";
// @ts-types="@types/dns-packet"
import dnsPacket, { type RecordType } from "dns-packet";
import { FakeClock } from "../clock.ts";
import { MemoryLogger } from "../log.ts";
import { dataOf, decode, encodeQuery, FakeResolver, firstTtl } from "./_testing.ts";
import { ClusterLookup } from "./cluster_lookup.ts";
import { QueryHandler, type Transport } from "./handler.ts";
import { ClusterNames } from "./names.ts";
import type { ClusterResolver } from "./resolver.ts";
import { Forwarder } from "./upstream.ts";

const WEB = "web.shop.svc.cluster.local";

function setup(resolver: ClusterResolver = tableResolver()) {
  const clock = new FakeClock();
  const logger = new MemoryLogger();
  const handler = new QueryHandler({
    names: new ClusterNames({ isNamespace: (ns) => ns === "shop" || ns === "default" }),
    lookup: new ClusterLookup({ resolver, now: () => clock.now() }),
    resolver,
    forwarder: new Forwarder({ servers: [], clock, logger }),
    logger,
  });
  const signal = new AbortController().signal;
  async function ask(name: string, type: RecordType, transport: Transport = "udp") {
    const bytes = await handler.handle(encodeQuery(name, type), transport, signal);
    assert.ok(bytes, "an answer");
    return { ...decode(bytes), size: bytes.length };
  }
  return { clock, handler, signal, ask };
}

function tableResolver(): FakeResolver {
  return new FakeResolver({
    [WEB]: {
      ports: [{ name: "http", port: 80, protocol: "TCP" }, { port: 9090, protocol: "UDP" }],
    },
    "dual.shop.svc.cluster.local": { ipv6: ["::1"] },
    "api.default.svc.cluster.local": {},
    "db.shop.svc.cluster.local": {
      ipv4: ["10.0.0.1", "10.0.0.2"],
      ports: [{ name: "pg", port: 5432, protocol: "TCP" }],
      pods: [{ hostname: "db-0", address: "10.0.0.1" }, { hostname: "db-1", address: "10.0.0.2" }],
    },
    "many.shop.svc.cluster.local": {
      ipv4: Array.from({ length: 100 }, (_, i) => `10.1.0.${i + 1}`),
    },
  });
}

for (const form of ["web.shop", "web.shop.svc", WEB, "WEB.Shop.svc.cluster.local."]) {
  Deno.test(`stub answers "${form}" with the service's loopback address`, async () => {
    const { ask } = setup();
    const answer = await ask(form, "A");
    assert.equal(answer.rcode, "NOERROR");
    assert.equal(answer.flag_aa, true);
    assert.deepEqual(answer.answers, [{
      type: "A",
      name: form.replace(/\.$/, ""),
      ttl: 30,
      class: "IN",
      flush: false,
      data: "127.241.0.1",
    }]);
  });
}

Deno.test("stub answers a single label from the default namespace", async () => {
  const { ask } = setup();
  const answer = await ask("api", "A");
  assert.equal(answer.rcode, "NOERROR");
  assert.equal(answer.answers?.[0]?.type, "A");
});

Deno.test("stub answers AAAA with the service's IPv6 addresses", async () => {
  const { ask } = setup();
  const answer = await ask("dual.shop", "AAAA");
  assert.deepEqual(answer.answers?.map((a) => [a.type, "data" in a && a.data]), [["AAAA", "::1"]]);
});

Deno.test("stub answers NODATA for AAAA of an IPv4-only service", async () => {
  const { ask } = setup();
  const answer = await ask("web.shop", "AAAA");
  assert.equal(answer.rcode, "NOERROR");
  assert.deepEqual(answer.answers, []);
});

Deno.test("stub answers NODATA for a type a service never has", async () => {
  const { ask } = setup();
  const answer = await ask("web.shop", "MX");
  assert.equal(answer.rcode, "NOERROR");
  assert.deepEqual(answer.answers, []);
});

Deno.test("stub answers NXDOMAIN for an unknown service in a known namespace", async () => {
  const { ask } = setup();
  const answer = await ask("nope.shop", "A");
  assert.equal(answer.rcode, "NXDOMAIN");
  assert.deepEqual(answer.answers, []);
});

Deno.test("stub answers SRV of a named port with the service as target and its address", async () => {
  const { ask } = setup();
  const answer = await ask("_http._tcp.web.shop", "SRV");
  assert.equal(answer.rcode, "NOERROR");
  assert.deepEqual(dataOf(answer, "SRV"), [
    { priority: 0, weight: 100, port: 80, target: WEB },
  ]);
  assert.deepEqual(answer.additionals?.map((a) => [a.name, "data" in a && a.data]), [[
    WEB,
    "127.241.0.1",
  ]]);
});

Deno.test("stub answers SRV of a service name with every port", async () => {
  const { ask } = setup();
  const answer = await ask(WEB, "SRV");
  assert.deepEqual(answer.answers?.map((a) => "data" in a && (a.data as { port: number }).port), [
    80,
    9090,
  ]);
});

Deno.test("stub answers NXDOMAIN for an SRV port the service lacks", async () => {
  const { ask } = setup();
  assert.equal((await ask("_grpc._tcp.web.shop", "SRV")).rcode, "NXDOMAIN");
  assert.equal((await ask("_http._udp.web.shop", "SRV")).rcode, "NXDOMAIN");
});

Deno.test("stub names each pod of a headless service in SRV answers", async () => {
  const { ask } = setup();
  const answer = await ask("_pg._tcp.db.shop.svc.cluster.local", "SRV");
  assert.deepEqual(
    answer.answers?.map((a) => "data" in a && (a.data as { target: string }).target),
    [
      "db-0.db.shop.svc.cluster.local",
      "db-1.db.shop.svc.cluster.local",
    ],
  );
  assert.deepEqual(answer.additionals?.map((a) => "data" in a && a.data), ["10.0.0.1", "10.0.0.2"]);
});

Deno.test("stub answers PTR of a handed-out address with the service's name", async () => {
  const { ask } = setup();
  await ask("web.shop", "A");
  const answer = await ask("1.0.241.127.in-addr.arpa", "PTR");
  assert.equal(answer.rcode, "NOERROR");
  assert.deepEqual(answer.answers?.map((a) => "data" in a && a.data), [WEB]);
});

Deno.test("stub sends PTR of an address it did not hand out upstream", async () => {
  const { ask } = setup();
  // No upstream servers in this setup, so upstream means SERVFAIL.
  assert.equal((await ask("9.9.241.127.in-addr.arpa", "PTR")).rcode, "SERVFAIL");
});

Deno.test("stub sends an unknown single label upstream, since it may be a local host", async () => {
  const { ask } = setup();
  assert.equal((await ask("printer", "A")).rcode, "SERVFAIL");
});

Deno.test("stub caches a cluster answer for its TTL, counting down", async () => {
  const resolver = tableResolver();
  const { ask, clock } = setup(resolver);
  await ask("web.shop", "A");
  clock.advance(10_000);
  const cached = await ask("web.shop.svc", "AAAA");
  assert.deepEqual(resolver.calls, [WEB]);
  assert.equal(firstTtl(await ask("web.shop", "A")), 20);
  clock.advance(20_000);
  await ask("web.shop", "A");
  assert.deepEqual(resolver.calls, [WEB, WEB]);
  assert.equal(cached.rcode, "NOERROR");
});

Deno.test("stub caches NXDOMAIN briefly", async () => {
  const resolver = tableResolver();
  const { ask, clock } = setup(resolver);
  await ask("nope.shop", "A");
  await ask("nope.shop", "A");
  assert.equal(resolver.calls.length, 1);
  clock.advance(5_000);
  await ask("nope.shop", "A");
  assert.equal(resolver.calls.length, 2);
});

Deno.test("stub asks the resolver once for concurrent queries of one name", async () => {
  const resolver = tableResolver();
  const { ask } = setup(resolver);
  await Promise.all([ask("web.shop", "A"), ask("web.shop", "A"), ask(WEB, "AAAA")]);
  assert.equal(resolver.calls.length, 1);
});

Deno.test("stub answers SERVFAIL when the resolver fails, and does not cache it", async () => {
  let calls = 0;
  const { ask } = setup({
    resolve: () => Promise.reject(new Error(`manager unreachable ${++calls}`)),
    reverse: () => undefined,
  });
  assert.equal((await ask("web.shop", "A")).rcode, "SERVFAIL");
  assert.equal((await ask("web.shop", "A")).rcode, "SERVFAIL");
  assert.equal(calls, 2);
});

Deno.test("stub truncates a UDP answer to 512 bytes with TC and sends all of it over TCP", async () => {
  const { ask } = setup();
  const udp = await ask("many.shop", "A");
  assert.ok(udp.size <= 512, `${udp.size} bytes`);
  assert.equal(udp.flag_tc, true);
  assert.ok(udp.answers!.length > 10 && udp.answers!.length < 100, `${udp.answers!.length}`);
  const tcp = await ask("many.shop", "A", "tcp");
  assert.equal(tcp.flag_tc, false);
  assert.equal(tcp.answers!.length, 100);
});

Deno.test("stub fills a UDP answer up to the client's EDNS size", async () => {
  const { handler, signal } = setup();
  const query = encodeQuery("many.shop", "A", { ednsSize: 4096 });
  const answer = decode((await handler.handle(query, "udp", signal))!);
  assert.equal(answer.flag_tc, false);
  assert.equal(answer.answers!.length, 100);
  assert.equal(answer.additionals?.[0]?.type, "OPT");
});

Deno.test("stub answers FORMERR to a query with no question or two", async () => {
  const { handler, signal } = setup();
  for (
    const questions of [[], [{ name: "a.shop", type: "A" }, { name: "b.shop", type: "A" }]] as const
  ) {
    const query = dnsPacket.encode({ type: "query", id: 7, questions: [...questions] });
    const answer = decode((await handler.handle(query, "udp", signal))!);
    assert.equal(answer.id, 7);
    assert.equal(answer.rcode, "FORMERR");
  }
});

Deno.test("stub answers FORMERR to a query it cannot decode, keeping the id", async () => {
  const { handler, signal } = setup();
  const query = encodeQuery("web.shop", "A", { id: 99 }).slice(0, 20);
  const answer = decode((await handler.handle(query, "udp", signal))!);
  assert.equal(answer.id, 99);
  assert.equal(answer.rcode, "FORMERR");
});

Deno.test("stub answers NOTIMP to an unknown opcode", async () => {
  const { handler, signal } = setup();
  const query = encodeQuery("web.shop", "A");
  query[2] = query[2]! | (5 << 3); // opcode UPDATE
  const answer = decode((await handler.handle(query, "udp", signal))!);
  assert.equal(answer.rcode, "NOTIMP");
  assert.equal(answer.questions?.[0]?.name, "web.shop");
});

Deno.test("stub drops input shorter than a header, and responses", async () => {
  const { handler, signal } = setup();
  assert.equal(await handler.handle(new Uint8Array(11), "udp", signal), undefined);
  const response = encodeQuery("web.shop", "A");
  response[2] = response[2]! | 0x80;
  assert.equal(await handler.handle(response, "udp", signal), undefined);
});
