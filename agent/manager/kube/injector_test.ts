import assert from "node:assert/strict";
import { AGENT_CONTAINER, restorationDiff } from "../../../cluster/injection/mod.ts";
import { silentLogger } from "../../../tunnel/log.ts";
import { TpxError } from "../../../tunnel/protocol/errors.ts";
import { deployment, FakeApi, service } from "./_fake_api.ts";
import { Injector, type RolloutWaiter } from "./injector.ts";

function injector(api: FakeApi, waitForRollout: RolloutWaiter = () => Promise.resolve()) {
  return new Injector({
    api,
    image: "localhost/tpx:dev",
    managerAddress: "tpx-manager.tpx:8082",
    logger: silentLogger,
    waitForRollout,
  });
}

function containers(api: FakeApi): string[] {
  return api.workload.spec.template.spec.containers.map((c) => c.name);
}

Deno.test("ensureAgent() writes the workload, waits for its rollout, then the Services", async () => {
  const api = new FakeApi(deployment(), [service()]);
  const order: string[] = [];
  await injector(api, (workload, _read, progress) => {
    order.push(`rollout of ${workload.metadata.name} after ${api.writes.join(",")}`);
    progress("1 of 1 not ready");
    return Promise.resolve();
  }).ensureAgent("shop", "web");
  assert.deepEqual(order, ["rollout of web after Deployment/web"]);
  assert.deepEqual(api.writes, ["Deployment/web", "Service/web"]);
  assert.deepEqual(containers(api), ["web", AGENT_CONTAINER]);
  assert.notEqual(api.services[0]?.spec.ports?.[0]?.targetPort, 8080);
});

Deno.test("ensureAgent() on an injected workload writes nothing", async () => {
  const api = new FakeApi(deployment(), [service()]);
  await injector(api).ensureAgent("shop", "web");
  api.writes.length = 0;
  await injector(api).ensureAgent("shop", "web");
  assert.deepEqual(api.writes, []);
});

Deno.test("ensureAgent() leaves the Services alone when the rollout fails", async () => {
  const api = new FakeApi(deployment(), [service()]);
  const failure = new TpxError("cluster", "image cannot be pulled", {
    code: "agent_rollout_failed",
  });
  await assert.rejects(
    () => injector(api, () => Promise.reject(failure)).ensureAgent("shop", "web"),
    (e) => e === failure,
  );
  assert.deepEqual(api.writes, ["Deployment/web"]);
  assert.deepEqual(api.services, [service()]);
});

Deno.test("removeAgent() restores the Services, then the workload, exactly", async () => {
  const api = new FakeApi(deployment(), [service()]);
  await injector(api).ensureAgent("shop", "web");
  api.writes.length = 0;
  await injector(api).removeAgent("shop", "web");
  assert.deepEqual(api.writes, ["Service/web", "Deployment/web"]);
  const { resourceVersion: _w, ...workloadMeta } = api.workload.metadata;
  const { resourceVersion: _o, ...originalMeta } = deployment().metadata;
  assert.deepEqual(workloadMeta, originalMeta);
  assert.deepEqual(restorationDiff(deployment(), api.workload), []);
  assert.deepEqual(api.services[0]?.spec, service().spec);
  assert.deepEqual(api.services[0]?.metadata.annotations ?? {}, {});
});

Deno.test("removeAgent() on a workload tpx never injected writes nothing", async () => {
  const api = new FakeApi(deployment(), [service()]);
  await injector(api).removeAgent("shop", "web");
  assert.deepEqual(api.writes, []);
});

Deno.test("a write that loses a race is done again on a fresh read", async () => {
  const api = new FakeApi(deployment(), [service()]);
  api.racesToLose = 2;
  await injector(api).ensureAgent("shop", "web");
  assert.deepEqual(api.writes, ["Deployment/web", "Service/web"]);
  assert.deepEqual(containers(api), ["web", AGENT_CONTAINER]);
});

Deno.test("ensureAgent() returns the workload's kind and the pods that run the agent", async () => {
  const api = new FakeApi(deployment(), [service()]);
  api.pods = ["web-1", "web-2"];
  assert.deepEqual(await injector(api).ensureAgent("shop", "web"), {
    kind: "Deployment",
    pods: ["web-1", "web-2"],
  });
});

Deno.test("removeAgent() tells whether it restored anything", async () => {
  const api = new FakeApi(deployment(), [service()]);
  assert.deepEqual(await injector(api).removeAgent("shop", "web"), {
    kind: "Deployment",
    restored: false,
  });
  await injector(api).ensureAgent("shop", "web");
  assert.deepEqual(await injector(api).removeAgent("shop", "web"), {
    kind: "Deployment",
    restored: true,
  });
});

Deno.test("removeAgent() counts a Service left retargeted as something restored", async () => {
  const api = new FakeApi(deployment(), [service()]);
  await injector(api).ensureAgent("shop", "web");
  // Someone restored the workload by hand and forgot the Service.
  api.workload = { ...structuredClone(deployment()), metadata: { ...api.workload.metadata } };
  delete api.workload.metadata.annotations;
  api.writes.length = 0;
  assert.deepEqual(await injector(api).removeAgent("shop", "web"), {
    kind: "Deployment",
    restored: true,
  });
  assert.deepEqual(api.writes, ["Service/web"]);
  assert.deepEqual(api.services[0]?.spec, service().spec);
});

Deno.test("listInjected() finds injected workloads in the namespaces given", async () => {
  const api = new FakeApi(deployment(), [service()]);
  assert.deepEqual(await injector(api).listInjected(undefined), []);
  await injector(api).ensureAgent("shop", "web");
  const web = { kind: "Deployment", namespace: "shop", workload: "web" };
  assert.deepEqual(await injector(api).listInjected(undefined), [web]);
  assert.deepEqual(await injector(api).listInjected(["dev", "shop"]), [web]);
  assert.deepEqual(await injector(api).listInjected(["dev"]), []);
});
