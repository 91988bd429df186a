import assert from "node:assert/strict";
import { gatherPodLogs, type PodLogSource, type PodRef } from "./pod_logs.ts";

const manager: PodRef = {
  namespace: "tpx-system",
  name: "tpx-manager-7d9",
  containers: [{ name: "manager", restarts: 0 }],
};
const agentA: PodRef = {
  namespace: "shop",
  name: "web-1",
  containers: [{ name: "tpx-agent", restarts: 2 }],
};
const agentB: PodRef = {
  namespace: "team",
  name: "api-0",
  containers: [{ name: "tpx-agent", restarts: 0 }],
};

function fakeSource(overrides: Partial<PodLogSource> = {}): PodLogSource & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    managerPods: (namespace) => {
      asked.push(`managerPods ${namespace}`);
      return Promise.resolve(namespace === "tpx-system" ? [manager] : []);
    },
    agentPods: () => Promise.resolve([agentA, agentB]),
    log: (pod, container, previous) =>
      Promise.resolve(`${pod.namespace}/${pod.name}/${container}${previous ? " previous" : ""}\n`),
    ...overrides,
  };
}

const text = (data: Uint8Array) => new TextDecoder().decode(data);

Deno.test("gatherPodLogs() reads the manager's and every agent's log, and earlier runs", async () => {
  const source = fakeSource();
  const gathered = await gatherPodLogs(source, "tpx-system");
  assert.deepEqual(source.asked, ["managerPods tpx-system"]);
  assert.deepEqual(
    gathered.files.map((f) => [f.name, text(f.data)]),
    [
      ["manager/tpx-manager-7d9/manager.log", "tpx-system/tpx-manager-7d9/manager\n"],
      ["agents/shop/web-1/tpx-agent.previous.log", "shop/web-1/tpx-agent previous\n"],
      ["agents/shop/web-1/tpx-agent.log", "shop/web-1/tpx-agent\n"],
      ["agents/team/api-0/tpx-agent.log", "team/api-0/tpx-agent\n"],
    ],
  );
  assert.deepEqual(gathered.missing, []);
});

Deno.test("gatherPodLogs() says when no manager pod runs in the namespace", async () => {
  const gathered = await gatherPodLogs(fakeSource(), "elsewhere");
  assert.deepEqual(gathered.missing, [
    'manager logs: no pod labelled "app.kubernetes.io/name=tpx-manager" in namespace "elsewhere"',
  ]);
  assert.equal(gathered.files.length, 3, "the agents' logs are still read");
});

Deno.test("gatherPodLogs() names a log it could not read and still reads the others", async () => {
  const source = fakeSource({
    log: (pod, container) =>
      pod.name === "web-1"
        ? Promise.reject(new Error("container is waiting to start"))
        : Promise.resolve(`${pod.name}/${container}\n`),
  });
  const gathered = await gatherPodLogs(source, "tpx-system");
  assert.deepEqual(gathered.files.map((f) => f.name), [
    "manager/tpx-manager-7d9/manager.log",
    "agents/team/api-0/tpx-agent.log",
  ]);
  assert.deepEqual(gathered.missing, [
    "agents/shop/web-1/tpx-agent.previous.log: container is waiting to start",
    "agents/shop/web-1/tpx-agent.log: container is waiting to start",
  ]);
});

Deno.test("gatherPodLogs() records a refused pod listing and goes on", async () => {
  const source = fakeSource({
    agentPods: () => Promise.reject(new Error('pods is forbidden: cannot list "pods"')),
  });
  const gathered = await gatherPodLogs(source, "tpx-system");
  assert.deepEqual(gathered.files.map((f) => f.name), ["manager/tpx-manager-7d9/manager.log"]);
  assert.deepEqual(gathered.missing, [
    'agent logs (listing pods in every namespace): pods is forbidden: cannot list "pods"',
  ]);
});
