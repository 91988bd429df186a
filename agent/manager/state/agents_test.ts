import assert from "node:assert/strict";
import { agent, fixture, port } from "./_testing.ts";
import { portsOf } from "./agents.ts";

Deno.test("the replicas of a workload are all its agents", () => {
  using f = fixture();
  const a = f.state.agentArrive(agent({ pod: "web-1" }));
  const b = f.state.agentArrive(agent({ pod: "web-2" }));
  f.state.agentArrive(agent({ workload: "api", pod: "api-1" }));
  f.state.agentArrive(agent({ namespace: "staging", pod: "web-1" }));
  assert.match(a.id, /^[0-9a-f]{32}$/);
  assert.notEqual(a.id, b.id);
  assert.deepEqual(f.state.agentsOfWorkload("shop", "web").map((x) => x.pod), ["web-1", "web-2"]);
  assert.equal(f.state.agent(b.id)?.pod, "web-2");
});

Deno.test("a departed agent is forgotten; departing twice is harmless", () => {
  using f = fixture();
  const a = f.state.agentArrive(agent());
  assert.equal(f.state.agentDepart(a.id)?.id, a.id);
  assert.equal(f.state.agentDepart(a.id), undefined);
  assert.equal(f.state.agent(a.id), undefined);
  assert.deepEqual(f.state.agentsOfWorkload("shop", "web"), []);
});

Deno.test("portsOf() lists the distinct ports of replicas", () => {
  using f = fixture();
  const one = f.state.agentArrive(agent({ ports: [port(8080, "http")] }));
  const two = f.state.agentArrive(agent({ ports: [port(8080, "http"), port(9090)] }));
  assert.deepEqual(portsOf([one, two]), [port(8080, "http"), port(9090)]);
});

Deno.test("the state keeps its own copy of what an agent sent", () => {
  using f = fixture();
  const arrival = agent();
  const a = f.state.agentArrive(arrival);
  arrival.ports[0]!.appPort = 1;
  assert.equal(f.state.agent(a.id)?.ports[0]?.appPort, 8080);
});
