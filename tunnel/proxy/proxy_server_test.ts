import assert from "node:assert/strict";
import { readAll, tcpEchoServer } from "../_test_tunnel.ts";
import { silentLogger } from "../log.ts";
import { TpxError } from "../protocol/mod.ts";
import { bytes, concat } from "./_test_conns.ts";
import { SocksReply } from "./failures.ts";
import { freePort, proxyFixture, readN, readToEnd, until, writeAll } from "./_test_proxy.ts";
import { ProxyServer } from "./proxy_server.ts";

const GREETING = Uint8Array.of(5, 1, 0);

function connectRequest(host: string, port: number): Uint8Array {
  const portBytes = Uint8Array.of(port >> 8, port & 0xff);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) {
    return concat(
      Uint8Array.of(5, 1, 0, 1),
      Uint8Array.from(host.split(".").map(Number)),
      portBytes,
    );
  }
  if (host === "::1") {
    const address = new Uint8Array(16);
    address[15] = 1;
    return concat(Uint8Array.of(5, 1, 0, 4), address, portBytes);
  }
  return concat(Uint8Array.of(5, 1, 0, 3, host.length), bytes(host), portBytes);
}

/** Sends a greeting and a CONNECT (plus `payload`) in one write; returns the reply code. */
async function socksConnect(
  proxyPort: number,
  host: string,
  port: number,
  payload: Uint8Array = new Uint8Array(),
): Promise<{ conn: Deno.TcpConn; reply: number }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxyPort });
  await writeAll(conn, concat(GREETING, connectRequest(host, port), payload));
  assert.deepEqual(await readN(conn, 2), Uint8Array.of(5, 0), "method selection");
  const reply = await readN(conn, 10);
  assert.equal(reply.length, 10, "a complete reply");
  return { conn, reply: reply[1]! };
}

async function echoThrough(conn: Deno.TcpConn, text: string): Promise<string> {
  await writeAll(conn, bytes(text));
  await conn.closeWrite();
  return new TextDecoder().decode(await readAll(conn));
}

Deno.test("ProxyServer carries SOCKS5 to a cluster name through the tunnel", async () => {
  await using fx = await proxyFixture();
  const { conn, reply } = await socksConnect(fx.proxy.port, "echo.shop", 7);
  using _ = conn;
  assert.equal(reply, SocksReply.Succeeded);
  assert.equal(await echoThrough(conn, "hello cluster"), "hello cluster");
});

Deno.test("ProxyServer forwards bytes a SOCKS5 client sends before the reply", async () => {
  await using fx = await proxyFixture();
  const { conn, reply } = await socksConnect(fx.proxy.port, "echo.shop", 7, bytes("early "));
  using _ = conn;
  assert.equal(reply, SocksReply.Succeeded);
  assert.equal(await echoThrough(conn, "and late"), "early and late");
});

const families = [["IPv4", "127.0.0.1", "v4"], ["IPv6", "::1", "v6"]] as const;
for (const [family, hostname, data] of families) {
  Deno.test(`ProxyServer connects SOCKS5 ${family} addresses directly`, async () => {
    await using fx = await proxyFixture();
    await using echo = tcpEchoServer(hostname);
    const { conn, reply } = await socksConnect(fx.proxy.port, hostname, echo.port);
    using _ = conn;
    assert.equal(reply, SocksReply.Succeeded);
    assert.equal(await echoThrough(conn, data), data);
  });
}

Deno.test("ProxyServer maps each SOCKS5 failure to its reply code", async () => {
  await using fx = await proxyFixture();
  const cases: [string, number, number][] = [
    ["missing.shop", 80, SocksReply.HostUnreachable],
    ["closed.shop", 80, SocksReply.ConnectionRefused],
    ["forbidden.shop", 80, SocksReply.NotAllowed],
    ["slow.shop", 80, SocksReply.TtlExpired],
    ["void.shop", 80, SocksReply.HostUnreachable],
    ["down.shop", 80, SocksReply.NetworkUnreachable],
    ["127.0.0.1", freePort(), SocksReply.ConnectionRefused],
  ];
  for (const [host, port, expected] of cases) {
    const { conn, reply } = await socksConnect(fx.proxy.port, host, port);
    using _ = conn;
    assert.equal(reply, expected, host);
    assert.equal((await readToEnd(conn)).length, 0, `${host}: closed after the reply`);
  }
  await until(() => fx.proxy.activeConnections === 0, "every connection ended");
});

Deno.test("ProxyServer answers 'TTL expired' when routing passes the dial deadline", async () => {
  await using fx = await proxyFixture({ dialTimeoutMs: 5000 });
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: fx.proxy.port });
  await writeAll(conn, concat(GREETING, connectRequest("hang.shop", 80)));
  assert.deepEqual(await readN(conn, 2), Uint8Array.of(5, 0));
  await until(() => fx.hanging.length === 1, "the route is asked");
  fx.clock.advance(4999);
  fx.clock.advance(1);
  assert.equal((await readN(conn, 10))[1], SocksReply.TtlExpired);
});

Deno.test("ProxyServer refuses SOCKS5 commands other than CONNECT and unknown address types", async () => {
  await using fx = await proxyFixture();
  const requests: [Uint8Array, number][] = [
    [Uint8Array.of(5, 3, 0, 1, 0, 0, 0, 0, 0, 0), SocksReply.CommandNotSupported],
    [Uint8Array.of(5, 2, 0, 1, 127, 0, 0, 1, 0, 80), SocksReply.CommandNotSupported],
    [Uint8Array.of(5, 1, 0, 7, 1, 2, 3, 4), SocksReply.AddressTypeNotSupported],
  ];
  for (const [request, expected] of requests) {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: fx.proxy.port });
    await writeAll(conn, concat(GREETING, request));
    assert.deepEqual(await readN(conn, 2), Uint8Array.of(5, 0));
    assert.equal((await readN(conn, 10))[1], expected);
    assert.equal((await readToEnd(conn)).length, 0);
  }
});

Deno.test("ProxyServer refuses a SOCKS5 client that offers only authentication", async () => {
  await using fx = await proxyFixture();
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: fx.proxy.port });
  await writeAll(conn, Uint8Array.of(5, 1, 2));
  assert.deepEqual(await readToEnd(conn), Uint8Array.of(5, 0xff));
});

Deno.test("ProxyServer completes a SOCKS5 handshake that arrives cut at any byte", async () => {
  await using fx = await proxyFixture();
  const handshake = concat(GREETING, connectRequest("echo.shop", 7));
  for (let at = 1; at < handshake.length; at++) {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: fx.proxy.port });
    await writeAll(conn, handshake.subarray(0, at));
    // Let the proxy read the first part on its own before the rest arrives.
    await new Promise((resolve) => setTimeout(resolve, 1));
    await writeAll(conn, handshake.subarray(at));
    assert.deepEqual(await readN(conn, 2), Uint8Array.of(5, 0), `split at ${at}`);
    assert.equal((await readN(conn, 10))[1], SocksReply.Succeeded, `split at ${at}`);
    assert.equal(await echoThrough(conn, `${at}`), `${at}`);
  }
});

Deno.test("ProxyServer answers a SOCKS4 client with 'request rejected'", async () => {
  await using fx = await proxyFixture();
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: fx.proxy.port });
  await writeAll(conn, concat(Uint8Array.of(4, 1, 0, 80, 127, 0, 0, 1), bytes("user\0")));
  assert.deepEqual(await readToEnd(conn), Uint8Array.of(0, 91, 0, 0, 0, 0, 0, 0));
});

Deno.test("ProxyServer closes a connection whose first byte is neither SOCKS5 nor HTTP", async () => {
  await using fx = await proxyFixture();
  for (const first of [0x00, 0x16, 0x7f, 0x61]) {
    using conn = await Deno.connect({ hostname: "127.0.0.1", port: fx.proxy.port });
    await writeAll(conn, Uint8Array.of(first, 1, 2, 3));
    assert.equal((await readToEnd(conn)).length, 0, `first byte ${first}`);
  }
});

Deno.test("ProxyServer closes a SOCKS5 client that never finishes its greeting", async () => {
  await using fx = await proxyFixture({ handshakeTimeoutMs: 10_000 });
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: fx.proxy.port });
  await writeAll(conn, Uint8Array.of(5, 2, 0));
  await until(() => fx.proxy.activeConnections === 1 && fx.clock.pending === 1, "served");
  fx.clock.advance(9_999);
  assert.equal(fx.proxy.activeConnections, 1, "still waiting before the deadline");
  fx.clock.advance(1);
  await until(() => fx.proxy.activeConnections === 0, "the connection is dropped");
  assert.equal((await readToEnd(conn)).length, 0);
});

Deno.test("ProxyServer closes a SOCKS5 client that stalls between greeting and request", async () => {
  await using fx = await proxyFixture({ handshakeTimeoutMs: 10_000 });
  using conn = await Deno.connect({ hostname: "127.0.0.1", port: fx.proxy.port });
  await writeAll(conn, concat(GREETING, Uint8Array.of(5, 1)));
  assert.deepEqual(await readN(conn, 2), Uint8Array.of(5, 0));
  fx.clock.advance(10_000);
  await until(() => fx.proxy.activeConnections === 0, "the connection is dropped");
  assert.equal((await readToEnd(conn)).length, 0);
});

Deno.test("ProxyServer closes connections beyond its limit at once", async () => {
  await using fx = await proxyFixture({ maxConnections: 1 });
  using first = await Deno.connect({ hostname: "127.0.0.1", port: fx.proxy.port });
  await writeAll(first, Uint8Array.of(5));
  await until(() => fx.proxy.activeConnections === 1, "the first is served");
  using second = await Deno.connect({ hostname: "127.0.0.1", port: fx.proxy.port });
  await writeAll(second, GREETING);
  assert.equal((await readToEnd(second)).length, 0);
  // The first still works.
  await writeAll(first, concat(Uint8Array.of(1, 0), connectRequest("echo.shop", 7)));
  assert.deepEqual(await readN(first, 2), Uint8Array.of(5, 0));
  assert.equal((await readN(first, 10))[1], SocksReply.Succeeded);
});

Deno.test("ProxyServer.close() ends live, handshaking and dialing connections", async () => {
  const fx = await proxyFixture();
  const { conn: live, reply } = await socksConnect(fx.proxy.port, "echo.shop", 7);
  assert.equal(reply, SocksReply.Succeeded);
  using idle = await Deno.connect({ hostname: "127.0.0.1", port: fx.proxy.port });
  await writeAll(idle, Uint8Array.of(5));
  using dialing = await Deno.connect({ hostname: "127.0.0.1", port: fx.proxy.port });
  await writeAll(dialing, concat(GREETING, connectRequest("hang.shop", 80)));
  await until(() => fx.hanging.length === 1, "the route is asked");
  await fx[Symbol.asyncDispose]();
  assert.equal(fx.proxy.activeConnections, 0);
  assert.equal((await readToEnd(live)).length, 0);
  assert.equal((await readToEnd(idle)).length, 0);
  const dialed = await readToEnd(dialing);
  assert.ok(dialed.length <= 2, "no success reply");
  live.close();
  await assert.rejects(() => Deno.connect({ hostname: "127.0.0.1", port: fx.proxy.port }));
});

Deno.test("ProxyServer.listen() refuses an address other than loopback", () => {
  for (const hostname of ["0.0.0.0", "::", "192.168.1.2"]) {
    assert.throws(
      () =>
        ProxyServer.listen({
          hostname,
          port: 0,
          routes: { route: () => Promise.reject() },
          logger: silentLogger,
        }),
      (error: unknown) => error instanceof TpxError && error.code === "proxy_not_loopback",
    );
  }
});

Deno.test("ProxyServer listens on IPv6 loopback when asked", async () => {
  await using fx = await proxyFixture({ hostname: "::1" });
  using conn = await Deno.connect({ hostname: "::1", port: fx.proxy.port });
  await writeAll(conn, concat(GREETING, connectRequest("echo.shop", 7)));
  assert.deepEqual(await readN(conn, 2), Uint8Array.of(5, 0));
  assert.equal((await readN(conn, 10))[1], SocksReply.Succeeded);
  assert.equal(await echoThrough(conn, "over ::1"), "over ::1");
});
