import assert from "node:assert/strict";
import { LevelSwitch, MemoryLogger } from "../../tunnel/log.ts";
import { managerHttpApi } from "./http_api.ts";
import { agent, daemon, fixture, spec } from "./state/_testing.ts";
import { Metrics } from "./state/metrics.ts";

function api(ready = true) {
  const f = fixture();
  const metrics = new Metrics();
  const levels = new LevelSwitch("info");
  const logger = new MemoryLogger();
  const app = managerHttpApi({
    state: f.state,
    metrics,
    ready: () => ready,
    notReadyReason: () => "the tunnel listener is not up yet",
    levels,
    logger,
  });
  return Object.assign(f, { app, metrics, levels, apiLogger: logger });
}

Deno.test("GET /healthz answers ok", async () => {
  using t = api();
  const response = await t.app.request("/healthz");
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "ok");
});

Deno.test("GET /readyz answers 503 with the reason until the manager is ready", async () => {
  using notReady = api(false);
  const refused = await notReady.app.request("/readyz");
  assert.equal(refused.status, 503);
  assert.equal(await refused.text(), "not ready: the tunnel listener is not up yet");
  using ready = api(true);
  const accepted = await ready.app.request("/readyz");
  assert.equal(accepted.status, 200);
  await accepted.body?.cancel();
});

Deno.test("GET /metrics gives the state's gauges and the wiring's counters as Prometheus text", async () => {
  using t = api();
  t.state.agentArrive(agent());
  t.state.createIntercept(t.state.arrive(daemon()).session.id, spec());
  t.metrics.counter("tpx_bytes_total", { direction: "out" }).add(42);
  const response = await t.app.request("/metrics");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  assert.match(text, /^# HELP tpx_sessions /m);
  assert.match(text, /^# TYPE tpx_sessions gauge$/m);
  assert.match(text, /^tpx_sessions 1$/m);
  assert.match(text, /^tpx_agents 1$/m);
  assert.match(text, /^tpx_intercepts\{state="active"\} 1$/m);
  assert.match(text, /^tpx_bytes_total\{direction="out"\} 42$/m);
});

Deno.test("GET /admin and its parts give the listing as JSON", async () => {
  using t = api();
  t.state.agentArrive(agent());
  t.state.createIntercept(t.state.arrive(daemon()).session.id, spec());
  const listing = t.state.listing();
  const all = await t.app.request("/admin");
  assert.match(all.headers.get("content-type") ?? "", /^application\/json/);
  assert.deepEqual(await all.json(), listing);
  for (const part of ["sessions", "agents", "intercepts"] as const) {
    const response = await t.app.request(`/admin/${part}`);
    assert.deepEqual(await response.json(), { [part]: listing[part] });
  }
});

Deno.test("PUT /admin/log-level changes the level at run time", async () => {
  using t = api();
  const response = await t.app.request("/admin/log-level", {
    method: "PUT",
    body: JSON.stringify({ level: "debug" }),
    headers: { "content-type": "application/json" },
  });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { level: "debug", previous: "info" });
  assert.equal(t.levels.level, "debug");
  assert.deepEqual(await (await t.app.request("/admin/log-level")).json(), { level: "debug" });
  assert.ok(t.apiLogger.messages("info").includes("log level changed"));
});

Deno.test("PUT /admin/log-level refuses an unknown level or a body that is not JSON", async () => {
  using t = api();
  const cases: [string, string][] = [
    ['{"level":"loud"}', 'Invalid log level "loud"'],
    ['{"level":"constructor"}', 'Invalid log level "constructor"'],
    ["{}", "Invalid log level (none)"],
    ["not json", "Invalid request body: it is not JSON"],
  ];
  for (const [body, message] of cases) {
    const response = await t.app.request("/admin/log-level", { method: "PUT", body });
    assert.equal(response.status, 400);
    const { error } = await response.json();
    assert.equal(error.message, message);
    assert.equal(error.category, "user");
  }
  assert.equal(t.levels.level, "info");
});

Deno.test("an unknown path answers 404 with a JSON error", async () => {
  using t = api();
  const response = await t.app.request("/admin/nope");
  assert.equal(response.status, 404);
  assert.equal((await response.json()).error.message, 'No such path "/admin/nope"');
});

Deno.test("the API serves over a real socket and shuts down cleanly", async () => {
  using t = api();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    t.app.fetch,
  );
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const health = await fetch(`${base}/healthz`);
    assert.equal(await health.text(), "ok");
    const admin = await fetch(`${base}/admin/sessions`);
    assert.deepEqual(await admin.json(), { sessions: [] });
  } finally {
    await server.shutdown();
  }
});
