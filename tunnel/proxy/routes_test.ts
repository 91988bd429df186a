import assert from "node:assert/strict";
import { readAll, tcpEchoServer, tunnelFixture } from "../_test_tunnel.ts";
import { FakeClock } from "../clock.ts";
import { silentLogger } from "../log.ts";
import { DialTimeoutError } from "../net_errors.ts";
import { Transport } from "../protocol/mod.ts";
import type { Stream } from "../stream.ts";
import { StreamResetError } from "../stream_errors.ts";
import { bytes } from "./_test_conns.ts";
import { carry, dial, directRoute, type ProxyRoutes, tunnelRoute } from "./routes.ts";

/** Lets pending promise reactions run, a bounded number of times, until `condition` holds. */
async function settle(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !condition(); i++) await Promise.resolve();
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

Deno.test("dial() opens a tunnel route and carry() relays through it", async () => {
  await using tunnel = await tunnelFixture();
  await using echo = tcpEchoServer();
  const routes: ProxyRoutes = {
    route: () => Promise.resolve(tunnelRoute(tunnel.near, { host: "127.0.0.1", port: echo.port })),
  };
  const upstream = await dial("echo.shop", 7, {
    routes,
    timeoutMs: 1000,
    clock: new FakeClock(),
    signal: new AbortController().signal,
  });
  assert.equal(upstream.via, "tunnel");
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const [client, accepted] = await Promise.all([
    Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    listener.accept(),
  ]);
  using _ = client;
  const carried = carry(accepted, upstream, silentLogger);
  await client.write(bytes("through"));
  await client.closeWrite();
  assert.equal(new TextDecoder().decode(await readAll(client)), "through");
  assert.deepEqual(await carried, { sent: 7, received: 7 });
});

Deno.test("dial() rejects at the deadline and resets a stream that opens late", async () => {
  await using tunnel = await tunnelFixture();
  await using echo = tcpEchoServer();
  const clock = new FakeClock();
  const late = deferred<Stream>();
  let routeSignal: AbortSignal | undefined;
  let opening = false;
  const routes: ProxyRoutes = {
    route: (_host, _port, signal) => {
      routeSignal = signal;
      return Promise.resolve({
        via: "tunnel",
        open: () => {
          opening = true;
          return late.promise;
        },
      });
    },
  };
  const dialing = dial("echo.shop", 7, {
    routes,
    timeoutMs: 2000,
    clock,
    signal: new AbortController().signal,
  });
  await settle(() => opening);
  assert.ok(opening, "the tunnel is being opened");
  clock.advance(2000);
  await assert.rejects(dialing, DialTimeoutError);
  assert.ok(routeSignal?.aborted, "the route is told nobody waits");
  const stream = await tunnel.near.open({
    transport: Transport.Tcp,
    host: "127.0.0.1",
    port: echo.port,
    tag: "",
  });
  late.resolve(stream);
  await settle(() => stream.done);
  assert.ok(stream.done, "the late stream is reset");
  await assert.rejects(() => stream.read(new Uint8Array(8)), StreamResetError);
});

Deno.test("dial() closes a direct connection that arrives after the deadline", async () => {
  await using echo = tcpEchoServer();
  const clock = new FakeClock();
  const late = deferred<Deno.TcpConn>();
  let connecting = false;
  const dialing = dial("127.0.0.1", echo.port, {
    routes: { route: (host, port) => Promise.resolve(directRoute(host, port)) },
    timeoutMs: 500,
    clock,
    signal: new AbortController().signal,
    connect: () => {
      connecting = true;
      return late.promise;
    },
  });
  await settle(() => connecting);
  assert.ok(connecting, "the connection is being made");
  clock.advance(500);
  await assert.rejects(dialing, DialTimeoutError);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: echo.port });
  let closed = false;
  const close = conn.close.bind(conn);
  conn.close = () => {
    closed = true;
    close();
  };
  late.resolve(conn);
  await settle(() => closed);
  if (!closed) close();
  assert.ok(closed, "the late connection is closed");
});

Deno.test("dial() gives up at once when the proxy closes", async () => {
  const closing = new AbortController();
  let routeSignal: AbortSignal | undefined;
  const dialing = dial("web.shop", 80, {
    routes: {
      route: (_host, _port, signal) => {
        routeSignal = signal;
        return new Promise(() => {});
      },
    },
    timeoutMs: 60_000,
    clock: new FakeClock(),
    signal: closing.signal,
  });
  closing.abort(new Error("closing"));
  await assert.rejects(dialing, /closing/);
  assert.ok(routeSignal?.aborted);
});
