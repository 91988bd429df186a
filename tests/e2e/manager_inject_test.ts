// End-to-end test of the manager's own injection on the local cluster: an intercept that waits
// for an agent gets one injected by the manager and becomes active; once the intercept is gone
// and the agent idle, the manager restores the Deployment and the Service exactly.
import assert from "node:assert/strict";
import { restorationDiff, type Service, type Workload } from "../../cluster/injection/mod.ts";
import {
  createYaml,
  settledIntercept,
  waitRestored,
  withInjectionSetup,
} from "./_injection_support.ts";
import { echoApp, getJson, rolloutStatus, waitFor } from "./cluster.ts";

Deno.test("the manager injects the agent for a waiting intercept and restores the workload when idle", async () => {
  await withInjectionSetup({}, async ({ namespaces: [appNs], client }) => {
    const ns = appNs!;
    await createYaml(echoApp({ namespace: ns, name: "web" }));
    await rolloutStatus(ns, "deployment/web");
    const before = await getJson<Workload>(["deployment", "web", "-n", ns]);
    const serviceBefore = await getJson<Service>(["service", "web", "-n", ns]);

    const created = await client.createIntercept(
      { name: "web", namespace: ns, workload: "web", servicePort: "http", filters: [] },
      { host: "127.0.0.1", port: 1 },
    );
    assert.equal(created.state, "waiting");
    const settled = await settledIntercept(client, "web");
    assert.equal(settled.state, "active", settled.detail ?? "");
    assert.ok(settled.agentPort);
    const injected = await getJson<Workload>(["deployment", "web", "-n", ns]);
    assert.ok(injected.spec.template.spec.containers.some((c) => c.name === "tpx-agent"));

    // A workload that cannot be injected fails its intercept with the reason.
    await client.createIntercept(
      { name: "ghost", namespace: ns, workload: "ghost", filters: [] },
      { host: "127.0.0.1", port: 1 },
    );
    const failed = await waitFor("the intercept on a missing workload to fail", () => {
      const intercept = client.intercepts.find((i) => i.spec.name === "ghost");
      return Promise.resolve(intercept?.state === "failed" && intercept);
    });
    assert.match(failed.detail ?? "", /No Deployment, StatefulSet or ReplicaSet "ghost"/);
    await client.removeIntercept("ghost");

    await client.removeIntercept("web");
    await waitRestored({
      namespace: ns,
      resource: "deployment",
      workload: before,
      services: [serviceBefore],
    });
    const after = await getJson<Workload>(["deployment", "web", "-n", ns]);
    const serviceAfter = await getJson<Service>(["service", "web", "-n", ns]);
    assert.deepEqual(restorationDiff(before, after), []);
    assert.deepEqual(restorationDiff(serviceBefore, serviceAfter), []);
  });
});
