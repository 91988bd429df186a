import assert from "node:assert/strict";
import { MemoryLogger } from "../../tunnel/log.ts";
import { closeQuietly } from "../../tunnel/relay.ts";
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
