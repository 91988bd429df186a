// End-to-end test of the manager's lookups on the local cluster: the manager answers from its
// watches of Services and EndpointSlices, with the ports, follows Services created and deleted
// while a daemon is connected, answers StatefulSet pods of a headless Service, and knows only
// the namespaces it manages.
import assert from "node:assert/strict";
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
  forceRemoveManager,
  images,
  kubeconfigPath,
  kubectl,
  rolloutStatus,
  waitFor,
} from "./cluster.ts";

async function cleanup(managerNs: string, appNs?: string): Promise<void> {
  if (appNs) await deleteNamespace(appNs);
  await forceRemoveManager(managerNs);
}

async function jsonpath(args: readonly string[], path: string): Promise<string> {
  const { stdout } = await kubectl(["get", ...args, "-o", `jsonpath=${path}`], { check: true });
  return stdout.trim();
}

/** A headless Service and a one-pod StatefulSet of the echo image behind it. */
function statefulEcho(namespace: string, name: string): string {
  return `
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  clusterIP: None
  selector: {app: ${name}}
  ports:
    - {name: http, port: 8080, protocol: TCP}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  serviceName: ${name}
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: echo
          image: ${images.echo}
          imagePullPolicy: IfNotPresent
          ports:
            - {name: http, containerPort: 8080, protocol: TCP}
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
            periodSeconds: 1
`;
}

Deno.test("the manager answers lookups from its watches, with ports, and follows Services as they change", async () => {
  const managerNs = `tpx-system-test-lookup-${crypto.randomUUID().slice(0, 8)}`;
  const appNs = await createNamespace("tpx-lookup-app");
  await using kube = await connectKube({ kubeconfig: kubeconfigPath() });
  let client: ManagerClient | undefined;
  try {
    await applyYaml(echoApp({ namespace: appNs, name: "echo" }));
    await applyYaml(statefulEcho(appNs, "db"));
    await install(kube, {
      image: images.tpx,
      namespace: managerNs,
      namespaces: [appNs],
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
    const lookup = (name: string) => client!.lookup(name);

    const echoIp = await jsonpath(["service", "echo", "-n", appNs], "{.spec.clusterIP}");
    const echo = await lookup(`echo.${appNs}.svc.cluster.local`);
    assert.equal(echo.kind, "service");
    assert.equal(echo.canonical, `echo.${appNs}.svc.cluster.local`);
    assert.deepEqual(echo.addresses, [echoIp]);
    assert.deepEqual(echo.ports, [
      { name: "http", port: 80, protocol: "TCP" },
      { name: "udp", port: 9090, protocol: "UDP" },
    ]);
    // The short form a stub might pass on is the same Service.
    assert.deepEqual((await lookup(`echo.${appNs}`)).addresses, [echoIp]);

    // A namespace the manager does not manage is unknown to it.
    assert.equal((await lookup("kubernetes.default.svc.cluster.local")).kind, "none");

    // A Service created after connecting is found; once deleted, it is gone.
    await applyYaml(`
apiVersion: v1
kind: Service
metadata: {name: late, namespace: ${appNs}}
spec:
  selector: {app: nothing}
  ports:
    - {name: dns, port: 5353, protocol: UDP}
`);
    const lateIp = await jsonpath(["service", "late", "-n", appNs], "{.spec.clusterIP}");
    const late = await waitFor("the new Service to be looked up", async () => {
      const answer = await lookup(`late.${appNs}.svc.cluster.local`);
      return answer.kind === "service" && answer;
    }, { timeoutMs: 15_000, intervalMs: 200 });
    assert.deepEqual(late.addresses, [lateIp]);
    assert.deepEqual(late.ports, [{ name: "dns", port: 5353, protocol: "UDP" }]);
    await kubectl(["delete", "service", "late", "-n", appNs], { check: true });
    await waitFor("the deleted Service to be gone", async () => {
      return (await lookup(`late.${appNs}.svc.cluster.local`)).kind === "none";
    }, { timeoutMs: 15_000, intervalMs: 200 });

    // A StatefulSet's pod behind a headless Service, by its hostname and through the Service.
    await rolloutStatus(appNs, "statefulset/db");
    const podIp = await jsonpath(["pod", "db-0", "-n", appNs], "{.status.podIP}");
    const pod = await waitFor("the StatefulSet pod to be looked up", async () => {
      const answer = await lookup(`db-0.db.${appNs}.svc.cluster.local`);
      return answer.kind === "pod" && answer;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    assert.deepEqual(pod.addresses, [podIp]);
    const headless = await lookup(`db.${appNs}.svc.cluster.local`);
    assert.equal(headless.kind, "headless");
    assert.deepEqual(headless.addresses, [podIp]);
    assert.deepEqual(headless.ports, [{ name: "http", port: 8080, protocol: "TCP" }]);
  } finally {
    await client?.close();
    await cleanup(managerNs, appNs);
  }
});

Deno.test("a manager of every namespace answers for all of them and follows new namespaces", async () => {
  const managerNs = `tpx-system-test-lookup-all-${crypto.randomUUID().slice(0, 8)}`;
  await using kube = await connectKube({ kubeconfig: kubeconfigPath() });
  let client: ManagerClient | undefined;
  let appNs = "";
  try {
    await install(kube, { image: images.tpx, namespace: managerNs, logLevel: "debug" });
    client = new ManagerClient({
      connect: () => managerChannel(kube, { namespace: managerNs }),
      user: "e2e",
      host: "test",
      namespaces: ["default"],
      logger: silentLogger,
    });
    await client.start();
    const lookup = (name: string) => client!.lookup(name);

    const kubernetesIp = await jsonpath(
      ["service", "kubernetes", "-n", "default"],
      "{.spec.clusterIP}",
    );
    const kubernetes = await lookup("kubernetes.default.svc.cluster.local");
    assert.equal(kubernetes.kind, "service");
    assert.deepEqual(kubernetes.addresses, [kubernetesIp]);
    assert.deepEqual(kubernetes.ports, [{ name: "https", port: 443, protocol: "TCP" }]);

    // A namespace created after connecting, and a pod name in it.
    appNs = await createNamespace("tpx-lookup-all");
    await waitFor("the new namespace to be known", async () => {
      return (await lookup(`10-1-2-3.${appNs}.pod.cluster.local`)).kind === "pod";
    }, { timeoutMs: 15_000, intervalMs: 200 });
    await applyYaml(echoApp({ namespace: appNs, name: "echo" }));
    const echo = await waitFor("the new namespace's Service", async () => {
      const answer = await lookup(`echo.${appNs}.svc.cluster.local`);
      return answer.kind === "service" && answer;
    }, { timeoutMs: 15_000, intervalMs: 200 });
    assert.deepEqual(echo.ports.map((p) => p.port), [80, 9090]);
  } finally {
    await client?.close();
    if (appNs) await deleteNamespace(appNs);
    await cleanup(managerNs);
  }
});
