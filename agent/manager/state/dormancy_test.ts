import assert from "node:assert/strict";
import { agent, daemon, eventsOf, fixture, spec } from "./_testing.ts";

const IDLE = 10 * 60_000;
const webIdle = { type: "agentIdle", namespace: "shop", workload: "web" };

/** A fixture with an agent of "web" and a session whose lease outlasts the test. */
function withAgent() {
  const f = fixture({ leaseMs: 24 * 3_600_000 });
  const agentId = f.state.agentArrive(agent()).id;
  const session = f.state.arrive(daemon()).session.id;
  return Object.assign(f, { agentId, session });
}

Deno.test("agents are reported idle once, 10 minutes after their workload's last intercept ends", () => {
  using f = withAgent();
  f.state.createIntercept(
    f.session,
    spec({ name: "a", filters: [{ on: "path", match: "exact", value: "/a" }] }),
  );
  f.state.createIntercept(
    f.session,
    spec({ name: "b", filters: [{ on: "path", match: "exact", value: "/b" }] }),
  );
  f.state.removeIntercept(f.session, "a");
  f.clock.advance(IDLE * 2);
  assert.deepEqual(eventsOf(f.events, "agentIdle"), [], "one intercept remains");
  f.state.removeIntercept(f.session, "b");
  f.clock.advance(IDLE - 1);
  assert.deepEqual(eventsOf(f.events, "agentIdle"), []);
  f.clock.advance(1);
  assert.deepEqual(eventsOf(f.events, "agentIdle"), [webIdle]);
  f.clock.advance(IDLE * 3);
  assert.equal(eventsOf(f.events, "agentIdle").length, 1);
});

Deno.test("a new intercept during the dormant period cancels the idle report", () => {
  using f = withAgent();
  f.state.createIntercept(f.session, spec());
  f.state.removeIntercept(f.session, "web");
  f.clock.advance(IDLE / 2);
  f.state.createIntercept(f.session, spec());
  f.clock.advance(IDLE * 2);
  assert.deepEqual(eventsOf(f.events, "agentIdle"), []);
});

Deno.test("the dormant period restarts when the next intercept ends", () => {
  using f = withAgent();
  f.state.createIntercept(f.session, spec());
  f.state.removeIntercept(f.session, "web");
  f.clock.advance(IDLE / 2);
  f.state.createIntercept(f.session, spec());
  f.state.removeIntercept(f.session, "web");
  f.clock.advance(IDLE / 2);
  assert.deepEqual(eventsOf(f.events, "agentIdle"), []);
  f.clock.advance(IDLE / 2);
  assert.deepEqual(eventsOf(f.events, "agentIdle"), [webIdle]);
});

Deno.test("the listing shows until when a workload's agents are dormant", () => {
  using f = withAgent();
  assert.equal(f.state.listing().agents[0]?.dormantUntil, "2026-03-01T12:10:00.000Z");
  f.state.createIntercept(f.session, spec());
  assert.equal(f.state.listing().agents[0]?.dormantUntil, undefined);
  f.clock.advance(60_000);
  f.state.removeIntercept(f.session, "web");
  assert.equal(f.state.listing().agents[0]?.dormantUntil, "2026-03-01T12:11:00.000Z");
  f.clock.advance(IDLE);
  assert.equal(f.state.listing().agents[0]?.dormantUntil, undefined);
});

Deno.test("a session whose lease runs out leaves its workloads dormant", () => {
  using f = fixture({ leaseMs: 15_000, agentIdleMs: 60_000 });
  f.state.agentArrive(agent());
  const { session } = f.state.arrive(daemon());
  f.state.createIntercept(session.id, spec());
  f.clock.advance(15_000);
  assert.deepEqual(eventsOf(f.events, "sessionEnded").length, 1);
  f.clock.advance(59_999);
  assert.deepEqual(eventsOf(f.events, "agentIdle"), []);
  f.clock.advance(1);
  assert.deepEqual(eventsOf(f.events, "agentIdle"), [webIdle]);
});

Deno.test("agents arriving without intercepts are dormant from the first, once per workload", () => {
  using f = fixture({ agentIdleMs: 60_000 });
  f.state.agentArrive(agent({ pod: "web-1" }));
  f.clock.advance(30_000);
  f.state.agentArrive(agent({ pod: "web-2" }));
  f.clock.advance(30_000);
  assert.deepEqual(eventsOf(f.events, "agentIdle"), [webIdle]);
  f.state.agentArrive(agent({ pod: "web-3" }));
  f.clock.advance(120_000);
  assert.equal(eventsOf(f.events, "agentIdle").length, 1, "already reported");
});

Deno.test("agents that come back after all of them left are reported idle again", () => {
  using f = fixture({ agentIdleMs: 60_000 });
  const first = f.state.agentArrive(agent());
  f.clock.advance(60_000);
  f.state.agentDepart(first.id);
  f.state.agentArrive(agent({ pod: "web-new" }));
  f.clock.advance(60_000);
  assert.deepEqual(eventsOf(f.events, "agentIdle"), [webIdle, webIdle]);
});
