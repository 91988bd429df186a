import assert from "node:assert/strict";
import { requestBodyFraming, responseBodyFraming } from "./body_framing.ts";
import { HttpHeaders } from "./http_headers.ts";

function headers(...fields: [string, string][]): HttpHeaders {
  const result = new HttpHeaders();
  for (const [name, value] of fields) result.append(name, value);
  return result;
}

Deno.test("requestBodyFraming() has no body without framing headers", () => {
  assert.deepEqual(requestBodyFraming(headers()), { kind: "none" });
});

Deno.test("responseBodyFraming() has no body for HEAD, 1xx, 204 and 304", () => {
  const length = headers(["Content-Length", "10"]);
  assert.deepEqual(responseBodyFraming("HEAD", 200, length), { kind: "none" });
  assert.deepEqual(responseBodyFraming("GET", 100, length), { kind: "none" });
  assert.deepEqual(responseBodyFraming("GET", 204, length), { kind: "none" });
  assert.deepEqual(responseBodyFraming("GET", 304, length), { kind: "none" });
  assert.deepEqual(responseBodyFraming("GET", 200, length), { kind: "length", length: 10 });
});

Deno.test("responseBodyFraming() makes 101 and a CONNECT's 2xx a tunnel", () => {
  assert.deepEqual(responseBodyFraming("GET", 101, headers()), { kind: "tunnel" });
  assert.deepEqual(responseBodyFraming("CONNECT", 200, headers()), { kind: "tunnel" });
  assert.deepEqual(responseBodyFraming("CONNECT", 407, headers()), { kind: "until-close" });
});

Deno.test("responseBodyFraming() reads until close without length or with another coding", () => {
  assert.deepEqual(responseBodyFraming("GET", 200, headers()), { kind: "until-close" });
  const gzip = headers(["Transfer-Encoding", "gzip"], ["Content-Length", "3"]);
  assert.deepEqual(responseBodyFraming("GET", 200, gzip), { kind: "until-close" });
  const chunked = headers(["Transfer-Encoding", "gzip"], ["Transfer-Encoding", "chunked"]);
  assert.deepEqual(responseBodyFraming("GET", 200, chunked), { kind: "chunked" });
});

Deno.test("responseBodyFraming() refuses conflicting Content-Length values", () => {
  const conflict = headers(["Content-Length", "3"], ["Content-Length", "4"]);
  assert.equal(typeof responseBodyFraming("GET", 200, conflict), "string");
});

Deno.test("requestBodyFraming() refuses Transfer-Encoding beside Content-Length", () => {
  const both = headers(["Transfer-Encoding", "chunked"], ["Content-Length", "3"]);
  assert.equal(requestBodyFraming(both), "both Transfer-Encoding and Content-Length");
});
