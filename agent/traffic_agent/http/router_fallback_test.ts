import assert from "node:assert/strict";
import { RawClient, requestHead } from "./_test_clients.ts";
import { closedPort, startRouter } from "./_test_router.ts";
import { startTestServer } from "./_test_servers.ts";
import { MAX_HEAD_BYTES } from "./head_syntax.ts";

Deno.test("serveHttpConnection() lets the app serve a request whose intercept is unreachable", async () => {
  await using app = startTestServer("app");
  await using router = startRouter({
    appPort: app.port,
    intercepts: [{
      id: "ann",
      port: closedPort(),
      filters: [{ on: "path", match: "prefix", value: "/api" }],
    }],
  });
  using client = await RawClient.connect(router.port);
  for (let i = 0; i < 3; i++) {
    const response = await client.request(requestHead("GET", "/api/items"));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-served-by"), "app");
  }
  const warnings = router.logger.entries.filter((entry) => entry.level === "warn");
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.fields.interceptId, "ann");
});

Deno.test("serveHttpConnection() lets the app serve a GET whose intercept stream breaks", async () => {
  await using app = startTestServer("app");
  await using broken = startTestServer("laptop", { drop: true });
  await using router = startRouter({
    appPort: app.port,
    intercepts: [{ id: "ann", port: broken.port, filters: [] }],
  });
  using client = await RawClient.connect(router.port);
  for (let i = 0; i < 2; i++) {
    const response = await client.request(requestHead("GET", "/"));
    assert.equal(response.headers.get("x-served-by"), "app");
  }
  assert.equal(router.logger.entries.filter((entry) => entry.level === "warn").length, 1);
  // A request with a body cannot be sent twice: it gets a 502.
  const post = await client.request(requestHead("POST", "/", "Content-Length: 2"), "hi");
  assert.equal(post.status, 502);
  assert.equal(await client.closedByServer(), true);
});

Deno.test("serveHttpConnection() opens a new app connection when the app closed an idle one", async () => {
  await using app = startTestServer("app");
  await using router = startRouter({ appPort: app.port });
  using client = await RawClient.connect(router.port);
  for (let i = 1; i <= 3; i++) {
    const response = await client.request(requestHead("GET", "/idle-close"));
    assert.equal(JSON.parse(response.body).conn, i);
  }
  assert.equal(router.connections, 1);
});

Deno.test("serveHttpConnection() answers 502 and closes when the app is unreachable", async () => {
  await using router = startRouter({ appPort: closedPort() });
  using client = await RawClient.connect(router.port);
  const response = await client.request(requestHead("GET", "/"));
  assert.equal(response.status, 502);
  assert.equal(await client.closedByServer(), true);
});

Deno.test("serveHttpConnection() pipes bytes that are not HTTP to the app as they are", async () => {
  await using app = startTestServer("app");
  await using router = startRouter({ appPort: app.port });
  using client = await RawClient.connect(router.port);
  const hello = new Uint8Array([0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x02, 0x03, 0x04, 0x05]);
  await client.send(hello);
  await client.send("more");
  await client.closeWrite();
  const reply = await client.readToEnd();
  assert.equal(reply, "raw:" + new TextDecoder().decode(hello) + "more");
});

Deno.test("serveHttpConnection() passes a malformed head to the app verbatim", async () => {
  await using app = startTestServer("app");
  await using router = startRouter({ appPort: app.port });
  using client = await RawClient.connect(router.port);
  // A first request is served; the second is malformed and goes on as it is.
  assert.equal((await client.request(requestHead("GET", "/first"))).status, 200);
  const malformed = "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd";
  await client.send(malformed);
  await client.closeWrite();
  assert.equal(await client.readToEnd(), "raw:" + malformed);
  assert.deepEqual(app.raw, [malformed]);
});

Deno.test("serveHttpConnection() passes a head over 64 KiB to the app", async () => {
  await using app = startTestServer("app");
  await using router = startRouter({ appPort: app.port });
  using client = await RawClient.connect(router.port);
  const huge = requestHead("GET", "/", `X-Big: ${"b".repeat(MAX_HEAD_BYTES)}`);
  const [, reply] = await Promise.all([
    client.send(huge).then(() => client.closeWrite()),
    client.readToEnd(),
  ]);
  assert.equal(reply.length, huge.length + 4);
  assert.ok(reply === "raw:" + huge);
});

Deno.test("serveHttpConnection() closes the client after a response that ends by closing", async () => {
  await using app = startTestServer("app");
  await using router = startRouter({ appPort: app.port });
  using untilClose = await RawClient.connect(router.port);
  await untilClose.send(requestHead("GET", "/until-close"));
  assert.match(await untilClose.readToEnd(), /\r\n\r\nstreamed until close$/);
  using close = await RawClient.connect(router.port);
  const bye = await close.request(requestHead("GET", "/close"));
  assert.equal(bye.body, "bye");
  assert.equal(await close.closedByServer(), true);
});

Deno.test("serveHttpConnection() closes after a response that came before the whole body", async () => {
  await using app = startTestServer("app");
  await using router = startRouter({ appPort: app.port });
  using client = await RawClient.connect(router.port);
  await client.send(requestHead("POST", "/early", "Content-Length: 100") + "partial");
  assert.equal((await client.response()).status, 413);
  assert.equal(await client.closedByServer(), true);
});

Deno.test("serveHttpConnection() closes after a request that asks for it", async () => {
  await using app = startTestServer("app");
  await using router = startRouter({ appPort: app.port });
  using client = await RawClient.connect(router.port);
  const response = await client.request(requestHead("GET", "/", "Connection: close"));
  assert.equal(response.status, 200);
  assert.equal(await client.closedByServer(), true);
});
