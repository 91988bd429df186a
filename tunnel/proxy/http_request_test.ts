import assert from "node:assert/strict";
import { bytes } from "./_test_conns.ts";
import { encodeProxyResponse, HttpRequestError, parseProxyRequest } from "./http_request.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

function refusal(head: string): number {
  try {
    parseProxyRequest(bytes(head));
  } catch (error) {
    assert.ok(error instanceof HttpRequestError, String(error));
    return error.status;
  }
  assert.fail(`accepted ${JSON.stringify(head)}`);
}

Deno.test("parseProxyRequest() reads CONNECT targets, names and bracketed IPv6", () => {
  assert.deepEqual(parseProxyRequest(bytes("CONNECT web.shop:443 HTTP/1.1\r\nHost: x\r\n\r\n")), {
    kind: "connect",
    host: "web.shop",
    port: 443,
  });
  assert.deepEqual(parseProxyRequest(bytes("CONNECT [::1]:8443 HTTP/1.1\r\n\r\n")), {
    kind: "connect",
    host: "::1",
    port: 8443,
  });
});

Deno.test("parseProxyRequest() refuses a CONNECT without a valid port with 400", () => {
  assert.equal(refusal("CONNECT web.shop HTTP/1.1\r\n\r\n"), 400);
  assert.equal(refusal("CONNECT web.shop:0 HTTP/1.1\r\n\r\n"), 400);
  assert.equal(refusal("CONNECT web.shop:70000 HTTP/1.1\r\n\r\n"), 400);
});

Deno.test("parseProxyRequest() rewrites an absolute-form request for the origin", () => {
  const request = parseProxyRequest(bytes(
    "GET http://user:pw@web.shop:8080/a/../b?q=1#frag HTTP/1.1\r\n" +
      "Host: wrong\r\nProxy-Connection: keep-alive\r\nConnection: keep-alive, X-Hop\r\n" +
      "X-Hop: 1\r\nProxy-Authorization: Basic abc\r\nAccept: */*\r\n\r\n",
  ));
  assert.equal(request.kind, "forward");
  if (request.kind !== "forward") return;
  assert.equal(request.host, "web.shop");
  assert.equal(request.port, 8080);
  assert.deepEqual(request.body, { kind: "none" });
  assert.equal(
    text(request.head),
    "GET /a/../b?q=1 HTTP/1.1\r\nHost: web.shop:8080\r\nAccept: */*\r\nConnection: close\r\n\r\n",
  );
});

Deno.test("parseProxyRequest() defaults to port 80 and path / ", () => {
  const request = parseProxyRequest(bytes("HEAD http://web HTTP/1.0\n\n"));
  assert.equal(request.kind === "forward" && request.port, 80);
  assert.match(text(request.kind === "forward" ? request.head : new Uint8Array()), /^HEAD \/ /);
  const query = parseProxyRequest(bytes("GET http://[::1]:81?x HTTP/1.1\r\n\r\n"));
  assert.equal(query.kind === "forward" && query.host, "::1");
  assert.match(text(query.kind === "forward" ? query.head : new Uint8Array()), /^GET \/\?x /);
});

Deno.test("parseProxyRequest() reads the body's framing", () => {
  const body = (fields: string) => {
    const request = parseProxyRequest(bytes(`POST http://a/ HTTP/1.1\r\n${fields}\r\n`));
    return request.kind === "forward" ? request.body : undefined;
  };
  assert.deepEqual(body("Content-Length: 12\r\n"), { kind: "length", length: 12 });
  assert.deepEqual(body("Content-Length: 12\r\nContent-Length: 12\r\n"), {
    kind: "length",
    length: 12,
  });
  assert.deepEqual(body("Transfer-Encoding: gzip, chunked\r\n"), { kind: "chunked" });
});

Deno.test("parseProxyRequest() refuses ambiguous bodies with 400", () => {
  const post = (fields: string) => `POST http://a/ HTTP/1.1\r\n${fields}\r\n`;
  assert.equal(refusal(post("Content-Length: 1\r\nTransfer-Encoding: chunked\r\n")), 400);
  assert.equal(refusal(post("Content-Length: 1\r\nContent-Length: 2\r\n")), 400);
  assert.equal(refusal(post("Content-Length: -1\r\n")), 400);
  assert.equal(refusal(post("Transfer-Encoding: gzip\r\n")), 400);
});

Deno.test("parseProxyRequest() answers what it does not serve", () => {
  assert.equal(refusal("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
  assert.equal(refusal("GET https://a/ HTTP/1.1\r\n\r\n"), 501);
  assert.equal(refusal("GET http://a/ HTTP/2.0\r\n\r\n"), 505);
  assert.equal(refusal("GET http://a/\r\n\r\n"), 400);
  assert.equal(refusal("GET http://a/ HTTP/1.1\r\n folded\r\n\r\n"), 400);
  assert.equal(refusal("GET http://a/ HTTP/1.1\r\nBad : x\r\n\r\n"), 400);
  assert.equal(refusal("GET http://bad host/ HTTP/1.1\r\n\r\n"), 400);
});

Deno.test("encodeProxyResponse() writes a complete response that closes the connection", () => {
  assert.equal(
    text(encodeProxyResponse(504, "Too slow")),
    "HTTP/1.1 504 Gateway Timeout\r\nContent-Type: text/plain; charset=utf-8\r\n" +
      "Content-Length: 9\r\nConnection: close\r\n\r\nToo slow\n",
  );
});
