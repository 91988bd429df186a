// End-to-end test of the manager's own injection on the local cluster: an intercept that waits
// for an agent gets one injected by the manager and becomes active; once the intercept is gone
// and the agent idle, the manager restores the Deployment and the Service exactly.
import assert from "node:assert/strict";
import { restorationDiff, type Service, type Workload } from "../../cluster/injection/mod.ts";
import { install } from "../../cluster/install/mod.ts";
import { connectKube } from "../../cluster/kube/mod.ts";
import { managerChannel } from "../../cluster/port_forward/mod.ts";
import { ManagerClient } from "../../cli/daemon/manager_client.ts";
import { silentLogger } from "../../tunnel/log.ts";
import {
  applyYaml,
  createNamespace,
  deleteNamespace,
  echoApp,
  images,
  kubeconfigPath,
  kubectl,
  rolloutStatus,
  waitFor,
} from "./cluster.ts";

async function getJson<T>(args: readonly string[]): Promise<T> {
  const { stdout } = await kubectl(["get", ...args, "-o", "json"], { check: true });
  return JSON.parse(stdout) as T;
}

async function cleanup(managerNs: string, appNs: string): Promise<void> {
  const selector = `tpx.dev/manager-namespace=${managerNs}`;
  await kubectl([
    "delete",
    "clusterroles,clusterrolebindings",
    "-l",
    selector,
    "--ignore-not-found",
  ]);
  await kubectl(["delete", "roles,rolebindings", "-A", "-l", selector, "--ignore-not-found"]);
  await deleteNamespace(appNs);
  await deleteNamespace(managerNs);
}

Deno.test("the manager injects the agent for a waiting intercept and restores the workload when idle", async () => {
  const managerNs = `tpx-system-test-inject-${crypto.randomUUID().slice(0, 8)}`;
  const appNs = await createNamespace("tpx-inject-app");
  await using kube = await connectKube({ kubeconfig: kubeconfigPath() });
  let client: ManagerClient | undefined;
  try {
    await applyYaml(echoApp({ namespace: appNs, name: "web" }));
    await rolloutStatus(appNs, "deployment/web");
    const before = await getJson<Workload>(["deployment", "web", "-n", appNs]);
    const serviceBefore = await getJson<Service>(["service", "web", "-n", appNs]);
    await install(kube, {
      image: images.tpx,
      namespace: managerNs,
      namespaces: [appNs],
      agentIdleMs: 2_000,
      logLevel: "debug",
    });

    client = new ManagerClient({
      connect: () => managerChannel(kube, { namespace: managerNs }),
      user: "e2e",
      host: "test",
      namespaces: [appNs],
      logger: silentLogger,
    });
    await client.start();
    const created = await client.createIntercept(
      { name: "web", namespace: appNs, workload: "web", servicePort: "http", filters: [] },
      { host: "127.0.0.1", port: 1 },
    );
    assert.equal(created.state, "waiting");
    const settled = await waitFor("the intercept to become active", () => {
      const intercept = client!.intercepts.find((i) => i.spec.name === "web");
      return Promise.resolve(intercept?.state !== "waiting" && intercept);
    }, { timeoutMs: 120_000 });
    assert.equal(settled.state, "active", settled.detail ?? "");
    assert.ok(settled.agentPort);
    const injected = await getJson<Workload>(["deployment", "web", "-n", appNs]);
    assert.ok(injected.spec.template.spec.containers.some((c) => c.name === "tpx-agent"));

    // A workload that cannot be injected fails its intercept with the reason.
    await client.createIntercept(
      { name: "ghost", namespace: appNs, workload: "ghost", filters: [] },
      { host: "127.0.0.1", port: 1 },
    );
    const failed = await waitFor("the intercept on a missing workload to fail", () => {
      const intercept = client!.intercepts.find((i) => i.spec.name === "ghost");
      return Promise.resolve(intercept?.state === "failed" && intercept);
    });
    assert.match(failed.detail ?? "", /No Deployment, StatefulSet or ReplicaSet "ghost"/);
    await client.removeIntercept("ghost");

    await client.removeIntercept("web");
    await waitFor("the manager to restore the workload and its Service", async () => {
      const after = await getJson<Workload>(["deployment", "web", "-n", appNs]);
      const serviceAfter = await getJson<Service>(["service", "web", "-n", appNs]);
      return restorationDiff(before, after).length === 0 &&
        restorationDiff(serviceBefore, serviceAfter).length === 0;
    }, { timeoutMs: 60_000 });
  } finally {
    await client?.close();
    await cleanup(managerNs, appNs);
  }
});
