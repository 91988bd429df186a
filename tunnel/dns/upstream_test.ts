import assert from "node:assert/strict";
// @ts-types="@types/dns-packet"
import dnsPacket from "dns-packet";
import { FakeClock } from "../clock.ts";
import { MemoryLogger } from "../log.ts";
import {
  dataOf,
  decode,
  encodeQuery,
  exampleUpstream,
  FakeUpstream,
  firstTtl,
} from "./_testing.ts";
import type { NameServer } from "./resolv_conf.ts";
import { Forwarder, type ForwarderOptions, withoutSelf } from "./upstream.ts";

function forwarder(servers: NameServer[], options: Partial<ForwarderOptions> = {}) {
  const clock = new FakeClock();
  const signal = new AbortController().signal;
  const forwarder = new Forwarder({ servers, clock, logger: new MemoryLogger(), ...options });
  async function ask(name: string, id = 1) {
    const query = encodeQuery(name, "A", { id });
    return decode(await forwarder.forward(query, { name, type: "A", class: "IN" }, signal));
  }
  return { clock, ask, forwarder };
}

Deno.test("forwarder sends other names to the upstream server and returns its answer", async () => {
  await using upstream = exampleUpstream();
  const { ask } = forwarder([upstream.addr]);
  const answer = await ask("example.com", 77);
  assert.equal(answer.id, 77);
  assert.equal(answer.rcode, "NOERROR");
  assert.deepEqual(dataOf(answer), ["192.0.2.1"]);
  assert.deepEqual(upstream.queries, [{ name: "example.com", type: "A", transport: "udp" }]);
});

Deno.test("forwarder caches upstream answers by their smallest TTL, counting down", async () => {
  await using upstream = exampleUpstream();
  const { ask, clock } = forwarder([upstream.addr]);
  await ask("example.com");
  clock.advance(100_000);
  const cached = await ask("EXAMPLE.com", 9);
  assert.equal(cached.id, 9);
  assert.equal(firstTtl(cached), 200);
  assert.equal(upstream.queries.length, 1);
  clock.advance(200_000);
  await ask("example.com");
  assert.equal(upstream.queries.length, 2);
});

Deno.test("forwarder caches NXDOMAIN for the negative TTL at most", async () => {
  await using upstream = new FakeUpstream(() => ({ flags: 3 }));
  const { ask, clock } = forwarder([upstream.addr], { negativeTtlSeconds: 5 });
  assert.equal((await ask("nope.example")).rcode, "NXDOMAIN");
  await ask("nope.example");
  assert.equal(upstream.queries.length, 1);
  clock.advance(5_000);
  await ask("nope.example");
  assert.equal(upstream.queries.length, 2);
});

Deno.test("forwarder retries over TCP when the UDP answer is truncated", async () => {
  const addresses = Array.from({ length: 60 }, (_, i) => `198.51.100.${i + 1}`);
  await using upstream = new FakeUpstream((query, transport) => {
    const name = query.questions![0]!.name;
    const all = addresses.map((data) => ({ type: "A" as const, name, ttl: 60, data }));
    return transport === "udp"
      ? { flags: dnsPacket.TRUNCATED_RESPONSE, answers: all.slice(0, 2) }
      : { answers: all };
  });
  const { ask } = forwarder([upstream.addr]);
  const answer = await ask("big.example");
  assert.equal(answer.flag_tc, false);
  assert.deepEqual(dataOf(answer), addresses);
  assert.deepEqual(upstream.queries.map((q) => q.transport), ["udp", "tcp"]);
});

Deno.test("forwarder answers SERVFAIL when the upstream server never answers in time", async () => {
  let received!: () => void;
  const asked = new Promise<void>((resolve) => received = resolve);
  await using silent = new FakeUpstream(() => {
    received();
    return "silent";
  });
  const { ask, clock } = forwarder([silent.addr], { timeoutMs: 1_000 });
  const answer = ask("slow.example");
  await asked;
  clock.advance(1_000);
  assert.equal((await answer).rcode, "SERVFAIL");
  assert.equal(clock.pending, 0);
});

Deno.test("forwarder tries the next server when one fails", async () => {
  await using failing = new FakeUpstream(() => ({ flags: 2 }));
  await using working = exampleUpstream();
  const { ask } = forwarder([failing.addr, working.addr]);
  assert.deepEqual(dataOf(await ask("example.com")), ["192.0.2.1"]);
  assert.equal(failing.queries.length, 1);
});

Deno.test("forwarder does not cache SERVFAIL", async () => {
  await using failing = new FakeUpstream(() => ({ flags: 2 }));
  const { ask } = forwarder([failing.addr]);
  assert.equal((await ask("example.com")).rcode, "SERVFAIL");
  assert.equal((await ask("example.com")).rcode, "SERVFAIL");
  assert.equal(failing.queries.length, 2);
});

Deno.test("forwarder answers SERVFAIL at once without servers", async () => {
  const { ask } = forwarder([]);
  assert.equal((await ask("example.com")).rcode, "SERVFAIL");
});

Deno.test("forwarder gives up a pending query when the stub closes", async () => {
  let received!: () => void;
  const asked = new Promise<void>((resolve) => received = resolve);
  await using silent = new FakeUpstream(() => {
    received();
    return "silent";
  });
  const clock = new FakeClock();
  const closing = new AbortController();
  const fwd = new Forwarder({ servers: [silent.addr], clock, logger: new MemoryLogger() });
  const answer = fwd.forward(encodeQuery("x.example", "A"), {
    name: "x.example",
    type: "A",
    class: "IN",
  }, closing.signal);
  await asked;
  closing.abort();
  assert.equal(decode(await answer).rcode, "SERVFAIL");
  assert.equal(clock.pending, 0);
});

Deno.test("withoutSelf drops the stub's own address so it never forwards to itself", () => {
  const servers = [
    { hostname: "127.0.0.1", port: 5353 },
    { hostname: "127.0.0.53", port: 53 },
    { hostname: "127.0.0.1", port: 53 },
    { hostname: "192.168.1.1", port: 53 },
  ];
  assert.deepEqual(withoutSelf(servers, { hostname: "127.0.0.1", port: 53 }), [
    servers[0],
    servers[1],
    servers[3],
  ]);
  assert.deepEqual(withoutSelf(servers, { hostname: "0.0.0.0", port: 53 }), [
    servers[0],
    servers[3],
  ]);
});
