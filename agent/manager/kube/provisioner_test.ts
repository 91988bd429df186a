import assert from "node:assert/strict";
import { TpxError } from "../../../tunnel/protocol/errors.ts";
import { agent, daemon, fixture, spec } from "../state/_testing.ts";
import { type AgentInjection, AgentProvisioner } from "./provisioner.ts";

class FakeInjection implements AgentInjection {
  readonly calls: string[] = [];
  failure: Error | undefined;
  ensureAgent(namespace: string, workload: string, _kind?: string, choice?: object) {
    this.calls.push(`ensure ${namespace}/${workload} ${JSON.stringify(choice)}`);
    return this.failure ? Promise.reject(this.failure) : Promise.resolve();
  }
  /** Runs during the next removal, as another daemon would. */
  duringRemoval: (() => void) | undefined;
  removeAgent(namespace: string, workload: string) {
    this.calls.push(`remove ${namespace}/${workload}`);
    this.duringRemoval?.();
    return Promise.resolve();
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
