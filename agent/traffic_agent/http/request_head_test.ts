import assert from "node:assert/strict";
import { bytes } from "./_test_conns.ts";
import { MAX_HEAD_BYTES } from "./head_syntax.ts";
import { parseRequestHead, type RequestHead, type RequestHeadParse } from "./request_head.ts";

function parsed(result: RequestHeadParse): { head: RequestHead; headLength: number } {
  assert.equal(result.kind, "parsed", JSON.stringify(result));
  return result as { kind: "parsed"; head: RequestHead; headLength: number };
}

const GET = "GET /api/items?limit=5&x=y HTTP/1.1\r\nHost: shop\r\nX-Dev: Ann\r\n" +
  "Accept: a\r\naccept: b\r\n\r\n";

Deno.test("parseRequestHead() reads method, target, path, query, version and headers", () => {
  const { head, headLength } = parsed(parseRequestHead(bytes(GET + "next")));
  assert.equal(headLength, GET.length);
  assert.equal(head.method, "GET");
  assert.equal(head.target, "/api/items?limit=5&x=y");
  assert.equal(head.path, "/api/items");
  assert.equal(head.query, "limit=5&x=y");
  assert.equal(head.version, "HTTP/1.1");
  assert.equal(head.headers.get("HOST"), "shop");
  assert.equal(head.headers.get("x-dev"), "Ann");
  assert.deepEqual(head.headers.getAll("Accept"), ["a", "b"]);
  assert.deepEqual(head.body, { kind: "none" });
  assert.equal(head.keepAlive, true);
  assert.equal(head.upgrade, false);
});

Deno.test("parseRequestHead() waits for more at every cut of a head", () => {
  const whole = bytes(GET);
  for (let cut = 0; cut < whole.length; cut++) {
    const result = parseRequestHead(whole.subarray(0, cut));
    assert.equal(result.kind, "incomplete", `cut at ${cut}`);
    // Resuming from the previous length gives the same answer as a fresh scan.
    assert.equal(parsed(parseRequestHead(whole, cut)).headLength, whole.length, `resume ${cut}`);
  }
});

Deno.test("parseRequestHead() accepts bare LF line endings and empty lines before the head", () => {
  const head = "\r\n\nPOST /a HTTP/1.1\nHost: x\nContent-Length: 3\n\n";
  const result = parsed(parseRequestHead(bytes(head + "abc")));
  assert.equal(result.headLength, head.length);
  assert.equal(result.head.headers.get("host"), "x");
  assert.deepEqual(result.head.body, { kind: "length", length: 3 });
});

Deno.test("parseRequestHead() trims header values and keeps the request's case for names", () => {
  const { head } = parsed(parseRequestHead(bytes("GET / HTTP/1.1\r\nX-A: \t v w \t\r\n\r\n")));
  assert.equal(head.headers.get("x-a"), "v w");
  assert.deepEqual([...head.headers.entries()], [["X-A", "v w"]]);
});

Deno.test("parseRequestHead() finds the path of an absolute-form target", () => {
  const { head } = parsed(parseRequestHead(bytes("GET http://a.b:80/p/q?z HTTP/1.1\r\n\r\n")));
  assert.equal(head.path, "/p/q");
  assert.equal(head.query, "z");
});

Deno.test("parseRequestHead() says not HTTP for a TLS ClientHello, binary or another protocol", () => {
  const tls = new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc]);
  assert.equal(parseRequestHead(tls).kind, "not-http");
  assert.equal(parseRequestHead(new Uint8Array([0, 0, 0, 0])).kind, "not-http");
  assert.equal(parseRequestHead(bytes("SSH-2.0-OpenSSH_9.6\r\n")).kind, "not-http");
  assert.equal(parseRequestHead(bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")).kind, "not-http");
  assert.equal(parseRequestHead(bytes("hello there\n")).kind, "not-http");
  assert.equal(parseRequestHead(bytes(" GET / HTTP/1.1\r\n")).kind, "not-http");
  assert.equal(parseRequestHead(bytes("A".repeat(40))).kind, "not-http");
});

Deno.test("parseRequestHead() says malformed for a broken request line or header", () => {
  const cases = [
    "GET /a b HTTP/1.1\r\n\r\n",
    "GET HTTP/1.1\r\n\r\n",
    "GET / HTTP/1.7\r\n\r\n",
    "GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
    "GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n",
    "GET / HTTP/1.1\r\nBad Name: 1\r\n\r\n",
    "GET / HTTP/1.1\r\n: empty\r\n\r\n",
    "GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n",
  ];
  for (const head of cases) assert.equal(parseRequestHead(bytes(head)).kind, "malformed", head);
});

Deno.test("parseRequestHead() judges a bad request line before the head is complete", () => {
  assert.equal(parseRequestHead(bytes("GET /a b HTTP/1.1\r\nHost: x\r\n")).kind, "malformed");
});

Deno.test("parseRequestHead() refuses invalid and conflicting Content-Length values", () => {
  const withLength = (...values: string[]) =>
    bytes(`POST / HTTP/1.1\r\n${values.map((v) => `Content-Length: ${v}\r\n`).join("")}\r\n`);
  assert.equal(parseRequestHead(withLength("5", "6")).kind, "malformed");
  assert.equal(parseRequestHead(withLength("5, 6")).kind, "malformed");
  assert.equal(parseRequestHead(withLength("-1")).kind, "malformed");
  assert.equal(parseRequestHead(withLength("0x10")).kind, "malformed");
  assert.equal(parseRequestHead(withLength("")).kind, "malformed");
  assert.equal(parseRequestHead(withLength("1".repeat(16))).kind, "malformed");
  assert.deepEqual(parsed(parseRequestHead(withLength("5", "5, 5"))).head.body, {
    kind: "length",
    length: 5,
  });
  assert.deepEqual(parsed(parseRequestHead(withLength("0"))).head.body, { kind: "none" });
});

Deno.test("parseRequestHead() reads chunked, refuses it beside Content-Length and other codings", () => {
  const chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n";
  assert.deepEqual(parsed(parseRequestHead(bytes(chunked))).head.body, { kind: "chunked" });
  const both = "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n";
  assert.equal(parseRequestHead(bytes(both)).kind, "malformed");
  const gzip = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n";
  assert.equal(parseRequestHead(bytes(gzip)).kind, "malformed");
});

Deno.test("parseRequestHead() flags upgrades and reads keep-alive per version", () => {
  const ws = "GET /ws HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n";
  assert.equal(parsed(parseRequestHead(bytes(ws))).head.upgrade, true);
  const close = "GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
  assert.equal(parsed(parseRequestHead(bytes(close))).head.keepAlive, false);
  const old = "GET / HTTP/1.0\r\n\r\n";
  assert.equal(parsed(parseRequestHead(bytes(old))).head.keepAlive, false);
  const oldKept = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
  assert.equal(parsed(parseRequestHead(bytes(oldKept))).head.keepAlive, true);
});

Deno.test("parseRequestHead() says too large past 64 KiB without an end", () => {
  const start = "GET / HTTP/1.1\r\nX-Big: ";
  const big = bytes(start + "a".repeat(MAX_HEAD_BYTES - start.length));
  assert.equal(parseRequestHead(big).kind, "too-large");
  assert.equal(parseRequestHead(big.subarray(0, MAX_HEAD_BYTES - 1)).kind, "incomplete");
  const endsPast = bytes(start + "a".repeat(MAX_HEAD_BYTES) + "\r\n\r\n");
  assert.equal(parseRequestHead(endsPast).kind, "too-large");
  const fits = bytes(start + "a".repeat(MAX_HEAD_BYTES - start.length - 4) + "\r\n\r\n");
  assert.equal(parsed(parseRequestHead(fits)).headLength, MAX_HEAD_BYTES);
});

Deno.test("parseRequestHead() decodes UTF-8 header values", () => {
  const { head } = parsed(parseRequestHead(bytes("GET / HTTP/1.1\r\nX-User: jöhn\r\n\r\n")));
  assert.equal(head.headers.get("x-user"), "jöhn");
});
