import assert from "node:assert/strict";
import { ScriptedConn, text } from "./_test_conns.ts";
import { BufferedConn } from "./buffered_conn.ts";
import { copyResponse, type ResponseOutcome } from "./response_copy.ts";
import { TpxError } from "../../../tunnel/protocol/mod.ts";

async function copy(method: string, ...chunks: string[]) {
  const upstream = new BufferedConn(new ScriptedConn(chunks));
  const sink = new ScriptedConn();
  const progress = { started: false };
  const outcome: ResponseOutcome = await copyResponse(
    upstream,
    new BufferedConn(sink),
    method,
    progress,
  );
  return { outcome, sent: text(sink.written), rest: text(upstream.view()), progress };
}

Deno.test("copyResponse() copies a Content-Length response and leaves what follows", async () => {
  const response = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  const { outcome, sent, rest } = await copy("GET", response + "HTTP/1.1");
  assert.deepEqual(outcome, { kind: "complete", keepAlive: true });
  assert.equal(sent, response);
  assert.equal(rest, "HTTP/1.1");
});

Deno.test("copyResponse() forwards 1xx responses and goes on to the final one", async () => {
  const interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n";
  const final = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
  const { outcome, sent } = await copy("POST", interim, final);
  assert.deepEqual(outcome, { kind: "complete", keepAlive: true });
  assert.equal(sent, interim + final);
});

Deno.test("copyResponse() expects no body after HEAD, 204 and 304", async () => {
  const head = "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n";
  assert.equal((await copy("HEAD", head + "NEXT")).rest, "NEXT");
  const noContent = "HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n";
  assert.equal((await copy("GET", noContent + "NEXT")).rest, "NEXT");
  const notModified = "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n";
  assert.equal((await copy("GET", notModified + "NEXT")).rest, "NEXT");
});

Deno.test("copyResponse() copies a chunked response whole", async () => {
  const response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
  const { outcome, sent } = await copy("GET", response.slice(0, 50), response.slice(50));
  assert.deepEqual(outcome, { kind: "complete", keepAlive: true });
  assert.equal(sent, response);
});

Deno.test("copyResponse() reads until close without a length, and then closes", async () => {
  const response = "HTTP/1.1 200 OK\r\n\r\nall of it";
  const { outcome, sent } = await copy("GET", response);
  assert.deepEqual(outcome, { kind: "complete", keepAlive: false });
  assert.equal(sent, response);
});

Deno.test("copyResponse() respects Connection: close from the upstream", async () => {
  const response = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
  assert.deepEqual((await copy("GET", response)).outcome, { kind: "complete", keepAlive: false });
});

Deno.test("copyResponse() turns to a tunnel after 101 Switching Protocols", async () => {
  const response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
  const { outcome, sent, rest } = await copy("GET", response + "frame");
  assert.deepEqual(outcome, { kind: "tunnel" });
  assert.equal(sent, response);
  assert.equal(rest, "frame");
});

Deno.test("copyResponse() leaves a malformed response for raw copying", async () => {
  const { outcome, sent, progress } = await copy("GET", "HTTP/1.1 abc\r\n\r\n");
  assert.equal(outcome.kind, "raw");
  assert.equal(sent, "");
  assert.equal(progress.started, false);
});

Deno.test("copyResponse() fails when the upstream closes without a response", async () => {
  await assert.rejects(() => copy("GET"), (error: TpxError) => error.code === "upstream_closed");
  await assert.rejects(() => copy("GET", "HTTP/1.1 200"), TpxError);
});
