import assert from "node:assert/strict";
import { readAll } from "../_test_tunnel.ts";
import { silentLogger } from "../log.ts";
import { TcpServer } from "../tcp_server.ts";
import { bytes } from "./_test_conns.ts";
import { proxyFixture, readToEnd, until, writeAll } from "./_test_proxy.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** An HTTP server on loopback that describes each request it receives in its response. */
function describingServer(): AsyncDisposable & { port: number } {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      return Response.json({
        method: request.method,
        path: url.pathname + url.search,
        host: request.headers.get("host"),
        proxyAuthorization: request.headers.get("proxy-authorization"),
        body: await request.text(),
      });
    },
  );
  return {
    port: server.addr.port,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** Sends `request` to the proxy and reads the whole answer. */
async function ask(proxyPort: number, request: string | Uint8Array): Promise<string> {
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: proxyPort });
  await writeAll(conn, typeof request === "string" ? bytes(request) : request);
  return text(await readToEnd(conn));
}

/** Sends `request` through a proxy whose `web.shop` is a {@link describingServer}. */
async function askWebShop(request: string): Promise<string> {
  await using web = describingServer();
  await using fx = await proxyFixture({ webPort: web.port });
  return await ask(fx.proxy.port, request);
}

function statusOf(response: string): number {
  return Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1]);
}

function bodyOf(response: string): Record<string, unknown> {
  return JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4));
}

Deno.test("ProxyServer tunnels an HTTP CONNECT to a cluster name", async () => {
  await using fx = await proxyFixture();
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: fx.proxy.port });
  // The first payload rides in the same write as the head, as TLS clients often do.
  await writeAll(conn, bytes("CONNECT echo.shop:443 HTTP/1.1\r\nHost: echo.shop:443\r\n\r\nping "));
  const established = "HTTP/1.1 200 Connection established\r\n\r\n";
  const answer = new Uint8Array(established.length);
  let got = 0;
  while (got < answer.length) got += (await conn.read(answer.subarray(got)))!;
  assert.equal(text(answer), established);
  await writeAll(conn, bytes("pong"));
  await conn.closeWrite();
  assert.equal(text(await readAll(conn)), "ping pong");
});

Deno.test("ProxyServer answers a failed CONNECT with 502, 403 or 504", async () => {
  await using fx = await proxyFixture();
  const cases: [string, number][] = [
    ["closed.shop:80", 502],
    ["missing.shop:80", 502],
    ["down.shop:80", 502],
    ["forbidden.shop:80", 403],
    ["slow.shop:80", 504],
  ];
  for (const [target, status] of cases) {
    const response = await ask(fx.proxy.port, `CONNECT ${target} HTTP/1.1\r\n\r\n`);
    assert.equal(statusOf(response), status, `${target}: ${response}`);
    assert.match(response, new RegExp(`Cannot reach ${target.replace(".", "\\.")}`));
  }
});

Deno.test("ProxyServer answers 504 when a CONNECT passes the dial deadline", async () => {
  await using fx = await proxyFixture({ dialTimeoutMs: 3000 });
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: fx.proxy.port });
  await writeAll(conn, bytes("CONNECT hang.shop:80 HTTP/1.1\r\n\r\n"));
  await until(() => fx.hanging.length === 1, "the route is asked");
  fx.clock.advance(3000);
  const response = text(await readToEnd(conn));
  assert.equal(statusOf(response), 504, response);
  assert.match(response, /timed out after 3000 ms/);
});

Deno.test("ProxyServer forwards an absolute-form GET to a cluster name", async () => {
  const response = await askWebShop(
    "GET http://web.shop/items?id=1 HTTP/1.1\r\nHost: web.shop\r\n" +
      "Proxy-Authorization: Basic c2VjcmV0\r\nProxy-Connection: keep-alive\r\n\r\n",
  );
  assert.equal(statusOf(response), 200, response);
  assert.deepEqual(bodyOf(response), {
    method: "GET",
    path: "/items?id=1",
    host: "web.shop",
    proxyAuthorization: null,
    body: "",
  });
});

Deno.test("ProxyServer forwards a POST body and nothing a client pipelines after it", async () => {
  // A raw server that records every byte it gets until the proxy closes its side.
  let recorded!: Promise<string>;
  await using origin = TcpServer.listen({
    hostname: "127.0.0.1",
    port: 0,
    logger: silentLogger,
    handle: async (conn) => {
      recorded = (async () => {
        let seen = "";
        const buffer = new Uint8Array(4096);
        while (!seen.includes("hello")) {
          seen += text(buffer.subarray(0, (await conn.read(buffer))!));
        }
        await writeAll(
          conn,
          bytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"),
        );
        await conn.closeWrite();
        return seen + text(await readAll(conn));
      })();
      await recorded;
    },
  });
  await using fx = await proxyFixture({ webPort: origin.port });
  const response = await ask(
    fx.proxy.port,
    "POST http://web.shop:8080/submit HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" +
      "GET http://other.shop/second HTTP/1.1\r\n\r\n",
  );
  assert.equal(statusOf(response), 200, response);
  assert.equal(
    await recorded,
    "POST /submit HTTP/1.1\r\nHost: web.shop:8080\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
  );
});

Deno.test("ProxyServer forwards a POST body with Content-Length", async () => {
  const response = await askWebShop(
    "POST http://web.shop:8080/submit HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
  );
  assert.equal(statusOf(response), 200, response);
  assert.deepEqual(bodyOf(response).body, "hello");
  assert.equal(bodyOf(response).host, "web.shop:8080");
});

Deno.test("ProxyServer forwards a chunked POST body", async () => {
  const response = await askWebShop(
    "POST http://web.shop/c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
  );
  assert.equal(statusOf(response), 200, response);
  assert.equal(bodyOf(response).body, "hello world");
});

Deno.test("ProxyServer forwards an absolute-form GET directly for other hosts", async () => {
  await using web = describingServer();
  await using fx = await proxyFixture();
  const response = await ask(
    fx.proxy.port,
    `GET http://127.0.0.1:${web.port}/direct HTTP/1.1\r\n\r\n`,
  );
  assert.equal(statusOf(response), 200, response);
  assert.equal(bodyOf(response).path, "/direct");
});

Deno.test("ProxyServer answers a GET whose host cannot be reached with 502", async () => {
  await using fx = await proxyFixture();
  const response = await ask(fx.proxy.port, "GET http://closed.shop/ HTTP/1.1\r\n\r\n");
  assert.equal(statusOf(response), 502, response);
});

Deno.test("ProxyServer answers a request head over 16 KiB with 431", async () => {
  await using fx = await proxyFixture();
  const head = `GET http://web.shop/ HTTP/1.1\r\nX-Big: ${"a".repeat(16 * 1024)}\r\n\r\n`;
  const response = await ask(fx.proxy.port, head);
  assert.equal(statusOf(response), 431, response);
  await until(() => fx.proxy.activeConnections === 0, "the connection is closed");
});

Deno.test("ProxyServer answers malformed and unsupported requests itself", async () => {
  await using fx = await proxyFixture();
  const cases: [string, number][] = [
    ["GET / HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["GET https://web.shop/ HTTP/1.1\r\n\r\n", 501],
    ["GET http://web.shop/ HTTP/3\r\n\r\n", 505],
    [
      "POST http://web.shop/ HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
      400,
    ],
  ];
  for (const [request, status] of cases) {
    assert.equal(statusOf(await ask(fx.proxy.port, request)), status, request);
  }
});

Deno.test("ProxyServer closes an HTTP client that never finishes its head", async () => {
  await using fx = await proxyFixture({ handshakeTimeoutMs: 10_000 });
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: fx.proxy.port });
  await writeAll(conn, bytes("GET http://web.shop/ HTTP/1.1\r\nX-Slow: "));
  await until(() => fx.proxy.activeConnections === 1 && fx.clock.pending === 1, "served");
  fx.clock.advance(10_000);
  await until(() => fx.proxy.activeConnections === 0, "the connection is dropped");
  assert.equal((await readToEnd(conn)).length, 0);
});
