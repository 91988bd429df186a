import assert from "node:assert/strict";
// @ts-types="@types/dns-packet"
import type { Answer, Packet } from "dns-packet";
import { decode } from "./_testing.ts";
import { encodeWithin } from "./response.ts";

function packet(count: number, extras = 0): Packet {
  const a = (name: string, i: number): Answer => ({
    type: "A",
    name,
    ttl: 5,
    data: `10.0.${i >> 8}.${i & 0xff}`,
  });
  return {
    type: "response",
    id: 1,
    questions: [{ name: "many.shop", type: "A" }],
    answers: Array.from({ length: count }, (_, i) => a("many.shop", i)),
    additionals: Array.from({ length: extras }, (_, i) => a("extra.shop", i)),
  };
}

Deno.test("encodeWithin leaves an answer that fits alone", () => {
  const bytes = encodeWithin(packet(3, 2), 512);
  const decoded = decode(bytes);
  assert.equal(decoded.flag_tc, false);
  assert.deepEqual([decoded.answers?.length, decoded.additionals?.length], [3, 2]);
});

Deno.test("encodeWithin drops additional records first, without TC", () => {
  const decoded = decode(encodeWithin(packet(10, 40), 512));
  assert.equal(decoded.flag_tc, false);
  assert.deepEqual([decoded.answers?.length, decoded.additionals?.length], [10, 0]);
});

Deno.test("encodeWithin keeps as many whole answers as fit and sets TC", () => {
  for (const limit of [100, 512, 1000]) {
    const bytes = encodeWithin(packet(200), limit);
    const decoded = decode(bytes);
    assert.ok(bytes.length <= limit, `${bytes.length} <= ${limit}`);
    assert.equal(decoded.flag_tc, true);
    // One more answer (25 bytes: dns-packet does not compress names) would not have fit.
    assert.ok(bytes.length + 25 > limit, `${bytes.length} + 25 > ${limit}`);
  }
});
