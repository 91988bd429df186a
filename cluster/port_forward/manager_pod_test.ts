import assert from "node:assert/strict";
import { connectKube } from "../kube/mod.ts";
import { fakeServer } from "./_test_server.ts";
import { findManagerPod, managerChannel } from "./manager_pod.ts";

function pod(name: string, created: string, status: Record<string, unknown>, extra = {}) {
  return {
    kind: "Pod",
    metadata: { name, creationTimestamp: created, ...extra },
    status,
  };
}

const ready = { phase: "Running", conditions: [{ type: "Ready", status: "True" }] };
const notReady = { phase: "Running", conditions: [{ type: "Ready", status: "False" }] };
const creating = {
  phase: "Pending",
  containerStatuses: [{ name: "m", state: { waiting: { reason: "ContainerCreating" } } }],
};

Deno.test("findManagerPod() picks the newest Ready pod that is not terminating", async () => {
  await using server = fakeServer({
    token: "t",
    pods: {
      old: pod("old", "2026-01-01T00:00:00Z", ready),
      newer: pod("newer", "2026-01-02T00:00:00Z", ready),
      leaving: pod("leaving", "2026-01-03T00:00:00Z", ready, {
        deletionTimestamp: "2026-01-04T00:00:00Z",
      }),
      starting: pod("starting", "2026-01-05T00:00:00Z", notReady),
    },
  });
  await using kube = await connectKube({ kubeconfig: await server.kubeconfig(), env: {} });
  assert.equal(await findManagerPod(kube, "tpx", "app=m"), "newer");
});

Deno.test("findManagerPod() says what each pod is doing when none is Ready", async () => {
  await using server = fakeServer({
    token: "t",
    pods: {
      a: pod("a", "2026-01-01T00:00:00Z", creating),
      b: pod("b", "2026-01-02T00:00:00Z", notReady),
      c: pod("c", "2026-01-03T00:00:00Z", ready, { deletionTimestamp: "2026-01-04T00:00:00Z" }),
    },
  });
  await using kube = await connectKube({ kubeconfig: await server.kubeconfig(), env: {} });
  await assert.rejects(() => findManagerPod(kube, "tpx", "app=m"), {
    category: "cluster",
    code: "manager_not_ready",
    retryable: true,
    message: 'No ready manager pod in namespace "tpx" with labels "app=m": ' +
      '"a" Pending (ContainerCreating), "b" Running, not ready, "c" terminating',
  });
});

Deno.test("managerChannel() fails clearly when there is no manager pod at all", async () => {
  await using server = fakeServer({ token: "t", pods: {} });
  await using kube = await connectKube({ kubeconfig: await server.kubeconfig(), env: {} });
  await assert.rejects(() => managerChannel(kube, { namespace: "tpx" }), {
    code: "manager_not_ready",
    message: 'No manager pod in namespace "tpx" with labels "app.kubernetes.io/name=tpx-manager"',
  });
});

Deno.test("managerChannel() port-forwards to the daemon port of the Ready pod", async () => {
  await using server = fakeServer({
    token: "t",
    pods: { m: pod("m", "2026-01-01T00:00:00Z", ready) },
  });
  await using kube = await connectKube({ kubeconfig: await server.kubeconfig(), env: {} });
  const channel = await managerChannel(kube, { namespace: "tpx" });
  await channel.write(new Uint8Array([1, 2, 3]));
  const got = new Uint8Array(3);
  assert.equal(await channel.read(got), 3);
  assert.deepEqual([...got], [1, 2, 3]);
  channel.close();
  assert.equal(server.ports.at(-1), 8081);
});
