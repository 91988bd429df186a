// End-to-end test of restoring on request on the local cluster: leaving an intercept with
// `restore` gives the Deployment and the Service back at once; a client that vanished leaves an
// injected workload that another client restores with `restoreWorkloads({all: true})`; and a
// workload that another session intercepts is refused, naming who holds it.
import assert from "node:assert/strict";
import { restorationDiff, type Service, type Workload } from "../../cluster/injection/mod.ts";
import { install } from "../../cluster/install/mod.ts";
import { connectKube, type KubeConnection } from "../../cluster/kube/mod.ts";
import { managerChannel } from "../../cluster/port_forward/mod.ts";
import { ManagerClient } from "../../cli/daemon/manager_client.ts";
import { silentLogger } from "../../tunnel/log.ts";
import type { InterceptInfo } from "../../tunnel/protocol/mod.ts";
import {
  applyYaml,
  createNamespace,
  deleteNamespace,
  echoApp,
  forceRemoveManager,
  getJson,
  images,
  kubeconfigPath,
  kubectl,
  rolloutStatus,
  waitFor,
} from "./cluster.ts";

async function cleanup(managerNs: string, appNs: string): Promise<void> {
  await deleteNamespace(appNs);
  await forceRemoveManager(managerNs);
}

/** The Deployment and the Service of an echo app, as they are now. */
async function snapshot(namespace: string, name: string) {
  return {
    workload: await getJson<Workload>(["deployment", name, "-n", namespace]),
    service: await getJson<Service>(["service", name, "-n", namespace]),
  };
}

/** What differs from the original: nothing once restored exactly. */
async function differences(namespace: string, original: Awaited<ReturnType<typeof snapshot>>) {
  const now = await snapshot(namespace, original.workload.metadata.name);
  return [
    ...restorationDiff(original.workload, now.workload),
    ...restorationDiff(original.service, now.service),
  ];
}

function clientOf(kube: KubeConnection, managerNs: string, appNs: string, user: string) {
  return new ManagerClient({
    connect: () => managerChannel(kube, { namespace: managerNs }),
    user,
    host: "e2e",
    namespaces: [appNs],
    logger: silentLogger,
  });
}

/** Intercepts `workload` and waits until the manager's agent serves it. */
async function interceptActive(
  client: ManagerClient,
  namespace: string,
  workload: string,
): Promise<InterceptInfo> {
  await client.createIntercept(
    { name: workload, namespace, workload, servicePort: "http", filters: [] },
    { host: "127.0.0.1", port: 1 },
  );
  const settled = await waitFor(`the intercept of "${workload}" to become active`, () => {
    const intercept = client.intercepts.find((i) => i.spec.name === workload);
    return Promise.resolve(intercept?.state !== "waiting" && intercept);
  }, { timeoutMs: 120_000 });
  assert.equal(settled.state, "active", settled.detail ?? "");
  const injected = await getJson<Workload>(["deployment", workload, "-n", namespace]);
  assert.ok(injected.spec.template.spec.containers.some((c) => c.name === "tpx-agent"));
  return settled;
}

Deno.test("the manager restores workloads on request: on leave, for everyone, never under another session", async (t) => {
  const managerNs = `tpx-system-test-restore-${crypto.randomUUID().slice(0, 8)}`;
  const appNs = await createNamespace("tpx-restore-app");
  await using kube = await connectKube({ kubeconfig: kubeconfigPath() });
  const clients: ManagerClient[] = [];
  const connect = async (user: string) => {
    const client = clientOf(kube, managerNs, appNs, user);
    clients.push(client);
    await client.start();
    return client;
  };
  try {
    for (const name of ["web", "api", "db"]) {
      await applyYaml(echoApp({ namespace: appNs, name }));
    }
    for (const name of ["web", "api", "db"]) await rolloutStatus(appNs, `deployment/${name}`);
    const original = {
      web: await snapshot(appNs, "web"),
      api: await snapshot(appNs, "api"),
      db: await snapshot(appNs, "db"),
    };
    await install(kube, {
      image: images.tpx,
      namespace: managerNs,
      namespaces: [appNs],
      // Long enough that nothing is restored by the idle timer during the test.
      agentIdleMs: 600_000,
      // Short, so that the vanished client's intercept ends soon.
      leaseMs: 3_000,
      logLevel: "debug",
    });
    const ana = await connect("ana");

    await t.step(
      "leaving with restore answers once Deployment and Service are the originals",
      async () => {
        await interceptActive(ana, appNs, "web");
        assert.notDeepEqual(await differences(appNs, original.web), []);
        const result = await ana.removeIntercept("web", { restore: true });
        assert.deepEqual(result, {
          restored: [{ kind: "Deployment", namespace: appNs, workload: "web" }],
          refused: [],
        });
        // Checked at once: the answer comes only after the writes.
        assert.deepEqual(await differences(appNs, original.web), []);
      },
    );

    await t.step("another session's active intercept is refused, naming the holder", async () => {
      await interceptActive(ana, appNs, "api");
      const bob = await connect("bob");
      const result = await bob.restoreWorkloads({ namespace: appNs, workload: "api" });
      assert.deepEqual(result.restored, []);
      const [refused] = result.refused;
      assert.equal(refused?.workload, "api");
      assert.equal(refused?.error.code, "workload_in_use");
      assert.match(refused?.error.message ?? "", /intercept "api" of "ana@e2e" uses it/);
      assert.match(refused?.error.hint ?? "", /ask ana@e2e to run "tpx leave api"/);
      assert.equal(ana.intercepts.find((i) => i.spec.name === "api")?.state, "active");
      assert.notDeepEqual(await differences(appNs, original.api), []);
    });

    await t.step(
      "a vanished client's workload is restored by restoreWorkloads({all}) from another",
      async () => {
        const gone = clientOf(kube, managerNs, appNs, "carl");
        await gone.start();
        await interceptActive(gone, appNs, "db");
        await gone.abandon();
        const carol = await connect("carol");
        // Until carl's lease runs out, his intercept holds "db": the restore refuses it.
        const result = await waitFor("the vanished client's workload to be restored", async () => {
          const outcome = await carol.restoreWorkloads({ all: true });
          return outcome.restored.some((w) => w.workload === "db") && outcome;
        }, { timeoutMs: 60_000, intervalMs: 1_000 });
        assert.deepEqual(result.restored, [{
          kind: "Deployment",
          namespace: appNs,
          workload: "db",
        }]);
        assert.deepEqual(result.refused.map((r) => [r.workload, r.error.code]), [
          ["api", "workload_in_use"],
        ]);
        assert.deepEqual(await differences(appNs, original.db), []);
      },
    );

    await t.step("the holder can then leave and restore its own workload", async () => {
      const result = await ana.removeIntercept("api", { restore: true });
      assert.deepEqual(result?.restored.map((w) => w.workload), ["api"]);
      assert.deepEqual(await differences(appNs, original.api), []);
    });
    await t.step(
      "after a manager restart, restoreWorkloads({all}) finds the workload in the cluster",
      async () => {
        const gone = clientOf(kube, managerNs, appNs, "dave");
        await gone.start();
        await interceptActive(gone, appNs, "web");
        await gone.abandon();
        // The new manager remembers no session and no intercept: only the cluster says "web"
        // carries an agent.
        await kubectl(["rollout", "restart", "-n", managerNs, "deployment/tpx-manager"], {
          check: true,
        });
        await rolloutStatus(managerNs, "deployment/tpx-manager");
        const erin = await connect("erin");
        const result = await waitFor("the new manager to restore the workload", async () => {
          const outcome = await erin.restoreWorkloads({ all: true });
          return outcome.restored.some((w) => w.workload === "web") && outcome;
        }, { timeoutMs: 60_000, intervalMs: 1_000 });
        assert.deepEqual(result.restored, [{
          kind: "Deployment",
          namespace: appNs,
          workload: "web",
        }]);
        assert.deepEqual(await differences(appNs, original.web), []);
      },
    );
  } finally {
    for (const client of clients) await client.close();
    await cleanup(managerNs, appNs);
  }
});
