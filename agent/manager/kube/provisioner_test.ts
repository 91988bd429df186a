import assert from "node:assert/strict";
import { TpxError } from "../../../tunnel/protocol/errors.ts";
import { agent, daemon, type Fixture, fixture, spec } from "../state/_testing.ts";
import type { AgentRemoval, AgentRollout } from "./injector.ts";
import { type AgentInjection, AgentProvisioner } from "./provisioner.ts";

class FakeInjection implements AgentInjection {
  readonly calls: string[] = [];
  failure: Error | undefined;
  /** What ensureAgent() answers; nothing unless set. */
  rollout: AgentRollout | undefined;
  /** What removeAgent() answers; nothing unless set. */
  removal: AgentRemoval | undefined;
  /** When set, ensureAgent() waits for it, as a rollout in progress would. */
  gate: Promise<void> | undefined;
  async ensureAgent(namespace: string, workload: string, _kind?: string, choice?: object) {
    this.calls.push(`ensure ${namespace}/${workload} ${JSON.stringify(choice)}`);
    await this.gate;
    if (this.failure) throw this.failure;
    return this.rollout;
  }
  /** Runs during the next removal, as another daemon would. */
  duringRemoval: (() => void) | undefined;
  removeAgent(namespace: string, workload: string, kind?: string) {
    this.calls.push(`remove ${namespace}/${workload}${kind ? ` ${kind}` : ""}`);
    this.duringRemoval?.();
    return Promise.resolve(this.removal);
  }
}

Deno.test("a waiting intercept gets its workload's agent injected, once", async () => {
  using f = fixture();
  const injection = new FakeInjection();
  using provisioner = new AgentProvisioner(f.state, injection, f.logger);
  const { session } = f.state.arrive(daemon());
  f.state.createIntercept(session.id, spec({ servicePort: "http" }));
  f.state.createIntercept(session.id, spec({ name: "second" }));
  await provisioner.idle();
  assert.deepEqual(injection.calls, ['ensure shop/web {"servicePort":"http"}']);
  assert.equal(f.state.interceptsOfSession(session.id)[0]?.state, "waiting");
});

Deno.test("a workload that has an agent is not injected", async () => {
  using f = fixture();
  const injection = new FakeInjection();
  using provisioner = new AgentProvisioner(f.state, injection, f.logger);
  f.state.agentArrive(agent());
  const { session } = f.state.arrive(daemon());
  assert.equal(f.state.createIntercept(session.id, spec()).state, "active");
  await provisioner.idle();
  assert.deepEqual(injection.calls, []);
});

Deno.test("a failed injection fails the waiting intercepts with the reason and hint", async () => {
  using f = fixture();
  const injection = new FakeInjection();
  injection.failure = new TpxError("cluster", "deployment/web: the image cannot be pulled", {
    code: "agent_rollout_failed",
    hint: "kubectl describe",
  });
  using provisioner = new AgentProvisioner(f.state, injection, f.logger);
  const { session } = f.state.arrive(daemon());
  f.state.createIntercept(session.id, spec());
  await provisioner.idle();
  const [intercept] = f.state.interceptsOfSession(session.id);
  assert.equal(intercept?.state, "failed");
  assert.equal(intercept?.detail, "deployment/web: the image cannot be pulled (kubectl describe)");
});

Deno.test("an idle agent is removed unless an intercept came back", async () => {
  using f = fixture({ agentIdleMs: 1_000 });
  const injection = new FakeInjection();
  using provisioner = new AgentProvisioner(f.state, injection, f.logger);
  f.state.agentArrive(agent());
  const { session } = f.state.arrive(daemon());
  f.state.createIntercept(session.id, spec());
  f.state.removeIntercept(session.id, "web");
  f.clock.advance(1_000);
  await provisioner.idle();
  assert.deepEqual(injection.calls, ["remove shop/web"]);
});

Deno.test("an intercept created during a removal gets the agent injected again", async () => {
  using f = fixture({ agentIdleMs: 1_000 });
  const injection = new FakeInjection();
  using provisioner = new AgentProvisioner(f.state, injection, f.logger);
  const { id } = f.state.agentArrive(agent());
  const { session } = f.state.arrive(daemon());
  f.clock.advance(1_000);
  injection.duringRemoval = () => {
    f.state.createIntercept(session.id, spec());
    f.state.agentDepart(id);
  };
  await provisioner.idle();
  assert.deepEqual(injection.calls, ["remove shop/web", "ensure shop/web {}"]);
});

/**
 * Creates an intercept whose agent never connects and runs the clock to `arrivalMs`, checking
 * that it still waits 1 ms before.
 *
 * @returns the session's intercepts then
 */
async function interceptAfterArrivalTimeout(
  f: Fixture,
  provisioner: AgentProvisioner,
  arrivalMs: number,
) {
  const { session } = f.state.arrive(daemon());
  f.state.createIntercept(session.id, spec());
  await provisioner.idle();
  f.clock.advance(arrivalMs - 1);
  assert.equal(f.state.interceptsOfSession(session.id)[0]?.state, "waiting");
  f.clock.advance(1);
  return f.state.interceptsOfSession(session.id);
}

Deno.test("an injected agent that never connects fails the waiting intercepts, naming its pod's log", async () => {
  using f = fixture({ leaseMs: 3_600_000 });
  const injection = new FakeInjection();
  injection.rollout = { kind: "Deployment", pods: ["web-5d9c7-abcde"] };
  using provisioner = new AgentProvisioner(f.state, injection, f.logger, {
    clock: f.clock,
    arrivalMs: 30_000,
  });
  const [intercept] = await interceptAfterArrivalTimeout(f, provisioner, 30_000);
  assert.equal(intercept?.state, "failed");
  assert.equal(
    intercept?.detail,
    'The agent of deployment/web in namespace "shop" is running but did not connect to the ' +
      'manager within 30 s (run "kubectl logs -n shop web-5d9c7-abcde -c tpx-agent" to see why; ' +
      "the agent must reach the manager's agent port)",
  );
});

Deno.test("an injected agent that connects in time stops its arrival timeout", async () => {
  using f = fixture({ leaseMs: 3_600_000 });
  const injection = new FakeInjection();
  using provisioner = new AgentProvisioner(f.state, injection, f.logger, {
    clock: f.clock,
    arrivalMs: 30_000,
  });
  const { session } = f.state.arrive(daemon());
  const leaseTimers = f.clock.pending;
  f.state.createIntercept(session.id, spec());
  await provisioner.idle();
  assert.equal(f.clock.pending, leaseTimers + 1);
  f.state.agentArrive(agent());
  assert.equal(f.state.interceptsOfSession(session.id)[0]?.state, "active");
  assert.equal(f.clock.pending, leaseTimers, "the arrival timeout is gone");
  f.clock.advance(30_000);
  assert.equal(f.state.interceptsOfSession(session.id)[0]?.state, "active");
});

Deno.test("the arrival timeout defaults to 60 s and names the workload when no pod is known", async () => {
  using f = fixture({ leaseMs: 3_600_000 });
  const injection = new FakeInjection();
  using provisioner = new AgentProvisioner(f.state, injection, f.logger, { clock: f.clock });
  const [intercept] = await interceptAfterArrivalTimeout(f, provisioner, 60_000);
  assert.match(
    intercept?.detail ?? "",
    /within 60 s \(run "kubectl logs -n shop deployment\/web -c tpx-agent"/,
  );
});

Deno.test("restore() removes the agent now and the state forgets the workload's agents", async () => {
  using f = fixture({ agentIdleMs: 600_000 });
  const injection = new FakeInjection();
  injection.removal = { kind: "Deployment", restored: true };
  using provisioner = new AgentProvisioner(f.state, injection, f.logger, { clock: f.clock });
  f.state.agentArrive(agent());
  const removal = await provisioner.restore({ namespace: "shop", workload: "web" }, "Deployment");
  assert.deepEqual(removal, { kind: "Deployment", restored: true });
  assert.deepEqual(injection.calls, ["remove shop/web Deployment"]);
  assert.deepEqual(f.state.agentsOfWorkload("shop", "web"), []);
  assert.equal(f.state.listing().agents.length, 0);
});

Deno.test("restore() is refused while an intercept of any session uses the workload", async () => {
  using f = fixture();
  const injection = new FakeInjection();
  using provisioner = new AgentProvisioner(f.state, injection, f.logger, { clock: f.clock });
  f.state.agentArrive(agent());
  const { session } = f.state.arrive(daemon("bob", "desk"));
  f.state.createIntercept(session.id, spec({ name: "bobs" }));
  await assert.rejects(
    () => provisioner.restore({ namespace: "shop", workload: "web" }, "Deployment"),
    (error: unknown) =>
      error instanceof TpxError && error.code === "workload_in_use" &&
      /Cannot restore deployment\/web in namespace "shop": intercept "bobs" of "bob@desk" uses it/
        .test(error.message) &&
      error.hint === 'ask bob@desk to run "tpx leave bobs", or wait until their session ends',
  );
  assert.deepEqual(injection.calls, []);
});

Deno.test("restore() waits for an injection of the same workload, then restores", async () => {
  using f = fixture();
  const injection = new FakeInjection();
  let release = () => {};
  injection.gate = new Promise((resolve) => release = resolve);
  injection.removal = { kind: "Deployment", restored: true };
  using provisioner = new AgentProvisioner(f.state, injection, f.logger, { clock: f.clock });
  const { session } = f.state.arrive(daemon());
  const leaseTimers = f.clock.pending;
  f.state.createIntercept(session.id, spec());
  f.state.removeIntercept(session.id, "web");
  const restoring = provisioner.restore({ namespace: "shop", workload: "web" });
  await Promise.resolve();
  assert.deepEqual(injection.calls, ["ensure shop/web {}"]);
  release();
  assert.deepEqual(await restoring, { kind: "Deployment", restored: true });
  assert.deepEqual(injection.calls, ["ensure shop/web {}", "remove shop/web"]);
  assert.equal(f.clock.pending, leaseTimers, "no arrival timeout is left for a restored workload");
});

Deno.test("a failed restore does not stop the operations queued after it", async () => {
  using f = fixture();
  const injection = new FakeInjection();
  injection.removeAgent = () => Promise.reject(new TpxError("cluster", "forbidden"));
  using provisioner = new AgentProvisioner(f.state, injection, f.logger, { clock: f.clock });
  const ref = { namespace: "shop", workload: "web" };
  await assert.rejects(() => provisioner.restore(ref), /forbidden/);
  const { session } = f.state.arrive(daemon());
  f.state.createIntercept(session.id, spec());
  await provisioner.idle();
  assert.deepEqual(injection.calls, ["ensure shop/web {}"]);
});

Deno.test("an idle removal that restored the workload forgets its agents", async () => {
  using f = fixture({ agentIdleMs: 1_000 });
  const injection = new FakeInjection();
  injection.removal = { kind: "Deployment", restored: true };
  using provisioner = new AgentProvisioner(f.state, injection, f.logger, { clock: f.clock });
  f.state.agentArrive(agent());
  f.clock.advance(1_000);
  await provisioner.idle();
  assert.deepEqual(injection.calls, ["remove shop/web"]);
  assert.deepEqual(f.state.agentsOfWorkload("shop", "web"), []);
});
