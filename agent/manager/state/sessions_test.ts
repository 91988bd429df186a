import assert from "node:assert/strict";
import { daemon, eventsOf, fixture, spec } from "./_testing.ts";
import { TpxError } from "../../../tunnel/protocol/mod.ts";

Deno.test("arrive() gives a new session a random hex id and a 15 s lease by default", () => {
  using f = fixture();
  const a = f.state.arrive(daemon());
  const b = f.state.arrive(daemon());
  assert.match(a.session.id, /^[0-9a-f]{16,}$/);
  assert.notEqual(a.session.id, b.session.id);
  assert.equal(a.leaseMs, 15_000);
  assert.equal(a.resumed, false);
  assert.deepEqual(a.intercepts, []);
  assert.equal(a.session.attached, true);
});

Deno.test("a session ends when its lease runs out, releasing its intercepts", () => {
  using f = fixture({ leaseMs: 5_000 });
  const { session } = f.state.arrive(daemon());
  f.state.createIntercept(session.id, spec());
  f.events.length = 0;
  f.clock.advance(4_999);
  assert.ok(f.state.session(session.id));
  f.clock.advance(1);
  assert.equal(f.state.session(session.id), undefined);
  assert.deepEqual(f.state.interceptsOfWorkload("shop", "web"), []);
  assert.deepEqual(f.events, [
    {
      type: "interceptsChanged",
      sessionIds: [],
      workloads: [{ namespace: "shop", workload: "web" }],
    },
    { type: "sessionEnded", sessionId: session.id, reason: "leaseExpired" },
  ]);
});

Deno.test("heartbeats renew the lease from the time they arrive", () => {
  using f = fixture({ leaseMs: 5_000 });
  const { session } = f.state.arrive(daemon());
  for (let i = 0; i < 10; i++) {
    f.clock.advance(4_000);
    assert.equal(f.state.heartbeat(session.id).leaseExpiresAt, f.clock.now() + 5_000);
  }
  assert.ok(f.state.session(session.id));
  f.clock.advance(5_000);
  assert.equal(f.state.session(session.id), undefined);
});

Deno.test("a heartbeat of an ended session is refused with session_unknown", () => {
  using f = fixture();
  assert.throws(() => f.state.heartbeat("feedfacefeedface"), (error) => {
    assert.ok(error instanceof TpxError);
    assert.equal(error.code, "session_unknown");
    assert.match(error.message, /^Session "feedfacefeedface" is not known: /);
    return true;
  });
});

Deno.test("a detached session keeps its lease running from the last heartbeat", () => {
  using f = fixture({ leaseMs: 5_000 });
  const { session } = f.state.arrive(daemon());
  f.clock.advance(3_000);
  f.state.heartbeat(session.id);
  f.clock.advance(1_000);
  f.state.detach(session.id);
  assert.equal(f.state.session(session.id)?.attached, false);
  f.clock.advance(3_999);
  assert.ok(f.state.session(session.id));
  f.clock.advance(1);
  assert.equal(f.state.session(session.id), undefined);
});

Deno.test("a reconnect within the lease resumes the session with its intercepts", () => {
  using f = fixture({ leaseMs: 5_000 });
  const first = f.state.arrive(daemon());
  const web = f.state.createIntercept(first.session.id, spec());
  f.state.detach(first.session.id, first.attachment);
  f.clock.advance(4_000);
  const again = f.state.arrive(daemon("ann", "laptop", { resume: first.session.id }));
  assert.equal(again.resumed, true);
  assert.equal(again.session.id, first.session.id);
  assert.equal(again.session.attached, true);
  assert.deepEqual(again.intercepts, [web]);
  f.clock.advance(4_000);
  assert.ok(f.state.session(first.session.id), "the resume renewed the lease");
  assert.deepEqual(eventsOf(f.events, "sessionEnded"), []);
});

Deno.test("a reconnect after the lease gets a new session and logs why", () => {
  using f = fixture({ leaseMs: 5_000 });
  const first = f.state.arrive(daemon());
  f.state.detach(first.session.id);
  f.clock.advance(5_000);
  const again = f.state.arrive(daemon("ann", "laptop", { resume: first.session.id }));
  assert.equal(again.resumed, false);
  assert.notEqual(again.session.id, first.session.id);
  assert.ok(f.logger.messages("info").some((m) => /not resumed.*lease expired/.test(m)));
});

Deno.test("resuming someone else's session gets a new session and leaves theirs alone", () => {
  using f = fixture();
  const ann = f.state.arrive(daemon("ann", "laptop"));
  const bob = f.state.arrive(daemon("bob", "laptop", { resume: ann.session.id }));
  assert.equal(bob.resumed, false);
  assert.notEqual(bob.session.id, ann.session.id);
  assert.equal(f.state.session(ann.session.id)?.user, "ann");
  const warning = f.logger.entries.find((e) => e.level === "warn");
  assert.match(warning?.message ?? "", /not resumed.*belongs to someone else/);
  assert.equal(warning?.fields.owner, "ann@laptop");
});

Deno.test("the late drop of an old tunnel does not detach the session a new tunnel resumed", () => {
  using f = fixture();
  const old = f.state.arrive(daemon());
  const resumed = f.state.arrive(daemon("ann", "laptop", { resume: old.session.id }));
  f.state.detach(old.session.id, old.attachment);
  assert.equal(f.state.session(old.session.id)?.attached, true);
  f.state.detach(old.session.id, resumed.attachment);
  assert.equal(f.state.session(old.session.id)?.attached, false);
});

Deno.test("depart() ends a session at once and releases its intercepts", () => {
  using f = fixture();
  const { session } = f.state.arrive(daemon());
  f.state.createIntercept(session.id, spec());
  assert.equal(f.state.depart(session.id), true);
  assert.equal(f.state.session(session.id), undefined);
  assert.equal(f.state.listing().intercepts.length, 0);
  assert.deepEqual(eventsOf(f.events, "sessionEnded"), [
    { type: "sessionEnded", sessionId: session.id, reason: "departed" },
  ]);
  assert.equal(f.state.depart(session.id), false);
});

Deno.test("close() leaves no timer behind and emits nothing", () => {
  const f = fixture();
  const { session } = f.state.arrive(daemon());
  f.state.createIntercept(session.id, spec());
  f.state.removeIntercept(session.id, "web");
  assert.ok(f.clock.pending > 0);
  f.events.length = 0;
  f.state.close();
  assert.equal(f.clock.pending, 0);
  assert.deepEqual(f.events, []);
  assert.throws(() => f.state.arrive(daemon()), TpxError);
});
