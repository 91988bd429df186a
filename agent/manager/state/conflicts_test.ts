import assert from "node:assert/strict";
import { type InterceptSpec, TpxError } from "../../../tunnel/protocol/mod.ts";
import { agent, daemon, type Fixture, fixture, header, port, spec } from "./_testing.ts";

/** Two sessions, ann@laptop and bob@desk, and an agent for "web" unless told otherwise. */
function twoUsers(withAgent = true): Fixture & { ann: string; bob: string } {
  const f = fixture({ leaseMs: 3_600_000 });
  if (withAgent) f.state.agentArrive(agent({ ports: [port(8080, "http"), port(9090, "metrics")] }));
  const ann = f.state.arrive(daemon("ann", "laptop")).session.id;
  const bob = f.state.arrive(daemon("bob", "desk")).session.id;
  return Object.assign(f, { ann, bob });
}

function conflict(f: Fixture, sessionId: string, asked: InterceptSpec): TpxError {
  let caught: unknown;
  assert.throws(
    () => f.state.createIntercept(sessionId, asked),
    (e) => (caught = e) instanceof Error,
  );
  assert.ok(caught instanceof TpxError, String(caught));
  assert.equal(caught.category, "user");
  assert.equal(caught.code, "intercept_conflict");
  return caught;
}

Deno.test("a second global intercept on the same port names the holder, since when, and what to do", () => {
  using f = twoUsers();
  f.state.createIntercept(f.ann, spec({ name: "ann-web", servicePort: "http" }));
  f.clock.advance(12 * 60_000 + 5_000);
  const error = conflict(f, f.bob, spec({ name: "bob-web", servicePort: "http" }));
  assert.equal(
    error.message,
    'Cannot intercept "bob-web": port "http" of "web" in "shop" is taken by the global intercept ' +
      '"ann-web" of "ann@laptop" since 2026-03-01T12:00:00.000Z (12 minutes ago)',
  );
  assert.equal(
    error.hint,
    'ask ann@laptop to run "tpx leave ann-web", or both of you use --http-header to take only ' +
      "your own requests",
  );
});

Deno.test("a personal intercept on a port a global one holds conflicts", () => {
  using f = twoUsers();
  f.state.createIntercept(f.ann, spec({ servicePort: "http" }));
  const error = conflict(
    f,
    f.bob,
    spec({ servicePort: "8080", filters: [header("x-user", "bob")] }),
  );
  assert.match(error.message, /is taken by the global intercept "web" of "ann@laptop"/);
});

Deno.test("a global intercept on a port a personal one holds conflicts", () => {
  using f = twoUsers();
  f.state.createIntercept(f.ann, spec({ servicePort: "http", filters: [header("x-user", "ann")] }));
  const error = conflict(f, f.bob, spec({ servicePort: "http" }));
  assert.match(error.message, /has the personal intercept "web" of "ann@laptop" since .*\(less/);
  assert.match(error.message, /a global intercept would take its requests$/);
  assert.match(error.hint ?? "", /or use --http-header to take only your own requests$/);
});

Deno.test("two personal intercepts with the same filters in another order conflict", () => {
  using f = twoUsers();
  const path = { on: "path", match: "prefix", value: "/api" } as const;
  f.state.createIntercept(
    f.ann,
    spec({ servicePort: "http", filters: [header("x-dev", "1"), path] }),
  );
  const error = conflict(
    f,
    f.bob,
    spec({ servicePort: "http", filters: [path, header("X-Dev", "1")] }),
  );
  assert.match(
    error.message,
    /taken by the personal intercept "web" of "ann@laptop" with the same/,
  );
  assert.match(error.hint ?? "", /or use a different --http-header/);
});

Deno.test("personal intercepts with different filters coexist on one port", () => {
  using f = twoUsers();
  const a = f.state.createIntercept(
    f.ann,
    spec({ filters: [header("x-user", "ann")], servicePort: "http" }),
  );
  const b = f.state.createIntercept(
    f.bob,
    spec({ filters: [header("x-user", "bob")], servicePort: "http" }),
  );
  assert.equal(a.state, "active");
  assert.equal(b.state, "active");
  assert.equal(a.agentPort, b.agentPort);
});

Deno.test("global intercepts on different ports of one workload coexist", () => {
  using f = twoUsers();
  assert.equal(f.state.createIntercept(f.ann, spec({ servicePort: "http" })).agentPort, 9080);
  assert.equal(f.state.createIntercept(f.bob, spec({ servicePort: "metrics" })).agentPort, 10090);
});

Deno.test("global intercepts of different workloads or namespaces coexist", () => {
  using f = twoUsers(false);
  f.state.createIntercept(f.ann, spec());
  f.state.createIntercept(f.bob, spec({ workload: "api" }));
  f.state.createIntercept(f.bob, spec({ name: "web2", namespace: "staging" }));
  assert.equal(f.state.listing().intercepts.length, 3);
});

Deno.test("one session's second global intercept on a port it holds names the session itself", () => {
  using f = twoUsers();
  f.state.createIntercept(f.ann, spec({ name: "one", servicePort: "http" }));
  const error = conflict(f, f.ann, spec({ name: "two", servicePort: "http" }));
  assert.match(error.message, /"one" of "ann@laptop"/);
});

Deno.test("before the agent arrives, conflicts compare the requested service port", () => {
  using f = twoUsers(false);
  f.state.createIntercept(f.ann, spec({ servicePort: "http" }));
  const error = conflict(f, f.bob, spec({ servicePort: "http" }));
  assert.match(error.message, /port "http" of "web" in "shop" is taken/);
  assert.equal(f.state.createIntercept(f.bob, spec({ servicePort: "metrics" })).state, "waiting");
});

Deno.test("a waiting intercept whose port turns out taken fails when the agent arrives", () => {
  using f = twoUsers(false);
  f.state.createIntercept(f.ann, spec({ name: "by-name", servicePort: "http" }));
  f.state.createIntercept(f.bob, spec({ name: "by-number", servicePort: "8080" }));
  f.state.agentArrive(agent());
  const [first, second] = f.state.interceptsOfWorkload("shop", "web");
  assert.equal(first?.state, "active");
  assert.equal(second?.state, "failed");
  assert.equal(second?.agentPort, undefined);
  assert.match(second?.detail ?? "", /^Cannot intercept "by-number": port "http" of "web".*"ann@/);
});

Deno.test("a request by number conflicts with an active intercept of that port after its agent left", () => {
  using f = twoUsers();
  const agentId = f.state.agentsOfWorkload("shop", "web")[0]!.id;
  f.state.createIntercept(f.ann, spec({ servicePort: "http" }));
  f.state.agentDepart(agentId);
  conflict(f, f.bob, spec({ servicePort: "8080" }));
});

Deno.test("a failed intercept holds no traffic", () => {
  using f = twoUsers(false);
  f.state.createIntercept(f.ann, spec({ servicePort: "nope" }));
  f.state.agentArrive(agent());
  assert.equal(f.state.interceptsOfSession(f.ann)[0]?.state, "failed");
  assert.equal(f.state.createIntercept(f.bob, spec({ servicePort: "http" })).state, "active");
});
