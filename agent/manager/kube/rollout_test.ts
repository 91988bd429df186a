import assert from "node:assert/strict";
import { diagnose } from "../../../cluster/install/diagnose.ts";
import { AGENT_CONTAINER } from "../../../cluster/injection/mod.ts";
import { deployment } from "./_fake_api.ts";
import { rolloutView, type WorkloadPod } from "./rollout.ts";

function pod(name: string, agent: boolean, ready: boolean): WorkloadPod {
  return {
    metadata: { name },
    spec: { containers: [{ name: "web" }, ...(agent ? [{ name: AGENT_CONTAINER }] : [])] },
    status: { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
  };
}

const observed = { ...deployment(), status: { observedGeneration: 1 } };

Deno.test("rolloutView() waits while a pod runs without the agent", () => {
  const view = rolloutView(observed, [pod("old", false, true), pod("new", true, true)]);
  assert.deepEqual(view.status, {
    observedGeneration: 1,
    replicas: 2,
    updatedReplicas: 1,
    availableReplicas: 1,
    conditions: [],
  });
  assert.equal(diagnose(view, [], []).state, "waiting");
});

Deno.test("rolloutView() is ready once every pod runs the agent and is ready", () => {
  const pods = [pod("new", true, true), {
    ...pod("gone", false, true),
    metadata: { name: "gone", deletionTimestamp: "x" },
  }];
  assert.equal(diagnose(rolloutView(observed, pods), [], []).state, "ready");
  assert.equal(diagnose(rolloutView(observed, [pod("new", true, false)]), [], []).state, "waiting");
});

Deno.test("rolloutView() waits until the controller saw the new generation", () => {
  const stale = { ...deployment(), metadata: { ...deployment().metadata, generation: 2 } };
  const view = rolloutView({ ...stale, status: { observedGeneration: 1 } }, [pod("a", true, true)]);
  assert.equal(diagnose(view, [], []).state, "waiting");
});
