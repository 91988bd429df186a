// End-to-end tests of the manager's injection on the shapes workloads take on the local
// cluster: a Service that targets a named port, one that targets a number, a StatefulSet with
// its headless Service. In each, every pod gets the agent and stays Ready, a request made
// inside the cluster reaches the developer's handler, and once the intercept is gone and the
// agent idle, the objects are restored exactly and the pods run without it. A manager limited
// to some namespaces refuses an intercept elsewhere, saying how to extend it.
import assert from "node:assert/strict";
import type { Workload } from "../../cluster/injection/mod.ts";
import type { ManagerClient } from "../../cli/daemon/manager_client.ts";
import { TpxError } from "../../tunnel/protocol/mod.ts";
import { whoServer } from "../support/http_servers.ts";
import {
  AGENT,
  assertNoRestarts,
  createYaml,
  differences,
  type EchoWorkload,
  echoWorkload,
  getInCluster,
  readyPods,
  settledIntercept,
  snapshot,
  startClientPod,
  waitAllReach,
  waitRestored,
  withInjectionSetup,
} from "./_injection_support.ts";
import { getJson, rolloutStatus, waitFor } from "./cluster.ts";

const REPLICAS = 2;

/** The app container of a workload as the cluster holds it. */
function appContainer(workload: Workload) {
  const app = workload.spec.template.spec.containers.find((c) => c.name === "echo");
  assert.ok(app, "the app container is there");
  return app;
}

/** The port names the app's probes use. */
function probePorts(workload: Workload): unknown[] {
  const app = appContainer(workload);
  return [app.readinessProbe?.httpGet?.port, app.livenessProbe?.httpGet?.port];
}

/**
 * The common path: create the app, intercept it, check the injected objects with `injected`,
 * prove that traffic from inside the cluster reaches the handler, leave, and check that all
 * is restored exactly and the pods serve again without the agent.
 */
async function interceptAndRestore(
  client: ManagerClient,
  namespace: string,
  name: string,
  app: EchoWorkload,
  injected: (workload: Workload, services: Map<string, unknown>) => void,
): Promise<void> {
  await createYaml(app.yaml);
  await rolloutStatus(namespace, `${app.resource}/${name}`);
  await startClientPod(namespace);
  const before = await snapshot(namespace, {
    resource: app.resource,
    name,
    services: app.services,
  });
  const url = `http://${app.service}.${namespace}/`;
  assert.ok((await getInCluster(namespace, url)).pod, "the app answers before the intercept");

  await using dev = whoServer("dev");
  const created = await client.createIntercept(
    { name, namespace, workload: name, service: app.service, servicePort: "http", filters: [] },
    { host: "127.0.0.1", port: dev.port },
  );
  assert.equal(created.state, "waiting");
  const settled = await settledIntercept(client, name);
  assert.equal(settled.state, "active", settled.detail ?? "");

  const pods = await readyPods(namespace, name, REPLICAS, true);
  assertNoRestarts(pods);
  const carrying = await snapshot(namespace, {
    resource: app.resource,
    name,
    services: app.services,
  });
  assert.ok(carrying.workload.spec.template.spec.containers.some((c) => c.name === AGENT));
  injected(
    carrying.workload,
    new Map(carrying.services.map((s) => [s.metadata.name, s.spec.ports?.[0]?.targetPort])),
  );
  await waitAllReach(namespace, url, "dev", 6);
  assert.ok(dev.served >= 6, `the handler served ${dev.served} requests`);
  // The probes kept passing while traffic went to the developer.
  assertNoRestarts(await readyPods(namespace, name, REPLICAS, true));

  await client.removeIntercept(name);
  await waitRestored(before);
  assert.deepEqual(await differences(before), []);
  const restored = await readyPods(namespace, name, REPLICAS, false);
  assertNoRestarts(restored);
  const after = await getJson<Workload>([app.resource, name, "-n", namespace]);
  assert.deepEqual(probePorts(after), ["http", "http"], "the probes name the port again");
  await waitFor("the app to answer again", async () => {
    const body = await getInCluster(namespace, url);
    return body.who === undefined && typeof body.pod === "string";
  });
}

Deno.test("a Deployment whose Service targets a named port gets the agent in every pod, keeps its probes passing, and is restored exactly", async () => {
  await withInjectionSetup({}, async ({ namespaces: [ns], client }) => {
    const app = echoWorkload({ namespace: ns!, name: "web", targetPort: "named" });
    await interceptAndRestore(client, ns!, "web", app, (workload, targets) => {
      // The agent takes over the name; the app's port and its probes follow the new name.
      const renamed = appContainer(workload).ports?.[0]?.name;
      assert.ok(renamed !== undefined && renamed !== "http", `app port renamed to ${renamed}`);
      assert.deepEqual(probePorts(workload), [renamed, renamed]);
      const agent = workload.spec.template.spec.containers.find((c) => c.name === AGENT);
      assert.ok(agent?.ports?.some((p) => p.name === "http"), 'the agent declares "http"');
      assert.equal(targets.get("web"), "http", "the Service is left as it was");
    });
  });
});

Deno.test("a Deployment whose Service targets a port number gets the Service pointed at the agent and is restored exactly", async () => {
  await withInjectionSetup({}, async ({ namespaces: [ns], client }) => {
    const app = echoWorkload({ namespace: ns!, name: "web", targetPort: "numeric" });
    await interceptAndRestore(client, ns!, "web", app, (workload, targets) => {
      const target = targets.get("web");
      assert.ok(typeof target === "string" && target.startsWith("tpx-"), `target ${target}`);
      const agent = workload.spec.template.spec.containers.find((c) => c.name === AGENT);
      assert.ok(agent?.ports?.some((p) => p.name === target), "the agent declares the target");
      assert.equal(appContainer(workload).ports?.[0]?.name, "http", "the app's port is kept");
      assert.deepEqual(probePorts(workload), ["http", "http"]);
    });
    const service = await getJson<{ spec: { ports: { targetPort: unknown }[] } }>(
      ["service", "web", "-n", ns!],
    );
    assert.equal(service.spec.ports[0]?.targetPort, 8080, "the number is back");
  });
});

Deno.test("a StatefulSet with its headless Service gets the agent in every pod and is restored exactly", async () => {
  await withInjectionSetup({}, async ({ namespaces: [ns], client }) => {
    const app = echoWorkload({
      namespace: ns!,
      name: "db",
      kind: "StatefulSet",
      targetPort: "named",
    });
    await interceptAndRestore(client, ns!, "db", app, (workload, targets) => {
      assert.equal(workload.kind, "StatefulSet");
      const renamed = appContainer(workload).ports?.[0]?.name;
      assert.deepEqual(probePorts(workload), [renamed, renamed]);
      assert.equal(targets.get("db"), "http", "the headless Service is left as it was");
      assert.equal(targets.get("db-web"), "http");
    });
    const headless = await getJson<{ spec: { clusterIP: string } }>(["service", "db", "-n", ns!]);
    assert.equal(headless.spec.clusterIP, "None");
  });
});

Deno.test("a manager limited to two namespaces fails an intercept in a third, naming it and how to add it", async () => {
  await withInjectionSetup({ namespaces: 3, managed: 2 }, async ({ namespaces, client }) => {
    const outside = namespaces[2]!;
    const app = echoWorkload({ namespace: outside, name: "web", targetPort: "named" });
    await createYaml(app.yaml);
    await rolloutStatus(outside, "deployment/web");
    const before = await snapshot(outside, {
      resource: "deployment",
      name: "web",
      services: ["web"],
    });

    const spec = { name: "web", namespace: outside, workload: "web", filters: [] };
    const refused = await client.createIntercept(spec, { host: "127.0.0.1", port: 1 }).then(
      (created) => created.state === "waiting" ? settledIntercept(client, "web") : created,
      // A refusal at once would be as good, if it says the same.
      (error: Error) => ({
        state: "failed",
        detail: error instanceof TpxError && error.hint
          ? `${error.message} (${error.hint})`
          : error.message,
      }),
    );
    assert.equal(refused.state, "failed");
    const detail = refused.detail ?? "";
    assert.match(detail, new RegExp(`"${outside}"`), "the error names the namespace");
    assert.match(detail, /tpx manager upgrade/, `the error says how to fix it: ${detail}`);
    assert.match(detail, new RegExp(`--namespaces \\S*${outside}`), detail);
    assert.deepEqual(await differences(before), [], "the workload was not touched");
  });
});
