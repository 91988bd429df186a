import assert from "node:assert/strict";
// @ts-types="@types/dns-packet"
import dnsPacket from "dns-packet";
import { decode, encodeQuery } from "./_testing.ts";
import {
  agedResponse,
  errorResponse,
  minTtl,
  Rcode,
  readHeader,
  sameQuestion,
  tcpFrame,
  truncatedResponse,
  withId,
} from "./wire.ts";

function response(ttls: number[]): Uint8Array {
  return dnsPacket.encode({
    type: "response",
    id: 5,
    questions: [{ name: "example.com", type: "A" }],
    answers: ttls.map((ttl, i) => ({
      type: "A",
      name: "example.com",
      ttl,
      data: `192.0.2.${i + 1}`,
    })),
    additionals: [{
      type: "OPT",
      name: ".",
      udpPayloadSize: 1232,
      extendedRcode: 0,
      ednsVersion: 0,
      flags: 0,
      flag_do: false,
      options: [],
    }],
  });
}

Deno.test("readHeader reads the fields and refuses less than 12 bytes", () => {
  const header = readHeader(encodeQuery("example.com", "A", { id: 513 }));
  assert.deepEqual(header, {
    id: 513,
    isResponse: false,
    opcode: 0,
    truncated: false,
    rcode: 0,
    qdcount: 1,
    ancount: 0,
    nscount: 0,
    arcount: 0,
  });
  assert.equal(readHeader(new Uint8Array(11)), undefined);
});

Deno.test("errorResponse keeps the id, opcode, RD and the one question", () => {
  const answer = decode(errorResponse(encodeQuery("example.com", "A", { id: 9 }), Rcode.ServFail));
  assert.equal(answer.id, 9);
  assert.equal(answer.type, "response");
  assert.equal(answer.rcode, "SERVFAIL");
  assert.equal(answer.flag_rd, true);
  assert.deepEqual(answer.questions, [{ name: "example.com", type: "A", class: "IN" }]);
});

Deno.test("errorResponse of a bare header has no question", () => {
  const query = new Uint8Array(12);
  query.set([0xab, 0xcd, 0, 0, 0, 2]);
  const answer = errorResponse(query, Rcode.FormErr);
  assert.equal(answer.length, 12);
  assert.deepEqual(readHeader(answer), {
    id: 0xabcd,
    isResponse: true,
    opcode: 0,
    truncated: false,
    rcode: Rcode.FormErr,
    qdcount: 0,
    ancount: 0,
    nscount: 0,
    arcount: 0,
  });
});

Deno.test("truncatedResponse keeps the question, drops the records and sets TC", () => {
  const truncated = decode(truncatedResponse(response([60, 30]))!);
  assert.equal(truncated.flag_tc, true);
  assert.equal(truncated.questions?.length, 1);
  assert.deepEqual([truncated.answers, truncated.additionals], [[], []]);
});

Deno.test("minTtl finds the smallest TTL and ignores OPT", () => {
  assert.equal(minTtl(response([300, 60, 120])), 60);
  assert.equal(minTtl(response([])), undefined);
  assert.equal(minTtl(response([300]).slice(0, 40)), null);
});

Deno.test("agedResponse lowers every TTL, not below zero", () => {
  const aged = decode(agedResponse(response([300, 60]), 100));
  assert.deepEqual(aged.answers?.map((a) => "ttl" in a && a.ttl), [200, 0]);
  assert.equal(aged.additionals?.[0]?.type, "OPT");
});

Deno.test("sameQuestion ignores the case of the name but not the type", () => {
  const query = encodeQuery("Example.COM", "A");
  assert.equal(sameQuestion(query, response([1])), true);
  assert.equal(sameQuestion(encodeQuery("example.com", "AAAA"), response([1])), false);
  assert.equal(sameQuestion(encodeQuery("example.org", "A"), response([1])), false);
  assert.equal(sameQuestion(new Uint8Array(12), new Uint8Array(12)), false);
});

Deno.test("withId and tcpFrame copy rather than change their input", () => {
  const query = encodeQuery("example.com", "A", { id: 1 });
  assert.equal(readHeader(withId(query, 0xffff))?.id, 0xffff);
  assert.equal(readHeader(query)?.id, 1);
  const framed = tcpFrame(query);
  assert.deepEqual([framed[0], framed[1]], [0, query.length]);
  assert.deepEqual(framed.subarray(2), query);
});
