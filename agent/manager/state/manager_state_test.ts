import assert from "node:assert/strict";
import { agent, daemon, eventsOf, fixture, header, spec } from "./_testing.ts";

Deno.test("listing() is a JSON-able snapshot of sessions, agents and intercepts", () => {
  using f = fixture({ leaseMs: 20_000 });
  const a = f.state.agentArrive(agent());
  const { session } = f.state.arrive(daemon("ann", "laptop", { namespaces: ["shop", "dev"] }));
  f.clock.advance(1_000);
  const web = f.state.createIntercept(session.id, spec({ filters: [header("x-user", "ann")] }));
  f.state.detach(session.id);
  const listing = f.state.listing();
  assert.deepEqual(JSON.parse(JSON.stringify(listing)), listing);
  assert.deepEqual(listing, {
    sessions: [{
      id: session.id,
      user: "ann",
      host: "laptop",
      version: "0.1.0",
      namespaces: ["shop", "dev"],
      attached: false,
      leaseExpiresAt: "2026-03-01T12:00:20.000Z",
    }],
    agents: [{
      id: a.id,
      namespace: "shop",
      workload: "web",
      workloadKind: "Deployment",
      pod: "web-7d9f-abcde",
      podIp: "10.1.0.7",
      container: "web",
      ports: [{ name: "http", appPort: 8080, agentPort: 9080, protocol: "TCP" }],
      arrivedAt: "2026-03-01T12:00:00.000Z",
    }],
    intercepts: [web],
  });
  assert.equal(web.since, "2026-03-01T12:00:01.000Z");
  assert.doesNotMatch(JSON.stringify(listing), /s3cret/, "agent env stays out of the listing");
});

Deno.test("counts() gives sessions, agents and intercepts by state", () => {
  using f = fixture();
  f.state.agentArrive(agent());
  const { session } = f.state.arrive(daemon());
  f.state.createIntercept(session.id, spec());
  f.state.createIntercept(session.id, spec({ name: "api", workload: "api" }));
  assert.deepEqual(f.state.counts(), {
    sessions: 1,
    agents: 1,
    intercepts: { waiting: 1, active: 1, failed: 0 },
  });
});

Deno.test("an ended session's interceptsChanged names only the workloads it released", () => {
  using f = fixture();
  const ann = f.state.arrive(daemon("ann")).session.id;
  const bob = f.state.arrive(daemon("bob")).session.id;
  f.state.createIntercept(ann, spec({ filters: [header("x-user", "ann")] }));
  f.state.createIntercept(ann, spec({ name: "api", workload: "api" }));
  f.state.createIntercept(bob, spec({ filters: [header("x-user", "bob")] }));
  f.events.length = 0;
  f.state.depart(ann);
  assert.deepEqual(f.events, [
    {
      type: "interceptsChanged",
      sessionIds: [],
      workloads: [{ namespace: "shop", workload: "web" }, { namespace: "shop", workload: "api" }],
    },
    { type: "sessionEnded", sessionId: ann, reason: "departed" },
  ]);
  assert.equal(f.state.interceptsOfWorkload("shop", "web")[0]?.owner.user, "bob");
});

Deno.test("a listener that throws is logged and the others still hear the event", () => {
  using f = fixture();
  const heard: string[] = [];
  f.state.on(() => {
    throw new Error("boom");
  });
  const stop = f.state.on((event) => heard.push(event.type));
  const { session } = f.state.arrive(daemon());
  f.state.createIntercept(session.id, spec());
  assert.deepEqual(heard, ["interceptsChanged"]);
  assert.ok(f.logger.messages("error").includes("a listener of manager events failed"));
  stop();
  f.state.depart(session.id);
  assert.deepEqual(heard, ["interceptsChanged"]);
});

Deno.test("intercept lookups return copies the caller cannot change the state through", () => {
  using f = fixture();
  const { session } = f.state.arrive(daemon());
  const info = f.state.createIntercept(session.id, spec());
  info.spec.filters.push(header("x", "1"));
  info.owner.user = "mallory";
  assert.deepEqual(f.state.intercept(info.id)?.spec.filters, []);
  assert.equal(f.state.intercept(info.id)?.owner.user, "ann");
});

Deno.test("agentRemoved() forgets the workload's agents, so a new intercept waits for a new one", () => {
  using f = fixture();
  f.state.agentArrive(agent());
  f.state.agentArrive(agent({ pod: "web-7d9f-fghij" }));
  f.state.agentArrive(agent({ workload: "db", pod: "db-0" }));
  const forgotten = f.state.agentRemoved({ namespace: "shop", workload: "web" });
  assert.deepEqual(forgotten.map((a) => a.pod), ["web-7d9f-abcde", "web-7d9f-fghij"]);
  assert.deepEqual(f.state.agentsOfWorkload("shop", "web"), []);
  assert.equal(f.state.agentsOfWorkload("shop", "db").length, 1);
  const { session } = f.state.arrive(daemon());
  assert.equal(f.state.createIntercept(session.id, spec()).state, "waiting");
});

Deno.test("agentRemoved() stops the workload's idle timer; an agent that departs later is ignored", () => {
  using f = fixture({ agentIdleMs: 1_000 });
  const a = f.state.agentArrive(agent());
  assert.notEqual(f.state.listing().agents[0]?.dormantUntil, undefined);
  f.state.agentRemoved({ namespace: "shop", workload: "web" });
  f.clock.advance(1_000);
  assert.deepEqual(eventsOf(f.events, "agentIdle"), []);
  assert.equal(f.clock.pending, 0);
  assert.equal(f.state.agentDepart(a.id), undefined);
});

Deno.test("agents of a restored workload that come back without an intercept go idle again", () => {
  using f = fixture({ agentIdleMs: 1_000 });
  f.state.agentArrive(agent());
  f.state.agentRemoved({ namespace: "shop", workload: "web" });
  f.state.agentArrive(agent({ pod: "web-new" }));
  f.clock.advance(1_000);
  assert.deepEqual(eventsOf(f.events, "agentIdle").map((e) => e.workload), ["web"]);
});
