import assert from "node:assert/strict";
import { RawClient, requestHead } from "./_test_clients.ts";
import { startRouter, type TestIntercept } from "./_test_router.ts";
import { startTestServer } from "./_test_servers.ts";

const byHeader = (port: number): TestIntercept => ({
  id: "ann",
  port,
  filters: [{ on: "header", name: "x-dev", match: "exact", value: "ann" }],
});

function pattern(size: number): Uint8Array<ArrayBuffer> {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + (i >> 11)) & 0xff;
  return data;
}

Deno.test("serveHttpConnection() passes requests to the app", async () => {
  await using app = startTestServer("app");
  await using router = startRouter({ appPort: app.port });
  using client = Deno.createHttpClient({ http2: false });
  const response = await fetch(`http://127.0.0.1:${router.port}/items?x=1`, { client });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), {
    server: "app",
    conn: 1,
    method: "GET",
    target: "/items?x=1",
  });
});

Deno.test("serveHttpConnection() routes each request of one keep-alive connection on its own", async () => {
  await using app = startTestServer("app");
  await using laptop = startTestServer("laptop");
  await using router = startRouter({ appPort: app.port, intercepts: [byHeader(laptop.port)] });
  using client = await RawClient.connect(router.port);
  const servedBy = async (...fields: string[]) =>
    (await client.request(requestHead("GET", "/", ...fields))).headers.get("x-served-by");
  assert.equal(await servedBy(), "app");
  assert.equal(await servedBy("X-Dev: ann"), "laptop");
  assert.equal(await servedBy("X-Dev: bob"), "app");
  assert.equal(await servedBy("x-dev: ann"), "laptop");
  // One client connection, and one upstream connection per side, each reused.
  assert.equal(router.connections, 1);
  assert.equal(app.connections, 1);
  assert.equal(laptop.connections, 1);
});

Deno.test("serveHttpConnection() serves fetch's keep-alive requests on one connection", async () => {
  await using app = startTestServer("app");
  await using laptop = startTestServer("laptop");
  await using router = startRouter({ appPort: app.port, intercepts: [byHeader(laptop.port)] });
  using client = Deno.createHttpClient({ http2: false });
  const served: string[] = [];
  for (const dev of ["", "ann", "", "ann"]) {
    const headers: Record<string, string> = dev ? { "x-dev": dev } : {};
    const response = await fetch(`http://127.0.0.1:${router.port}/`, { client, headers });
    served.push((await response.json()).server);
  }
  assert.deepEqual(served, ["app", "laptop", "app", "laptop"]);
  assert.equal(router.connections, 1);
});

Deno.test("serveHttpConnection() streams a chunked request body and a chunked response", async () => {
  await using app = startTestServer("app");
  await using router = startRouter({ appPort: app.port });
  using client = await RawClient.connect(router.port);
  const head = requestHead("POST", "/echo", "Transfer-Encoding: chunked");
  await client.send(head + "4\r\nwiki\r\n");
  await client.send("5\r\npedia\r\n0\r\n\r\n");
  const echoed = await client.response();
  assert.equal(echoed.headers.get("transfer-encoding"), "chunked");
  assert.equal(echoed.body, "4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n");
  const chunked = await client.request(requestHead("GET", "/chunked"));
  assert.equal(chunked.body, "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
});

Deno.test("serveHttpConnection() carries bodies of several MiB intact both ways", async () => {
  await using app = startTestServer("app");
  await using laptop = startTestServer("laptop");
  await using router = startRouter({ appPort: app.port, intercepts: [byHeader(laptop.port)] });
  using client = Deno.createHttpClient({ http2: false });
  const payload = pattern(6 * 1024 * 1024 + 3);
  for (const dev of ["", "ann"]) {
    const response = await fetch(`http://127.0.0.1:${router.port}/echo`, {
      client,
      method: "POST",
      body: payload,
      headers: dev ? { "x-dev": dev } : {},
    });
    assert.equal(response.headers.get("x-served-by"), dev ? "laptop" : "app");
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), payload);
  }
  // A streamed body goes out chunked.
  const stream = new Blob([payload]).stream();
  const response = await fetch(`http://127.0.0.1:${router.port}/echo`, {
    client,
    method: "POST",
    body: stream,
  });
  assert.deepEqual(new Uint8Array(await response.arrayBuffer()), payload);
});

Deno.test("serveHttpConnection() expects no body after HEAD or 204, and goes on", async () => {
  await using app = startTestServer("app");
  await using router = startRouter({ appPort: app.port });
  using client = await RawClient.connect(router.port);
  const head = await client.request(requestHead("HEAD", "/"));
  assert.equal(head.status, 200);
  assert.equal(head.body, "");
  assert.notEqual(head.headers.get("content-length"), "0");
  assert.equal((await client.request(requestHead("GET", "/no-content"))).status, 204);
  assert.equal((await client.request(requestHead("GET", "/after"))).status, 200);
});

Deno.test("serveHttpConnection() passes 100 Continue on before the body is sent", async () => {
  await using app = startTestServer("app");
  await using router = startRouter({ appPort: app.port });
  using client = await RawClient.connect(router.port);
  await client.send(requestHead("POST", "/echo", "Expect: 100-continue", "Content-Length: 5"));
  assert.equal((await client.response()).status, 100);
  await client.send("hello");
  const final = await client.response();
  assert.equal(final.status, 200);
  assert.equal(final.body, "hello");
});

Deno.test("serveHttpConnection() splices a WebSocket upgrade with the side that took it", async () => {
  await using app = startTestServer("app");
  await using laptop = startTestServer("laptop");
  await using router = startRouter({ appPort: app.port, intercepts: [byHeader(laptop.port)] });
  for (const dev of ["ann", "bob"]) {
    using client = await RawClient.connect(router.port);
    const upgrade = requestHead(
      "GET",
      "/ws",
      "Connection: Upgrade",
      "Upgrade: websocket",
      `X-Dev: ${dev}`,
    );
    const switched = await client.request(upgrade);
    assert.equal(switched.status, 101);
    assert.equal(switched.headers.get("x-served-by"), dev === "ann" ? "laptop" : "app");
    await client.send("frame one|");
    await client.send("GET / HTTP/1.1\r\n\r\n");
    await client.closeWrite();
    assert.equal(await client.readToEnd(), "frame one|GET / HTTP/1.1\r\n\r\n");
  }
});
