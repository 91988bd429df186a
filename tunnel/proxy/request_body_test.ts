import assert from "node:assert/strict";
import { bytes, scriptedConn } from "./_test_conns.ts";
import { BodyScanner, forwardedRequest, MalformedBodyError } from "./request_body.ts";

const CHUNKED =
  "4\r\nWiki\r\n5;ext=1\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Trailer: 1\r\n\r\n";

Deno.test("BodyScanner finds the end of a chunked body wherever the reads cut it", () => {
  const input = bytes(CHUNKED + "GET /next");
  for (let at = 0; at <= input.length; at++) {
    const scanner = new BodyScanner({ kind: "chunked" });
    let taken = scanner.consume(input.subarray(0, at));
    if (!scanner.done) taken += scanner.consume(input.subarray(at));
    assert.equal(taken, CHUNKED.length, `split at ${at}`);
    assert.ok(scanner.done);
  }
});

Deno.test("BodyScanner takes a chunked body byte by byte, with bare line feeds", () => {
  const body = bytes("3\nabc\n0\n\n");
  const scanner = new BodyScanner({ kind: "chunked" });
  for (const byte of body) {
    assert.ok(!scanner.done);
    assert.equal(scanner.consume(Uint8Array.of(byte)), 1);
  }
  assert.ok(scanner.done);
});

Deno.test("BodyScanner counts a Content-Length body and stops at its end", () => {
  const scanner = new BodyScanner({ kind: "length", length: 5 });
  assert.equal(scanner.consume(bytes("hel")), 3);
  assert.equal(scanner.consume(bytes("loGET")), 2);
  assert.ok(scanner.done);
  assert.ok(new BodyScanner({ kind: "none" }).done);
});

Deno.test("BodyScanner throws MalformedBodyError on a broken chunked body", () => {
  for (const body of ["x\r\n", "3\r\nabcX", "\r\n", "12345678901234\r\n"]) {
    const scanner = new BodyScanner({ kind: "chunked" });
    assert.throws(() => scanner.consume(bytes(body)), MalformedBodyError, body);
  }
});

Deno.test("forwardedRequest() yields the head and the body, and drops what follows", async () => {
  const client = scriptedConn([bytes("hello"), bytes(" worldGET http://other/ HTTP/1.1\r\n\r\n")]);
  const conn = forwardedRequest(
    client,
    bytes("POST / HTTP/1.1\r\n\r\n"),
    new BodyScanner({ kind: "length", length: 11 }),
  );
  const buffer = new Uint8Array(8);
  let out = "";
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    out += new TextDecoder().decode(buffer.subarray(0, n));
  }
  assert.equal(out, "POST / HTTP/1.1\r\n\r\nhello world");
});
