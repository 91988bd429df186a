import assert from "node:assert/strict";
// @ts-types="@types/dns-packet"
import dnsPacket from "dns-packet";
import { Buffer } from "node:buffer";
import { TpxError } from "../../tunnel/protocol/mod.ts";
import { addressesOf, encodeAQuery, LookupErrorCode } from "./lookup.ts";

function answer(rcode: "NOERROR" | "NXDOMAIN", addresses: string[]): Uint8Array {
  return new Uint8Array(dnsPacket.encode({
    type: "response",
    id: 7,
    flags: rcode === "NXDOMAIN" ? 3 : 0,
    questions: [{ name: "hello.demo", type: "A", class: "IN" }],
    answers: addresses.map((data) => ({ name: "hello.demo", type: "A", ttl: 5, data })),
  }));
}

Deno.test("encodeAQuery() asks for the A records of the name with the given id", () => {
  const query = encodeAQuery("hello.demo", 4242);
  assert.equal(query[0]! * 256 + query[1]!, 4242);
  const decoded = dnsPacket.decode(Buffer.from(query));
  assert.deepEqual(decoded.questions, [{ name: "hello.demo", type: "A", class: "IN" }]);
});

Deno.test("addressesOf() returns every A record of an answer", () => {
  assert.deepEqual(addressesOf(answer("NOERROR", ["127.241.0.1", "127.241.0.2"]), "hello.demo"), [
    "127.241.0.1",
    "127.241.0.2",
  ]);
});

Deno.test("addressesOf() names the response code when there is no address", () => {
  assert.throws(
    () => addressesOf(answer("NXDOMAIN", []), "hello.demo"),
    (error: unknown) =>
      error instanceof TpxError && error.code === LookupErrorCode.NoAddress &&
      error.message === 'The stub DNS has no address for "hello.demo"' &&
      /NXDOMAIN/.test(error.hint ?? ""),
  );
});
