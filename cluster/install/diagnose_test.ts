import assert from "node:assert/strict";
import { type DeploymentView, diagnose, type EventView, type PodView } from "./diagnose.ts";

const progressing: DeploymentView = {
  metadata: { generation: 1 },
  spec: { replicas: 1 },
  status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 0 },
};

function pod(status: NonNullable<PodView["status"]>, name = "tpx-manager-abc"): PodView {
  return {
    metadata: { name },
    spec: { containers: [{ name: "manager", image: "img:1" }] },
    status,
  };
}

function waitingPod(reason: string, message = "", restartCount = 0): PodView {
  return pod({
    phase: "Pending",
    containerStatuses: [{ name: "manager", restartCount, state: { waiting: { reason, message } } }],
  });
}

Deno.test("diagnose() is ready once the new pod is available and the old one gone", () => {
  const deployment = {
    ...progressing,
    status: { ...progressing.status, availableReplicas: 1 },
  };
  assert.deepEqual(diagnose(deployment, [], []), { state: "ready" });
  const rolling = { ...deployment, status: { ...deployment.status, replicas: 2 } };
  assert.equal(diagnose(rolling, [], []).state, "waiting");
});

Deno.test("diagnose() says what the pod waits for", () => {
  assert.deepEqual(diagnose(progressing, [waitingPod("ContainerCreating")], []), {
    state: "waiting",
    detail: "1 of 1 not ready: ContainerCreating",
  });
  assert.deepEqual(diagnose(progressing, [], []), { state: "waiting", detail: "no pod yet" });
});

Deno.test("diagnose() fails at once on an image pull error, naming the image", () => {
  const state = diagnose(progressing, [waitingPod("ErrImagePull", "not found")], []);
  assert.equal(state.state, "failed");
  assert.match(state.state === "failed" ? state.message : "", /"img:1".*ErrImagePull.*not found/);
});

Deno.test("diagnose() names the crashing container so that its logs can be shown", () => {
  const state = diagnose(progressing, [waitingPod("CrashLoopBackOff", "back-off", 3)], []);
  assert.deepEqual(state.state === "failed" && state.crashed, {
    pod: "tpx-manager-abc",
    container: "manager",
  });
});

Deno.test("diagnose() reports unschedulable as a blocker with the scheduler's message", () => {
  const unschedulable = pod({
    phase: "Pending",
    conditions: [{
      type: "PodScheduled",
      status: "False",
      reason: "Unschedulable",
      message: "0/1 nodes are available: 1 Insufficient memory.",
    }],
  });
  const state = diagnose(progressing, [unschedulable], []);
  assert.equal(state.state, "waiting");
  assert.match(state.state === "waiting" ? state.blocker ?? "" : "", /Insufficient memory/);
});

Deno.test("diagnose() names a failing readiness probe from the pod's events", () => {
  const running = pod({ phase: "Running", containerStatuses: [{ name: "manager", state: {} }] });
  const events: EventView[] = [{
    type: "Warning",
    reason: "Unhealthy",
    message: "Readiness probe failed: HTTP probe failed with statuscode: 503",
    involvedObject: { kind: "Pod", name: "tpx-manager-abc" },
  }];
  const state = diagnose(progressing, [running], events);
  assert.match(state.state === "waiting" ? state.detail : "", /probe failing: Readiness.*503/);
});

Deno.test("diagnose() fails when no pod can be created: quota or Pod Security", () => {
  const quota: DeploymentView = {
    ...progressing,
    status: {
      ...progressing.status,
      conditions: [{
        type: "ReplicaFailure",
        status: "True",
        reason: "FailedCreate",
        message: 'pods "tpx-manager-x" is forbidden: exceeded quota: small, requested: cpu=50m',
      }],
    },
  };
  const state = diagnose(quota, [], []);
  assert.match(state.state === "failed" ? state.message : "", /exceeded quota/);
  const event: EventView = {
    reason: "FailedCreate",
    message: "violates PodSecurity",
    involvedObject: { kind: "ReplicaSet", name: "tpx-manager-1" },
  };
  const viaEvent = diagnose(progressing, [], [event]);
  assert.match(viaEvent.state === "failed" ? viaEvent.message : "", /PodSecurity/);
});

Deno.test("diagnose() ignores a restarted container that is ready again", () => {
  const recovered = pod({
    phase: "Running",
    conditions: [{ type: "Ready", status: "True" }],
    containerStatuses: [{ name: "manager", ready: true, restartCount: 4, state: {} }],
  });
  assert.equal(diagnose(progressing, [recovered], []).state, "waiting");
});

Deno.test("diagnose() judges only the pods of the current template: an old failing pod is being replaced", () => {
  const upgraded: DeploymentView = {
    ...progressing,
    spec: {
      replicas: 1,
      template: { spec: { containers: [{ name: "manager", image: "img:2" }] } },
    },
  };
  const old = waitingPod("ErrImagePull", "not found");
  assert.deepEqual(diagnose(upgraded, [old], []), {
    state: "waiting",
    detail: "1 of 1 not ready: ErrImagePull",
  });
  const current: PodView = { ...old, spec: { containers: [{ name: "manager", image: "img:2" }] } };
  assert.equal(diagnose(upgraded, [current], []).state, "failed");
});
