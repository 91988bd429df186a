import assert from "node:assert/strict";
import { agentRoutes, type PodFacts, type SliceFacts } from "./agent_routes.ts";

const agentPod = (name: string, ip: string): PodFacts => ({
  name,
  ip,
  labels: { app: "web" },
  hasAgent: true,
});
const service = { name: "web", selector: { app: "web" } };
const slice = (addresses: string[], ready = true): SliceFacts => ({
  service: "web",
  endpoints: addresses.map((a) => ({ addresses: [a], ready })),
});

Deno.test("agentRoutes() is routed once the Service's ready endpoints are all agent pods", () => {
  const pods = [agentPod("web-a", "10.0.0.1"), agentPod("web-b", "10.0.0.2")];
  assert.deepEqual(agentRoutes(pods, [service], [slice(["10.0.0.1", "10.0.0.2"])]).routed, true);
});

Deno.test("agentRoutes() waits while an old pod is still a ready endpoint, and says so", () => {
  const pods = [agentPod("web-a", "10.0.0.1")];
  const state = agentRoutes(pods, [service], [slice(["10.0.0.1", "10.0.0.9"])]);
  assert.equal(state.routed, false);
  assert.equal(state.detail, 'service "web": 1 of 2 ready endpoints not an agent yet');
});

Deno.test("agentRoutes() ignores endpoints that are not ready, and waits for at least one", () => {
  const pods = [agentPod("web-a", "10.0.0.1")];
  const slices = [slice(["10.0.0.1"]), slice(["10.0.0.9"], false)];
  assert.equal(agentRoutes(pods, [service], slices).routed, true);
  assert.equal(agentRoutes(pods, [service], []).routed, false);
});

Deno.test("agentRoutes() waits when no Service selects an agent pod", () => {
  const other = { name: "db", selector: { app: "db" } };
  assert.equal(agentRoutes([agentPod("web-a", "10.0.0.1")], [other], []).routed, false);
  assert.equal(agentRoutes([], [service], []).routed, false);
});
