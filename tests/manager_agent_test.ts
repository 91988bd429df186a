/**
 * The in-cluster side as real processes on loopback: a traffic-manager, a traffic-agent in
 * front of an app, and daemons speaking the protocol as the workstation's daemon does.
 */
import assert from "node:assert/strict";
import { ManagerClient } from "../cli/daemon/manager_client.ts";
import { dialTcp } from "../tunnel/dial.ts";
import { MemoryLogger } from "../tunnel/log.ts";
import { type InterceptSpec, TpxError } from "../tunnel/protocol/mod.ts";
import { freePort, startAgent, startManager, type TpxProcess } from "./support/processes.ts";
import { whoAnswers, whoServer } from "./support/http_servers.ts";

const workload = { namespace: "shop", workload: "web", pod: "web-0" };

function spec(name: string, filters: InterceptSpec["filters"] = []): InterceptSpec {
  return { name, namespace: "shop", workload: "web", servicePort: "http", filters };
}

const header = (value: string): InterceptSpec["filters"][number] => ({
  on: "header",
  name: "x-dev",
  match: "exact",
  value,
});

function daemon(port: number, user: string): ManagerClient & AsyncDisposable {
  const client = new ManagerClient({
    connect: () => dialTcp("127.0.0.1", port),
    user,
    host: "laptop",
    namespaces: ["shop"],
    logger: new MemoryLogger(),
  });
  return Object.assign(client, { [Symbol.asyncDispose]: () => client.close() });
}

/** Polls `check` until it returns true; fails after `ms`. */
async function eventually(what: string, check: () => Promise<boolean> | boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!await check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function fixture(env: Record<string, string> = {}) {
  const app = whoServer("app");
  const manager = await startManager(undefined, env);
  const agentPort = freePort();
  const agent = await startAgent(manager.ports.agent, { appPort: app.port, agentPort }, workload);
  return {
    app,
    manager,
    agent,
    agentPort,
    async [Symbol.asyncDispose]() {
      await agent.kill();
      await manager.kill();
      await app[Symbol.asyncDispose]();
    },
  };
}

Deno.test("with no intercept the agent passes requests through to the app", async () => {
  await using f = await fixture();
  assert.equal(await whoAnswers(f.agentPort), "app");
  const metrics = await (await fetch(`http://127.0.0.1:${f.manager.ports.api}/metrics`)).text();
  assert.match(metrics, /^tpx_agents 1$/m);
});

Deno.test("a global intercept sends every request to the developer", async () => {
  await using f = await fixture();
  await using dev = whoServer("ana");
  await using ana = daemon(f.manager.ports.daemon, "ana");
  await ana.start();
  const intercept = await ana.createIntercept(spec("web"), { host: "127.0.0.1", port: dev.port });
  await eventually("the agent routes to ana", async () => await whoAnswers(f.agentPort) === "ana");
  assert.equal(intercept.owner.user, "ana");
  await ana.removeIntercept("web");
  await eventually("the app serves again", async () => await whoAnswers(f.agentPort) === "app");
});

/** The value of one series in the manager's `/metrics` text. */
async function metric(apiPort: number, series: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${apiPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  assert.ok(line, `no series ${series} in:\n${text}`);
  return Number(line.slice(series.length + 1));
}

Deno.test("/metrics counts the session, the intercept, its open stream and its bytes each way", async () => {
  await using f = await fixture();
  await using dev = whoServer("ana");
  await using ana = daemon(f.manager.ports.daemon, "ana");
  const api = f.manager.ports.api;
  assert.equal(await metric(api, "tpx_sessions"), 0);
  await ana.start();
  await ana.createIntercept(spec("web"), { host: "127.0.0.1", port: dev.port });
  assert.equal(await metric(api, "tpx_sessions"), 1);
  assert.equal(await metric(api, 'tpx_intercepts{state="active"}'), 1);
  // A connection held open shows as an open stream until it ends.
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: f.agentPort });
  const request = "GET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n";
  await eventually("the stream is open", async () => await metric(api, "tpx_open_streams") === 1);
  await conn.write(new TextEncoder().encode(request));
  const answer = new Response(conn.readable);
  assert.match(await answer.text(), /"who":"ana"/);
  await eventually("the stream is closed", async () => await metric(api, "tpx_open_streams") === 0);
  // In: from the agent towards the daemon (the request); out: the answer back.
  assert.equal(await metric(api, 'tpx_bytes_total{direction="in"}'), request.length);
  assert.ok(await metric(api, 'tpx_bytes_total{direction="out"}') > 100);
});

Deno.test("a daemon whose tunnel drops reconnects within the lease and keeps its session and intercept", async () => {
  await using f = await fixture();
  await using dev = whoServer("ana");
  const tunnels: Deno.TcpConn[] = [];
  const client = new ManagerClient({
    connect: async () => {
      const conn = await dialTcp("127.0.0.1", f.manager.ports.daemon);
      tunnels.push(conn);
      return conn;
    },
    user: "ana",
    host: "laptop",
    namespaces: ["shop"],
    logger: new MemoryLogger(),
  });
  await using _ = { [Symbol.asyncDispose]: () => client.close() };
  await client.start();
  const created = await client.createIntercept(spec("web"), { host: "127.0.0.1", port: dev.port });
  await eventually("routed to ana", async () => await whoAnswers(f.agentPort) === "ana");
  const session = client.sessionId;
  tunnels[0]!.close();
  await eventually("the daemon reconnected", () => tunnels.length === 2 && !!client.session);
  assert.equal(client.sessionId, session, "the manager resumed the session");
  await eventually("routed to ana again", async () => await whoAnswers(f.agentPort) === "ana");
  const url = `http://127.0.0.1:${f.manager.ports.api}/admin`;
  const listing = await (await fetch(url)).json() as {
    sessions: { id: string }[];
    intercepts: { id: string }[];
  };
  assert.deepEqual(listing.sessions.map((s) => s.id), [session]);
  assert.deepEqual(listing.intercepts.map((i) => i.id), [created.id]);
});

Deno.test("an agent whose last intercept ended is dormant in the listing, then its removal is requested", async () => {
  // Long enough that the dormancy from the agent's arrival is cut short by the intercept.
  await using f = await fixture({ TPX_AGENT_IDLE_MS: "3000" });
  await using ana = daemon(f.manager.ports.daemon, "ana");
  await ana.start();
  await ana.createIntercept(spec("web"), { host: "127.0.0.1", port: freePort() });
  const agents = async () => {
    const url = `http://127.0.0.1:${f.manager.ports.api}/admin/agents`;
    return (await (await fetch(url)).json() as { agents: { dormantUntil?: string }[] }).agents;
  };
  assert.equal((await agents())[0]?.dormantUntil, undefined);
  await ana.removeIntercept("web");
  const until = (await agents())[0]?.dormantUntil;
  assert.ok(until, "the listing says until when the agent is dormant");
  assert.equal(
    f.manager.logs.filter((l) => l.msg === "agent idle; requesting its removal").length,
    0,
  );
  const idle = await f.manager.waitForLog("agent idle; requesting its removal");
  assert.deepEqual([idle.namespace, idle.workload], ["shop", "web"]);
});

Deno.test("two personal intercepts on one port each get only their own requests", async () => {
  await using f = await fixture();
  await using anaLocal = whoServer("ana");
  await using bobLocal = whoServer("bob");
  await using ana = daemon(f.manager.ports.daemon, "ana");
  await using bob = daemon(f.manager.ports.daemon, "bob");
  await ana.start();
  await bob.start();
  await ana.createIntercept(spec("web-ana", [header("ana")]), {
    host: "127.0.0.1",
    port: anaLocal.port,
  });
  await bob.createIntercept(spec("web-bob", [header("bob")]), {
    host: "127.0.0.1",
    port: bobLocal.port,
  });
  await eventually(
    "both intercepts are routed",
    async () =>
      await whoAnswers(f.agentPort, "/", { "x-dev": "ana" }) === "ana" &&
      await whoAnswers(f.agentPort, "/", { "x-dev": "bob" }) === "bob",
  );
  assert.equal(await whoAnswers(f.agentPort, "/", { "x-dev": "carol" }), "app");
  assert.equal(await whoAnswers(f.agentPort), "app");
});

Deno.test("a personal intercept with path and header-regex filters takes only requests matching all", async () => {
  await using f = await fixture();
  await using anaLocal = whoServer("ana");
  await using ana = daemon(f.manager.ports.daemon, "ana");
  await ana.start();
  await ana.createIntercept(
    spec("web-api", [
      { on: "path", match: "prefix", value: "/api/" },
      { on: "header", name: "X-Dev", match: "regex", value: "^ana(-[0-9]+)?$" },
    ]),
    { host: "127.0.0.1", port: anaLocal.port },
  );
  const dev = { "x-dev": "ana-2" };
  await eventually("routed", async () => await whoAnswers(f.agentPort, "/api/cart", dev) === "ana");
  assert.equal(await whoAnswers(f.agentPort, "/api", dev), "app", "the prefix is /api/");
  assert.equal(await whoAnswers(f.agentPort, "/api/cart", { "x-dev": "banana" }), "app");
  assert.equal(await whoAnswers(f.agentPort, "/api/cart"), "app", "no header, no match");
  assert.equal(await whoAnswers(f.agentPort, "/web/cart", dev), "app");
});

Deno.test("each conflict is refused with the holder, since when, and what to do", async () => {
  await using f = await fixture();
  await using ana = daemon(f.manager.ports.daemon, "ana");
  await using bob = daemon(f.manager.ports.daemon, "bob");
  await ana.start();
  await bob.start();
  const local = { host: "127.0.0.1", port: freePort() };
  const refused = async (make: () => Promise<unknown>) => {
    const error = await make().then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof TpxError, `expected a conflict, got ${error}`);
    assert.equal(error.code, "intercept_conflict");
    assert.match(error.message, /ana@laptop/);
    assert.match(error.message, /ago/);
    assert.match(error.hint ?? "", /tpx leave/);
  };
  // Two globals on one port.
  await ana.createIntercept(spec("ana-global"), local);
  await refused(() => bob.createIntercept(spec("bob-global"), local));
  // A personal against a global.
  await refused(() => bob.createIntercept(spec("bob-personal", [header("bob")]), local));
  await ana.removeIntercept("ana-global");
  // A global against a personal, and two personals with identical filters.
  await ana.createIntercept(spec("ana-personal", [header("same")]), local);
  await refused(() => bob.createIntercept(spec("bob-global"), local));
  await refused(() => bob.createIntercept(spec("bob-same", [header("same")]), local));
  // Different filters coexist.
  await bob.createIntercept(spec("bob-other", [header("other")]), local);
});

/** A daemon in a process of its own, holding a global intercept to `devPort`, to crash. */
async function daemonProcess(managerDaemonPort: number, devPort: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--quiet",
      new URL("./support/daemon_process.ts", import.meta.url).pathname,
      String(managerDaemonPort),
      String(devPort),
      JSON.stringify(spec("web")),
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  assert.match((await reader.read()).value ?? "", /"ready":true/);
  return {
    signal: (signal: Deno.Signal) => child.kill(signal),
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch {
        // It is dead already.
      }
      await child.status;
      await reader.cancel();
    },
  };
}

async function interceptCount(apiPort: number): Promise<number> {
  const url = `http://127.0.0.1:${apiPort}/admin/intercepts`;
  return ((await (await fetch(url)).json()) as { intercepts: unknown[] }).intercepts.length;
}

Deno.test("a killed daemon's traffic goes back to the app, and its intercept ends with the lease", async () => {
  await using f = await fixture({ TPX_LEASE_MS: "1500" });
  await using dev = whoServer("crash");
  const crash = await daemonProcess(f.manager.ports.daemon, dev.port);
  await eventually(
    "the crash daemon gets requests",
    async () => await whoAnswers(f.agentPort) === "crash",
  );
  await crash[Symbol.asyncDispose]();
  // At once: the manager cannot reach the daemon, so the agent serves from the app.
  assert.equal(await whoAnswers(f.agentPort), "app");
  await eventually(
    "the lease ran out",
    async () => await interceptCount(f.manager.ports.api) === 0,
  );
});

Deno.test("a daemon that stops answering has its requests served by the app long before its tunnel times out", async () => {
  // The lease (20 s) and the tunnel's keepalive timeout (30 s) both outlast the open deadline.
  await using f = await fixture({ TPX_LEASE_MS: "20000" });
  await using dev = whoServer("frozen");
  await using frozen = await daemonProcess(f.manager.ports.daemon, dev.port);
  await eventually(
    "the daemon gets requests",
    async () => await whoAnswers(f.agentPort) === "frozen",
  );
  frozen.signal("SIGSTOP");
  assert.equal(await whoAnswers(f.agentPort), "app");
  assert.equal(await interceptCount(f.manager.ports.api), 1, "answered while the lease still ran");
});

Deno.test("a restarted agent registers again and its intercept still works", async () => {
  await using f = await fixture();
  await using dev = whoServer("ana");
  await using ana = daemon(f.manager.ports.daemon, "ana");
  await ana.start();
  await ana.createIntercept(spec("web"), { host: "127.0.0.1", port: dev.port });
  await eventually("routed to ana", async () => await whoAnswers(f.agentPort) === "ana");
  await f.agent.kill("SIGKILL");
  let agent: TpxProcess | undefined;
  try {
    agent = await startAgent(f.manager.ports.agent, {
      appPort: f.app.port,
      agentPort: f.agentPort,
    }, { ...workload, pod: "web-1" });
    await eventually("routed to ana again", async () => await whoAnswers(f.agentPort) === "ana");
  } finally {
    await agent?.kill();
  }
});

Deno.test("after a manager restart agents come back and the daemon re-creates its intercepts", async () => {
  await using app = whoServer("app");
  await using dev = whoServer("ana");
  let manager = await startManager();
  const ports = manager.ports;
  const agentPort = freePort();
  const agent = await startAgent(ports.agent, { appPort: app.port, agentPort }, workload);
  await using ana = daemon(ports.daemon, "ana");
  try {
    await ana.start();
    await ana.createIntercept(spec("web"), { host: "127.0.0.1", port: dev.port });
    await eventually("routed to ana", async () => await whoAnswers(agentPort) === "ana");
    await manager.kill("SIGKILL");
    // While the manager is gone the agent serves the app.
    assert.equal(await whoAnswers(agentPort), "app");
    manager = await startManager(ports);
    await eventually(
      "the intercept is back on the new manager",
      async () => await whoAnswers(agentPort) === "ana",
      20_000,
    );
  } finally {
    await agent.kill();
    await manager.kill();
  }
});
