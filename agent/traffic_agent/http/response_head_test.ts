import assert from "node:assert/strict";
import { bytes } from "./_test_conns.ts";
import { MAX_HEAD_BYTES } from "./head_syntax.ts";
import { parseResponseHead, type ResponseHead, type ResponseHeadParse } from "./response_head.ts";

function parsed(result: ResponseHeadParse): { head: ResponseHead; headLength: number } {
  assert.equal(result.kind, "parsed", JSON.stringify(result));
  return result as { kind: "parsed"; head: ResponseHead; headLength: number };
}

const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: a\r\nSet-Cookie: b\r\n\r\n";

Deno.test("parseResponseHead() reads status, reason and headers", () => {
  const { head, headLength } = parsed(parseResponseHead(bytes(OK + "hi")));
  assert.equal(headLength, OK.length);
  assert.equal(head.status, 200);
  assert.equal(head.reason, "OK");
  assert.equal(head.version, "HTTP/1.1");
  assert.deepEqual(head.headers.getAll("set-cookie"), ["a", "b"]);
  assert.equal(head.keepAlive, true);
});

Deno.test("parseResponseHead() waits for more at every cut of a head", () => {
  const whole = bytes(OK);
  for (let cut = 0; cut < whole.length; cut++) {
    assert.equal(parseResponseHead(whole.subarray(0, cut)).kind, "incomplete", `cut ${cut}`);
    assert.equal(parsed(parseResponseHead(whole, cut)).headLength, whole.length);
  }
});

Deno.test("parseResponseHead() accepts bare LF, an empty reason and no reason", () => {
  assert.equal(parsed(parseResponseHead(bytes("HTTP/1.1 204 \n\n"))).head.status, 204);
  assert.equal(parsed(parseResponseHead(bytes("HTTP/1.0 404\r\n\r\n"))).head.status, 404);
});

Deno.test("parseResponseHead() reads keep-alive per version and Connection", () => {
  const close = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
  assert.equal(parsed(parseResponseHead(bytes(close))).head.keepAlive, false);
  assert.equal(parsed(parseResponseHead(bytes("HTTP/1.0 200 OK\r\n\r\n"))).head.keepAlive, false);
});

Deno.test("parseResponseHead() says malformed for what is not a status line", () => {
  for (const head of ["HTTP/2 200\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 1e2 X\r\n\r\n"]) {
    assert.equal(parseResponseHead(bytes(head)).kind, "malformed", head);
  }
  assert.equal(parseResponseHead(bytes("SSH-2.0-x")).kind, "malformed");
});

Deno.test("parseResponseHead() says too large past 64 KiB without an end", () => {
  const big = bytes("HTTP/1.1 200 OK\r\nX: " + "a".repeat(MAX_HEAD_BYTES));
  assert.equal(parseResponseHead(big).kind, "too-large");
});
