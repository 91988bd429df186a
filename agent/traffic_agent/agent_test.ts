import assert from "node:assert/strict";
import { FakeClock } from "../../tunnel/clock.ts";
import { MemoryLogger } from "../../tunnel/log.ts";
import { closeQuietly } from "../../tunnel/relay.ts";
import { resetTcp } from "../../tunnel/tcp_reset.ts";
import { TrafficAgent } from "./agent.ts";
import type { AgentConfig } from "./config.ts";

function freePort(transport: "tcp" | "udp"): number {
  const socket = transport === "tcp"
    ? Deno.listen({ hostname: "127.0.0.1", port: 0 })
    : Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const port = (socket.addr as Deno.NetAddr).port;
  socket.close();
  return port;
}

function config(ports: AgentConfig["ports"]): AgentConfig {
  return {
    // Nothing listens there: the agent keeps retrying, and serves the app meanwhile.
    managerHost: "127.0.0.1",
    managerPort: freePort("tcp"),
    ports,
    namespace: "shop",
    workload: "dns",
    workloadKind: "Deployment",
    pod: "dns-0",
    podIp: "127.0.0.1",
    container: "dns",
    mounts: [],
    appEnv: {},
    listenHost: "127.0.0.1",
    appHost: "127.0.0.1",
  };
}

Deno.test("the agent passes a UDP port's datagrams to the app and the replies back", async () => {
  const app = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    try {
      for (;;) {
        const [data, from] = await app.receive();
        await app.send(new Uint8Array([...new TextEncoder().encode("app:"), ...data]), from);
      }
    } catch {
      // Closed at the end of the test.
    }
  })();
  const agentPort = freePort("udp");
  const agent = TrafficAgent.start(
    config([{ name: "dns", appPort: (app.addr as Deno.NetAddr).port, agentPort, protocol: "UDP" }]),
    { logger: new MemoryLogger() },
  );
  const client = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  try {
    const to: Deno.NetAddr = { transport: "udp", hostname: "127.0.0.1", port: agentPort };
    await client.send(new TextEncoder().encode("query"), to);
    assert.equal(new TextDecoder().decode((await client.receive())[0]), "app:query");
  } finally {
    closeQuietly(client);
    await agent.close();
    closeQuietly(app);
    await serving;
  }
});

Deno.test("while the manager cannot be reached the agent serves TCP from the app", async () => {
  const app = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await app.accept();
    await conn.write(new TextEncoder().encode("from the app"));
    conn.close();
  })();
  const agentPort = freePort("tcp");
  const agent = TrafficAgent.start(
    config([{ name: "http", appPort: app.addr.port, agentPort, protocol: "TCP" }]),
    { logger: new MemoryLogger() },
  );
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: agentPort });
    const buffer = new Uint8Array(64);
    const n = await conn.read(buffer);
    conn.close();
    assert.equal(new TextDecoder().decode(buffer.subarray(0, n ?? 0)), "from the app");
  } finally {
    await serving;
    await agent.close();
    closeQuietly(app);
  }
});

async function readAll(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(1024);
  let text = "";
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return text;
}

Deno.test("with no intercept the agent passes each side's half-close on, as if the client reached the app", async () => {
  const app = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    // The first client half-closes, then reads the answer; the second one is sent a banner
    // and the app's half-close, and is still heard afterwards.
    const first = await app.accept();
    const asked = await readAll(first);
    await first.write(new TextEncoder().encode(`got "${asked}"`));
    first.close();
    const second = await app.accept();
    await second.write(new TextEncoder().encode("banner"));
    await second.closeWrite();
    const heard = await readAll(second);
    second.close();
    return heard;
  })();
  const agentPort = freePort("tcp");
  const agent = TrafficAgent.start(
    config([{ name: "tcp", appPort: app.addr.port, agentPort, protocol: "TCP" }]),
    { logger: new MemoryLogger() },
  );
  try {
    const first = await Deno.connect({ hostname: "127.0.0.1", port: agentPort });
    await first.write(new TextEncoder().encode("question"));
    await first.closeWrite();
    assert.equal(await readAll(first), 'got "question"');
    first.close();
    const second = await Deno.connect({ hostname: "127.0.0.1", port: agentPort });
    assert.equal(await readAll(second), "banner");
    await second.write(new TextEncoder().encode("after the app's end"));
    await second.closeWrite();
    second.close();
    assert.equal(await serving, "after the app's end");
  } finally {
    await agent.close();
    closeQuietly(app);
  }
});

Deno.test("with no intercept the agent passes a reset on each way, as if the client reached the app", async () => {
  const app = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const agentPort = freePort("tcp");
  const agent = TrafficAgent.start(
    config([{ name: "tcp", appPort: app.addr.port, agentPort, protocol: "TCP" }]),
    { logger: new MemoryLogger() },
  );
  // Deno's TcpConn can send a reset only on Linux (tunnel/tcp_reset.ts).
  const expected = Deno.build.os === "linux" ? "ConnectionReset" : "end";
  const sees = (conn: Deno.Conn) =>
    conn.read(new Uint8Array(16)).then((n) => n === null ? "end" : "bytes", (e) => e.name);
  try {
    for (const resetBy of ["app", "client"] as const) {
      using client = await Deno.connect({ hostname: "127.0.0.1", port: agentPort });
      await client.write(new TextEncoder().encode("hello"));
      using accepted = await app.accept();
      assert.equal(await accepted.read(new Uint8Array(16)), 5);
      const [resetting, peer] = resetBy === "app" ? [accepted, client] : [client, accepted];
      const seen = sees(peer);
      resetTcp(resetting);
      assert.equal(await seen, expected, `the ${resetBy}'s reset reaches the other side`);
    }
  } finally {
    await agent.close();
    closeQuietly(app);
  }
});

Deno.test("the agent retries the manager with growing delays, and serves the app meanwhile", async () => {
  const clock = new FakeClock();
  let attempts = 0;
  const app = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const agentPort = freePort("tcp");
  const agent = TrafficAgent.start(
    config([{ name: "http", appPort: app.addr.port, agentPort, protocol: "TCP" }]),
    {
      logger: new MemoryLogger(),
      clock,
      connectManager: () => {
        attempts++;
        return Promise.reject(new Error("connection refused"));
      },
    },
  );
  // A macrotask lets the failed attempt schedule the next one.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  try {
    await settle();
    assert.equal(attempts, 1);
    // 200 ms, 400 ms, 800 ms… each within ±20 % jitter.
    const seen: number[] = [];
    for (const [least, most] of [[160, 240], [320, 480], [640, 960], [1280, 1920]]) {
      clock.advance(least! - 1);
      await settle();
      seen.push(attempts);
      clock.advance(most! - least! + 1);
      await settle();
      seen.push(attempts);
    }
    assert.deepEqual(seen, [1, 2, 2, 3, 3, 4, 4, 5]);
    const serving = (async () => {
      const conn = await app.accept();
      await conn.write(new TextEncoder().encode("from the app"));
      conn.close();
    })();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: agentPort });
    assert.equal(await readAll(conn), "from the app");
    conn.close();
    await serving;
  } finally {
    await agent.close();
    closeQuietly(app);
  }
});
