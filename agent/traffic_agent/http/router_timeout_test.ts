import assert from "node:assert/strict";
import { FakeClock } from "../../../tunnel/clock.ts";
import { RawClient, requestHead } from "./_test_clients.ts";
import { startRouter } from "./_test_router.ts";
import { startTestServer } from "./_test_servers.ts";

Deno.test("serveHttpConnection() closes a slowloris client at the timeout, serving others meanwhile", async () => {
  const clock = new FakeClock();
  await using app = startTestServer("app");
  await using router = startRouter({ appPort: app.port, clock, headerTimeoutMs: 30_000 });
  using slow = await RawClient.connect(router.port);
  await slow.send("GET / HTTP/1.1\r\nHost: shop\r\nX-Slow: ");
  using other = await RawClient.connect(router.port);
  for (let i = 0; i < 3; i++) {
    assert.equal((await other.request(requestHead("GET", `/${i}`))).status, 200);
  }
  clock.advance(30_000);
  assert.equal(await slow.closedByServer(), true);
  assert.equal(app.connections, 1);
});

Deno.test("serveHttpConnection() serves a head completed just before the timeout", async () => {
  const clock = new FakeClock();
  await using app = startTestServer("app");
  await using router = startRouter({ appPort: app.port, clock, headerTimeoutMs: 30_000 });
  using client = await RawClient.connect(router.port);
  await client.send("GET / HTTP/1.1\r\n");
  clock.advance(29_999);
  await client.send("Host: shop\r\n\r\n");
  assert.equal((await client.response()).status, 200);
  // Waiting for the next head starts a new deadline.
  clock.advance(29_999);
  assert.equal((await client.request(requestHead("GET", "/"))).status, 200);
  clock.advance(30_000);
  assert.equal(await client.closedByServer(), true);
});

Deno.test("serveHttpConnection() closes a client that sends nothing", async () => {
  const clock = new FakeClock();
  await using app = startTestServer("app");
  await using router = startRouter({ appPort: app.port, clock });
  using client = await RawClient.connect(router.port);
  // Make sure the connection is being served before time moves.
  using probe = await RawClient.connect(router.port);
  await probe.request(requestHead("GET", "/"));
  clock.advance(30_000);
  assert.equal(await client.closedByServer(), true);
  assert.equal(app.connections, 1);
});
