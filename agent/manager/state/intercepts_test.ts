import assert from "node:assert/strict";
import { TpxError } from "../../../tunnel/protocol/mod.ts";
import { agent, daemon, eventsOf, fixture, header, port, spec } from "./_testing.ts";

function code(fn: () => unknown, expected: string): TpxError {
  let caught: unknown;
  assert.throws(fn, (e) => (caught = e) instanceof TpxError);
  assert.equal((caught as TpxError).code, expected);
  return caught as TpxError;
}

Deno.test("an intercept whose workload has an agent is active on the resolved agent port", () => {
  using f = fixture();
  f.state.agentArrive(agent());
  const { session } = f.state.arrive(daemon());
  const info = f.state.createIntercept(session.id, spec());
  assert.equal(info.state, "active");
  assert.equal(info.agentPort, 9080);
  assert.equal(info.detail, undefined);
  assert.match(info.id, /^[0-9a-f]{32}$/);
  assert.equal(info.since, "2026-03-01T12:00:00.000Z");
  assert.deepEqual(info.owner, { sessionId: session.id, user: "ann", host: "laptop" });
  assert.deepEqual(f.state.intercept(info.id), info);
  assert.deepEqual(eventsOf(f.events, "interceptsChanged"), [
    {
      type: "interceptsChanged",
      sessionIds: [session.id],
      workloads: [{ namespace: "shop", workload: "web" }],
    },
  ]);
});

Deno.test("an intercept waits for the agent and becomes active when one arrives", () => {
  using f = fixture();
  const { session } = f.state.arrive(daemon());
  const waiting = f.state.createIntercept(session.id, spec(), "Deployment");
  assert.equal(waiting.state, "waiting");
  assert.equal(waiting.detail, "waiting for the agent of deployment/web");
  assert.equal(waiting.agentPort, undefined);
  f.events.length = 0;
  f.state.agentArrive(agent());
  const active = f.state.intercept(waiting.id);
  assert.equal(active?.state, "active");
  assert.equal(active?.detail, undefined);
  assert.equal(active?.agentPort, 9080);
  assert.deepEqual(f.events, [{
    type: "interceptsChanged",
    sessionIds: [session.id],
    workloads: [{ namespace: "shop", workload: "web" }],
  }]);
});

Deno.test("a waiting intercept of a workload never seen names it without a kind", () => {
  using f = fixture();
  const { session } = f.state.arrive(daemon());
  const info = f.state.createIntercept(session.id, spec({ workload: "api" }));
  assert.equal(info.detail, 'waiting for the agent of workload "api"');
});

Deno.test("a waiting intercept fails with the reason when the arriving agent lacks its port", () => {
  using f = fixture();
  const { session } = f.state.arrive(daemon());
  const info = f.state.createIntercept(session.id, spec({ servicePort: "grpc" }));
  f.state.agentArrive(agent({ workloadKind: "StatefulSet" }));
  const failed = f.state.intercept(info.id);
  assert.equal(failed?.state, "failed");
  assert.equal(
    failed?.detail,
    'Cannot intercept "web": statefulset/web has no port "grpc" (its ports: "http" 8080/TCP)',
  );
  assert.equal(eventsOf(f.events, "interceptsChanged").length, 2);
});

Deno.test("an intercept with an unresolvable port is refused while the agent is there", () => {
  using f = fixture();
  f.state.agentArrive(agent({ ports: [port(8080, "http"), port(9090, "metrics")] }));
  const { session } = f.state.arrive(daemon());
  code(() => f.state.createIntercept(session.id, spec()), "port_ambiguous");
  code(() => f.state.createIntercept(session.id, spec({ servicePort: "81" })), "port_not_found");
  assert.deepEqual(f.state.interceptsOfSession(session.id), []);
});

Deno.test("the resolvePort option replaces the default resolver", () => {
  const asked: string[] = [];
  using f = fixture({
    resolvePort: ({ spec, ports }) => {
      asked.push(spec.service ?? "");
      return ports[0]!;
    },
  });
  f.state.agentArrive(agent({ ports: [port(8080, "http"), port(9090, "metrics")] }));
  const { session } = f.state.arrive(daemon());
  assert.equal(f.state.createIntercept(session.id, spec({ service: "web-svc" })).agentPort, 9080);
  assert.deepEqual(asked, ["web-svc"]);
});

Deno.test("the same session creating the same intercept again gets the existing one", () => {
  using f = fixture();
  const { session } = f.state.arrive(daemon());
  const filters = [header("x-user", "ann"), header("x-env", "dev")];
  const first = f.state.createIntercept(session.id, spec({ filters }));
  f.events.length = 0;
  const again = f.state.createIntercept(session.id, spec({ filters: filters.toReversed() }));
  assert.deepEqual(again, first);
  assert.deepEqual(f.events, []);
});

Deno.test("the same name with another spec is refused", () => {
  using f = fixture();
  const { session } = f.state.arrive(daemon());
  f.state.createIntercept(session.id, spec());
  const error = code(
    () => f.state.createIntercept(session.id, spec({ filters: [header("x", "1")] })),
    "intercept_exists",
  );
  assert.equal(error.message, 'Intercept "web" already exists with another spec');
  assert.equal(error.hint, 'run "tpx leave web" first, or choose another name');
});

Deno.test("creating a failed intercept again replaces it once the cause is gone", () => {
  using f = fixture();
  const ann = f.state.arrive(daemon("ann")).session.id;
  const bob = f.state.arrive(daemon("bob")).session.id;
  f.state.createIntercept(ann, spec({ servicePort: "http" }));
  const failed = f.state.createIntercept(bob, spec({ servicePort: "8080" }));
  f.state.agentArrive(agent());
  assert.equal(f.state.intercept(failed.id)?.state, "failed");
  code(() => f.state.createIntercept(bob, spec({ servicePort: "8080" })), "intercept_conflict");
  assert.equal(f.state.intercept(failed.id)?.state, "failed");
  f.state.removeIntercept(ann, "web");
  const again = f.state.createIntercept(bob, spec({ servicePort: "8080" }));
  assert.equal(again.state, "active");
  assert.notEqual(again.id, failed.id);
  assert.equal(f.state.intercept(failed.id), undefined);
  assert.deepEqual(f.state.interceptsOfSession(bob), [again]);
});

Deno.test("one session holds intercepts in several namespaces at once", () => {
  using f = fixture();
  const { session } = f.state.arrive(daemon("ann", "laptop", { namespaces: ["shop", "staging"] }));
  f.state.agentArrive(agent());
  f.state.agentArrive(agent({ namespace: "staging" }));
  f.state.createIntercept(session.id, spec({ name: "shop-web" }));
  f.state.createIntercept(session.id, spec({ name: "staging-web", namespace: "staging" }));
  const held = f.state.interceptsOfSession(session.id);
  assert.deepEqual(held.map((i) => [i.spec.namespace, i.state]), [
    ["shop", "active"],
    ["staging", "active"],
  ]);
});

Deno.test("intercept names are per session: two sessions may use the same one", () => {
  using f = fixture();
  const ann = f.state.arrive(daemon("ann")).session.id;
  const bob = f.state.arrive(daemon("bob")).session.id;
  f.state.createIntercept(ann, spec({ filters: [header("x-user", "ann")] }));
  f.state.createIntercept(bob, spec({ filters: [header("x-user", "bob")] }));
  assert.equal(f.state.interceptsOfWorkload("shop", "web").length, 2);
});

Deno.test("the owner removes its intercept by name", () => {
  using f = fixture();
  const { session } = f.state.arrive(daemon());
  const info = f.state.createIntercept(session.id, spec());
  f.events.length = 0;
  assert.deepEqual(f.state.removeIntercept(session.id, "web"), info);
  assert.equal(f.state.intercept(info.id), undefined);
  assert.deepEqual(eventsOf(f.events, "interceptsChanged"), [{
    type: "interceptsChanged",
    sessionIds: [session.id],
    workloads: [{ namespace: "shop", workload: "web" }],
  }]);
});

Deno.test("removing another session's intercept is refused, naming its owner", () => {
  using f = fixture();
  const ann = f.state.arrive(daemon("ann", "laptop")).session.id;
  const bob = f.state.arrive(daemon("bob", "desk")).session.id;
  f.state.createIntercept(ann, spec());
  const error = code(() => f.state.removeIntercept(bob, "web"), "intercept_not_owned");
  assert.equal(error.category, "user");
  assert.equal(error.message, 'Cannot leave "web": it belongs to "ann@laptop"');
  assert.equal(error.hint, 'ask ann@laptop to run "tpx leave web"');
  assert.equal(f.state.interceptsOfSession(ann).length, 1);
});

Deno.test("removing an intercept that does not exist says so", () => {
  using f = fixture();
  const { session } = f.state.arrive(daemon());
  const error = code(() => f.state.removeIntercept(session.id, "web"), "intercept_not_found");
  assert.equal(error.message, 'Cannot leave "web": there is no intercept of that name');
});

Deno.test("an ended session can neither create nor remove intercepts", () => {
  using f = fixture();
  code(() => f.state.createIntercept("0123456789abcdef", spec()), "session_unknown");
  code(() => f.state.removeIntercept("0123456789abcdef", "web"), "session_unknown");
});

Deno.test("an invalid spec is refused before anything else", () => {
  using f = fixture();
  const { session } = f.state.arrive(daemon());
  const error = code(
    () => f.state.createIntercept(session.id, spec({ filters: [header("x", "(", "regex")] })),
    "invalid_intercept",
  );
  assert.match(error.message, /^Invalid filter header "x" regex "\(":/);
});

Deno.test("failWaiting() fails the waiting intercepts of a workload with the reason", () => {
  using f = fixture();
  const { session } = f.state.arrive(daemon());
  f.state.createIntercept(session.id, spec(), "Deployment");
  f.events.length = 0;
  const failed = f.state.failWaiting({ namespace: "shop", workload: "web" }, "image pull failed");
  assert.equal(failed.length, 1);
  assert.equal(failed[0]?.state, "failed");
  assert.equal(failed[0]?.detail, "image pull failed");
  assert.equal(f.state.interceptsOfSession(session.id)[0]?.state, "failed");
  assert.deepEqual(eventsOf(f.events, "interceptsChanged"), [
    {
      type: "interceptsChanged",
      sessionIds: [session.id],
      workloads: [{ namespace: "shop", workload: "web" }],
    },
  ]);
  assert.deepEqual(f.state.failWaiting({ namespace: "shop", workload: "web" }, "again"), []);
  assert.deepEqual(eventsOf(f.events, "interceptsChanged").length, 1);
});
