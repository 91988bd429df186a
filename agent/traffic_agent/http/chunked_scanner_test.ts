import assert from "node:assert/strict";
import { bytes } from "./_test_conns.ts";
import { ChunkedScanner } from "./chunked_scanner.ts";
import { TpxError } from "../../../tunnel/protocol/mod.ts";

const BODY = "5;name=value\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n" +
  "0\r\nTrailer-One: 1\r\nTrailer-Two: 2\r\n\r\n";

/** Scans `data` cut at `cuts`; returns how many bytes belonged to the body. */
function scanCut(data: Uint8Array, cuts: number[]): { taken: number; done: boolean } {
  const scanner = new ChunkedScanner();
  let taken = 0;
  let from = 0;
  for (const cut of [...cuts, data.length]) {
    if (scanner.done) break;
    const n = scanner.scan(data.subarray(from, cut));
    taken += n;
    if (n < cut - from) break;
    from = cut;
  }
  return { taken, done: scanner.done };
}

Deno.test("ChunkedScanner finds the end of a body with extensions and trailers", () => {
  const data = bytes(BODY + "GET /next HTTP/1.1\r\n\r\n");
  assert.deepEqual(scanCut(data, []), { taken: BODY.length, done: true });
});

Deno.test("ChunkedScanner finds the same end whatever byte the body is split at", () => {
  const data = bytes(BODY + "NEXT");
  for (let cut = 0; cut <= data.length; cut++) {
    assert.deepEqual(scanCut(data, [cut]), { taken: BODY.length, done: true }, `cut at ${cut}`);
  }
  // And fed one byte at a time.
  const everyByte = Array.from({ length: data.length }, (_, i) => i);
  assert.deepEqual(scanCut(data, everyByte), { taken: BODY.length, done: true });
});

Deno.test("ChunkedScanner accepts bare LF line endings", () => {
  const body = "3\nabc\n0\n\n";
  assert.deepEqual(scanCut(bytes(body + "x"), []), { taken: body.length, done: true });
});

Deno.test("ChunkedScanner is not done before the last chunk's empty line", () => {
  const scanner = new ChunkedScanner();
  assert.equal(scanner.scan(bytes("3\r\nabc\r\n0\r\n")), 11);
  assert.equal(scanner.done, false);
  assert.equal(scanner.scan(bytes("\r\n")), 2);
  assert.equal(scanner.done, true);
});

Deno.test("ChunkedScanner throws on bytes that are not a chunked body", () => {
  for (const body of ["x\r\n", "\r\n", "3\r\nabcd\r\n", "3\rX", "12345678901234\r\n"]) {
    assert.throws(() => new ChunkedScanner().scan(bytes(body)), TpxError, body);
  }
});
