import assert from "node:assert/strict";
import { ManagerClient } from "../../cli/daemon/manager_client.ts";
import { FakeClock } from "../../tunnel/clock.ts";
import { dialTcp } from "../../tunnel/dial.ts";
import { LevelSwitch, MemoryLogger } from "../../tunnel/log.ts";
import {
  agentCodec,
  daemonCodec,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  ResetCode,
  Role,
  TpxError,
  Transport,
} from "../../tunnel/protocol/mod.ts";
import { Session } from "../../tunnel/session.ts";
import { TrafficAgent } from "../traffic_agent/agent.ts";
import type { LookupAnswer } from "./lookup.ts";
import { ManagerServer, type ManagerServerOptions } from "./server.ts";
import type { WorkloadRef } from "./state/mod.ts";

function startManager(options: Partial<ManagerServerOptions> = {}) {
  const logger = new MemoryLogger();
  const manager = ManagerServer.start({
    hostname: "127.0.0.1",
    daemonPort: 0,
    agentPort: 0,
    apiPort: 0,
    logger,
    levels: new LevelSwitch("debug"),
    ...options,
  });
  return { manager, logger };
}

function freeTcpPort(): number {
  using probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return probe.addr.port;
}

function daemonFor(manager: ManagerServer, user = "ana"): ManagerClient & AsyncDisposable {
  const client = new ManagerClient({
    connect: () => dialTcp("127.0.0.1", manager.ports.daemon),
    user,
    host: "laptop",
    namespaces: ["shop"],
    logger: new MemoryLogger(),
  });
  return Object.assign(client, { [Symbol.asyncDispose]: () => client.close() });
}

Deno.test("the manager answers a daemon's lookup with its resolver's answer", async () => {
  const answer: LookupAnswer = {
    canonical: "web.shop.svc.cluster.local",
    kind: "service",
    addresses: ["10.96.0.10"],
    ports: [{ name: "http", port: 80, protocol: "TCP" }],
    ttl: 30,
  };
  const asked: string[] = [];
  const { manager } = startManager({
    lookup: (name) => {
      asked.push(name);
      return Promise.resolve(answer);
    },
  });
  await using _ = manager;
  await using daemon = daemonFor(manager);
  await daemon.start();
  const result = await daemon.lookup("web.shop.svc.cluster.local");
  assert.deepEqual(asked, ["web.shop.svc.cluster.local"]);
  assert.deepEqual({ ...result, type: undefined, id: undefined }, {
    ...answer,
    type: undefined,
    id: undefined,
  });
});

Deno.test("the manager dials a daemon's stream inside the cluster and counts it", async () => {
  const { manager } = startManager();
  await using _ = manager;
  using echo = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    const conn = await echo.accept();
    const buffer = new Uint8Array(1024);
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      await conn.write(buffer.subarray(0, n));
    }
    await conn.closeWrite();
    conn.close();
  })();
  await using daemon = daemonFor(manager);
  await daemon.start();
  const stream = await daemon.session!.open({
    transport: Transport.Tcp,
    host: "127.0.0.1",
    port: echo.addr.port,
    tag: "",
  });
  await stream.write(new TextEncoder().encode("hello cluster"));
  await stream.closeWrite();
  const reply = new Uint8Array(64);
  const n = await stream.read(reply);
  assert.equal(new TextDecoder().decode(reply.subarray(0, n ?? 0)), "hello cluster");
  assert.equal(await stream.read(reply), null);
  await serving;
  const metrics = await (await fetch(`http://127.0.0.1:${manager.ports.api}/metrics`)).text();
  assert.match(metrics, /tpx_bytes_total\{direction="in"\} 13/);
});

Deno.test("the manager carries a daemon's UDP datagrams to a cluster address and the replies back", async () => {
  const { manager } = startManager();
  await using _ = manager;
  const echo = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    // Answers each datagram with its length first, so a merged or split one would show.
    for (let i = 0; i < 2; i++) {
      const [data, from] = await echo.receive();
      await echo.send(new Uint8Array([data.length, ...data]), from);
    }
  })();
  await using daemon = daemonFor(manager);
  await daemon.start();
  const stream = await daemon.session!.open({
    transport: Transport.Udp,
    host: "127.0.0.1",
    port: (echo.addr as Deno.NetAddr).port,
    tag: "",
  });
  await stream.writeDatagram(new TextEncoder().encode("query one"));
  await stream.writeDatagram(new TextEncoder().encode("two"));
  const replies = [await stream.readDatagram(), await stream.readDatagram()];
  assert.deepEqual(replies.map((d) => [d![0], new TextDecoder().decode(d!.subarray(1))]), [
    [9, "query one"],
    [3, "two"],
  ]);
  await serving;
  stream.reset(ResetCode.Cancelled, "done");
  echo.close();
});

Deno.test("the manager refuses a daemon that speaks no common protocol, naming both versions", async () => {
  const { manager } = startManager();
  await using _ = manager;
  const conn = await dialTcp("127.0.0.1", manager.ports.daemon);
  const error = await Session.connect(conn, {
    side: "dialer",
    hello: {
      role: Role.Daemon,
      minProtocol: PROTOCOL_VERSION + 1,
      maxProtocol: PROTOCOL_VERSION + 2,
      software: "9.0.0",
    },
    codec: daemonCodec,
    logger: new MemoryLogger(),
  }).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof TpxError, String(error));
  assert.match(error.message, /manager tpx \S+ \(protocol 1\)/);
  assert.match(error.message, /daemon tpx 9\.0\.0/);
  assert.match(error.message, /tpx manager upgrade/);
});

Deno.test("the manager refuses an agent that speaks no common protocol, naming both versions", async () => {
  const { manager, logger } = startManager();
  await using _ = manager;
  const conn = await dialTcp("127.0.0.1", manager.ports.agent);
  const error = await Session.connect(conn, {
    side: "dialer",
    hello: {
      role: Role.Agent,
      minProtocol: PROTOCOL_VERSION + 1,
      maxProtocol: PROTOCOL_VERSION + 2,
      software: "9.0.0",
    },
    codec: agentCodec,
    logger: new MemoryLogger(),
  }).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof TpxError, String(error));
  assert.match(error.message, /manager tpx \S+ \(protocol 1\)/);
  assert.match(error.message, /agent tpx 9\.0\.0/);
  assert.match(error.message, /tpx manager upgrade/);
  assert.deepEqual(manager.state.listing().agents, [], "the refused agent is not registered");
  assert.ok(logger.messages("info").includes("agent handshake failed"));
});

Deno.test("an agent's pod, container, app environment and mounts reach the daemon that intercepts it", async () => {
  const { manager } = startManager();
  await using _ = manager;
  using app = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using agent = TrafficAgent.start({
    managerHost: "127.0.0.1",
    managerPort: manager.ports.agent,
    ports: [{ name: "http", appPort: app.addr.port, agentPort: freeTcpPort(), protocol: "TCP" }],
    namespace: "shop",
    workload: "web",
    workloadKind: "Deployment",
    pod: "web-7",
    podIp: "127.0.0.1",
    container: "server",
    mounts: ["/var/run/secrets/kubernetes.io/serviceaccount", "/etc/web"],
    appEnv: { DATABASE_URL: "postgres://db.shop:5432/web", GREETING: "hi" },
    listenHost: "127.0.0.1",
    appHost: "127.0.0.1",
  }, { logger: new MemoryLogger() });
  await agent.registered();
  await using daemon = daemonFor(manager);
  await daemon.start();
  await daemon.createIntercept(
    { name: "web", namespace: "shop", workload: "web", filters: [] },
    { host: "127.0.0.1", port: 1 },
  );
  const environment = await daemon.environment("web");
  assert.deepEqual(environment.env, {
    DATABASE_URL: "postgres://db.shop:5432/web",
    GREETING: "hi",
  });
  assert.deepEqual(environment.mounts, [
    "/var/run/secrets/kubernetes.io/serviceaccount",
    "/etc/web",
  ]);
  assert.equal(environment.pod, "web-7");
  const [listed] = manager.state.listing().agents;
  assert.equal(listed?.pod, "web-7");
  assert.equal(listed?.container, "server");
});

Deno.test("the agent port refuses a daemon and says which port it wants", async () => {
  const { manager } = startManager();
  await using _ = manager;
  const conn = await dialTcp("127.0.0.1", manager.ports.agent);
  const error = await Session.connect(conn, {
    side: "dialer",
    hello: {
      role: Role.Daemon,
      minProtocol: MIN_PROTOCOL_VERSION,
      maxProtocol: PROTOCOL_VERSION,
      software: "test",
    },
    codec: daemonCodec,
    logger: new MemoryLogger(),
  }).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof TpxError);
  assert.match(error.message, /this port serves agents; daemons use the daemon port/);
});

Deno.test("a vanished daemon's intercepts end with its lease, and the idle agent is reported once", async () => {
  const clock = new FakeClock();
  const idle: WorkloadRef[] = [];
  const { manager } = startManager({
    clock,
    leaseMs: 15_000,
    agentIdleMs: 60_000,
    onAgentIdle: (workload) => idle.push(workload),
  });
  await using _ = manager;
  using app = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const agentPort = (() => {
    using probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    return probe.addr.port;
  })();
  await using agent = TrafficAgent.start({
    managerHost: "127.0.0.1",
    managerPort: manager.ports.agent,
    ports: [{ name: "http", appPort: app.addr.port, agentPort, protocol: "TCP" }],
    namespace: "shop",
    workload: "web",
    workloadKind: "Deployment",
    pod: "web-0",
    podIp: "127.0.0.1",
    container: "web",
    mounts: [],
    appEnv: {},
    listenHost: "127.0.0.1",
    appHost: "127.0.0.1",
  }, { logger: new MemoryLogger() });
  await agent.registered();
  const daemon = daemonFor(manager);
  await daemon.start();
  await daemon.createIntercept(
    { name: "web", namespace: "shop", workload: "web", filters: [] },
    { host: "127.0.0.1", port: 1 },
  );
  assert.equal(manager.state.listing().intercepts.length, 1);
  await daemon.abandon();
  // The tunnel is gone, but the lease holds the intercept until it runs out.
  clock.advance(14_000);
  assert.equal(manager.state.listing().intercepts.length, 1);
  clock.advance(1_000);
  assert.equal(manager.state.listing().intercepts.length, 0);
  clock.advance(59_000);
  assert.deepEqual(idle, []);
  clock.advance(1_000);
  assert.deepEqual(idle, [{ namespace: "shop", workload: "web" }]);
  clock.advance(600_000);
  assert.equal(idle.length, 1);
});

Deno.test("with an injection, a daemon sees its waiting intercept fail with the injection's reason", async () => {
  const asked: string[] = [];
  const { manager } = startManager({
    injection: {
      ensureAgent: (namespace, workload) => {
        asked.push(`${namespace}/${workload}`);
        return Promise.reject(new TpxError("cluster", "web's image cannot be pulled"));
      },
      removeAgent: () => Promise.resolve(),
    },
  });
  await using _ = manager;
  await using daemon = daemonFor(manager);
  await daemon.start();
  const failed = new Promise<string | undefined>((resolve) =>
    daemon.onIntercepts((list) => {
      if (list[0]?.state === "failed") resolve(list[0].detail);
    })
  );
  const created = await daemon.createIntercept(
    { name: "web", namespace: "shop", workload: "web", filters: [] },
    { host: "127.0.0.1", port: 1 },
  );
  assert.equal(created.state, "waiting");
  assert.equal(await failed, "web's image cannot be pulled");
  assert.deepEqual(asked, ["shop/web"]);
});

Deno.test("an intercept outside the manager's namespaces is refused, naming them and how to add it", async () => {
  const { manager } = startManager({
    managedNamespaces: ["shop", "cart"],
    managerNamespace: "tpx",
  });
  await using _ = manager;
  await using daemon = daemonFor(manager);
  await daemon.start();
  const spec = { name: "web", namespace: "billing", workload: "web", filters: [] };
  const error = await daemon.createIntercept(spec, { host: "127.0.0.1", port: 1 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof TpxError);
  assert.equal(error.code, "namespace_not_managed");
  assert.equal(
    error.message,
    'Cannot intercept in namespace "billing": this manager manages only "shop", "cart"',
  );
  assert.equal(error.hint, '"tpx manager upgrade -n tpx --namespaces shop,cart,billing" adds it');
  assert.deepEqual(manager.state.listing().intercepts, []);
});
