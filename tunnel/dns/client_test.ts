import assert from "node:assert/strict";
import { dataOf, decode, encodeQuery, exampleUpstream, FakeUpstream } from "./_testing.ts";
import { DnsClient } from "./client.ts";

Deno.test("DnsClient matches concurrent answers to their queries by id", async () => {
  await using upstream = exampleUpstream();
  await using client = new DnsClient(upstream.addr);
  const answers = await Promise.all(
    [1, 2, 3].map((id) => client.query(encodeQuery(`host-${id}.example`, "A", { id }))),
  );
  assert.deepEqual(answers.map((a) => [decode(a).id, decode(a).questions?.[0]?.name]), [
    [1, "host-1.example"],
    [2, "host-2.example"],
    [3, "host-3.example"],
  ]);
  assert.deepEqual(dataOf(decode(answers[0]!)), ["192.0.2.1"]);
});

Deno.test("DnsClient rejects a pending query when closed", async () => {
  await using silent = new FakeUpstream(() => "silent");
  const client = new DnsClient(silent.addr);
  const pending = client.query(encodeQuery("x.example", "A"));
  await client.close();
  await assert.rejects(pending);
});
