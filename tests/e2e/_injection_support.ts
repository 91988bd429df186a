/**
 * Shared setup of the end-to-end tests of the manager's own injection: app namespaces and a
 * manager limited to them, a {@link ManagerClient} through the Kubernetes port-forward, echo
 * workloads in several shapes, snapshots to compare after restoration, and requests made from
 * inside the cluster.
 *
 * @example
 * ```ts
 * await withInjectionSetup({}, async ({ namespaces: [ns], client }) => {
 *   await createYaml(echoWorkload({ namespace: ns!, name: "web", targetPort: "named" }).yaml);
 * });
 * ```
 * @module
 */
import assert from "node:assert/strict";
import { restorationDiff, type Service, type Workload } from "../../cluster/injection/mod.ts";
import { install } from "../../cluster/install/mod.ts";
import { connectKube, type KubeConnection } from "../../cluster/kube/mod.ts";
import { managerChannel } from "../../cluster/port_forward/mod.ts";
import { ManagerClient } from "../../cli/daemon/manager_client.ts";
import type { InterceptInfo } from "../../tunnel/protocol/mod.ts";
import { silentLogger } from "../../tunnel/log.ts";
import {
  clientPod,
  createNamespace,
  deleteNamespace,
  exec,
  forceRemoveManager,
  getJson,
  images,
  kubeconfigPath,
  kubectl,
  waitFor,
} from "./cluster.ts";

/** The agent's container name, as the injection writes it. */
export const AGENT = "tpx-agent";

/** How long the manager waits before removing an idle agent in these tests. */
export const AGENT_IDLE_MS = 2_000;

/**
 * Creates the objects of a manifest. `create`, not `apply`: kubectl would keep a
 * last-applied annotation that is not part of what the test compares.
 *
 * @param yaml the manifest
 */
export async function createYaml(yaml: string): Promise<void> {
  await kubectl(["create", "-f", "-"], { stdin: yaml, check: true });
}

/** What a test gets from {@link withInjectionSetup}. */
export interface InjectionSetup {
  /** The app namespaces, created for this test. */
  namespaces: string[];
  /** The manager's namespace. */
  managerNamespace: string;
  /** An admin connection to the cluster. */
  kube: KubeConnection;
  /** A started client of the manager, over the port-forward, arrived in all `namespaces`. */
  client: ManagerClient;
}

/** Options of {@link withInjectionSetup}. */
export interface InjectionSetupOptions {
  /** How many app namespaces to create; 1 by default. */
  namespaces?: number;
  /** The manager may change only the first `managed` of them; all by default. */
  managed?: number;
  /** The start of the namespaces' names. */
  prefix?: string;
}

/**
 * Runs `fn` with fresh app namespaces, a manager installed for them (idle agents removed after
 * {@link AGENT_IDLE_MS}) and a started client; removes all of it afterwards, whatever happens.
 *
 * @param options how many namespaces, and how many of them the manager manages
 * @param fn the test body
 * @returns what `fn` returns
 */
export async function withInjectionSetup<T>(
  options: InjectionSetupOptions,
  fn: (setup: InjectionSetup) => Promise<T>,
): Promise<T> {
  const prefix = options.prefix ?? "tpx-inject-app";
  const managerNamespace = `tpx-system-test-inject-${crypto.randomUUID().slice(0, 8)}`;
  const namespaces: string[] = [];
  let kube: KubeConnection | undefined;
  let client: ManagerClient | undefined;
  try {
    for (let i = 0; i < (options.namespaces ?? 1); i++) {
      namespaces.push(await createNamespace(prefix));
    }
    kube = await connectKube({ kubeconfig: kubeconfigPath() });
    await install(kube, {
      image: images.tpx,
      namespace: managerNamespace,
      namespaces: namespaces.slice(0, options.managed ?? namespaces.length),
      agentIdleMs: AGENT_IDLE_MS,
      logLevel: "debug",
    });
    const connection = kube;
    client = new ManagerClient({
      connect: () => managerChannel(connection, { namespace: managerNamespace }),
      user: "e2e",
      host: "test",
      namespaces,
      logger: silentLogger,
    });
    await client.start();
    return await fn({ namespaces, managerNamespace, kube, client });
  } finally {
    await client?.close();
    await kube?.close();
    await forceRemoveManager(managerNamespace);
    for (const namespace of namespaces) await deleteNamespace(namespace);
  }
}

/**
 * Waits until the manager reports the intercept as no longer waiting.
 *
 * @param client the owner
 * @param name the intercept's name
 * @returns the intercept, active or failed
 */
export function settledIntercept(client: ManagerClient, name: string): Promise<InterceptInfo> {
  return waitFor(`the intercept "${name}" to settle`, () => {
    const intercept = client.intercepts.find((i) => i.spec.name === name);
    return Promise.resolve(intercept?.state !== "waiting" && intercept);
  }, { timeoutMs: 120_000 });
}

/** Options of {@link echoWorkload}. */
export interface EchoWorkloadOptions {
  namespace: string;
  /** The workload's name and its pods' `app` label. */
  name: string;
  /** Deployment by default. */
  kind?: "Deployment" | "StatefulSet";
  /** 2 by default. */
  replicas?: number;
  /** Whether the Services reach the app by its port's name `http` or by its number 8080. */
  targetPort: "named" | "numeric";
}

/** A manifest of {@link echoWorkload} and the names in it. */
export interface EchoWorkload {
  yaml: string;
  /** `deployment` or `statefulset`, as kubectl names the kind. */
  resource: string;
  /** The Service that clients call, on port 80. */
  service: string;
  /** Every Service that selects the pods. */
  services: string[];
}

/**
 * The echo app with readiness and liveness probes that name its port `http`, and a Service
 * (port 80, named `http`) in front of it. A StatefulSet also gets its headless governing
 * Service, of the workload's name, and clients use a ClusterIP Service `<name>-web`: a
 * connection to a pod's own address on the app's port never passes a Service, so it cannot be
 * rerouted without kernel rules, which tpx does not use.
 *
 * @param options namespace, name, kind, replicas and how the Services target the app
 * @returns the manifest and the names of its Services
 */
export function echoWorkload(options: EchoWorkloadOptions): EchoWorkload {
  const { namespace, name } = options;
  const kind = options.kind ?? "Deployment";
  const target = options.targetPort === "named" ? "http" : "8080";
  const statefulSet = kind === "StatefulSet";
  const service = statefulSet ? `${name}-web` : name;
  const probe = "{httpGet: {path: /ready, port: http}, periodSeconds: 1, failureThreshold: 2}";
  const headless = `
---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  clusterIP: None
  selector: {app: ${name}}
  ports:
    - {name: http, port: 80, targetPort: ${target}, protocol: TCP}
`;
  const yaml = `
apiVersion: apps/v1
kind: ${kind}
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: ${options.replicas ?? 2}
  selector: {matchLabels: {app: ${name}}}${statefulSet ? `\n  serviceName: ${name}` : ""}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: echo
          image: ${images.echo}
          imagePullPolicy: IfNotPresent
          env:
            - name: POD_NAME
              valueFrom: {fieldRef: {fieldPath: metadata.name}}
          ports:
            - {name: http, containerPort: 8080, protocol: TCP}
          readinessProbe: ${probe}
          livenessProbe: ${probe}
---
apiVersion: v1
kind: Service
metadata: {name: ${service}, namespace: ${namespace}}
spec:
  selector: {app: ${name}}
  ports:
    - {name: http, port: 80, targetPort: ${target}, protocol: TCP}
${statefulSet ? headless : ""}`;
  return {
    yaml,
    resource: kind.toLowerCase(),
    service,
    services: statefulSet ? [service, name] : [service],
  };
}

/** A workload and its Services as the cluster held them at one moment. */
export interface Snapshot {
  namespace: string;
  resource: string;
  workload: Workload;
  services: Service[];
}

/**
 * Reads a workload and its Services.
 *
 * @param namespace their namespace
 * @param app the workload's kubectl resource and name, and its Services' names
 * @returns the objects
 */
export async function snapshot(
  namespace: string,
  app: { resource: string; name: string; services: readonly string[] },
): Promise<Snapshot> {
  const workload = await getJson<Workload>([app.resource, app.name, "-n", namespace]);
  const services: Service[] = [];
  for (const name of app.services) {
    services.push(await getJson<Service>(["service", name, "-n", namespace]));
  }
  return { namespace, resource: app.resource, workload, services };
}

/**
 * Where the objects now differ from `before`, once the server's own fields are left out.
 *
 * @param before the snapshot taken before the injection
 * @returns `Kind/name: path` of each difference; empty when restored exactly
 */
export async function differences(before: Snapshot): Promise<string[]> {
  const { namespace, resource, workload } = before;
  const name = workload.metadata.name;
  const now = await snapshot(namespace, {
    resource,
    name,
    services: before.services.map((s) => s.metadata.name),
  });
  const pairs: [unknown, unknown, string][] = [
    [workload, now.workload, `${workload.kind}/${name}`],
    ...before.services.map((s, i): [unknown, unknown, string] => [
      s,
      now.services[i],
      `Service/${s.metadata.name}`,
    ]),
  ];
  return pairs.flatMap(([a, b, what]) => restorationDiff(a, b).map((path) => `${what}: ${path}`));
}

/**
 * Waits until the manager has restored the workload and its Services exactly.
 *
 * @param before the snapshot taken before the injection
 * @throws {Error} naming the differences left when the time is up
 */
export async function waitRestored(before: Snapshot): Promise<void> {
  let left: string[] = [];
  try {
    await waitFor("the manager to restore the workload and its Services", async () => {
      left = await differences(before);
      return left.length === 0;
    }, { timeoutMs: 90_000 });
  } catch (error) {
    throw new Error(`${(error as Error).message}; still different: ${left.join(", ")}`);
  }
}

/** The parts of a pod these tests read. */
export interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { containers: { name: string }[] };
  status: {
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; ready: boolean; restartCount: number }[];
  };
}

/**
 * Waits until the workload has exactly `replicas` pods, none of them stopping, all Ready, each
 * with the agent or each without it.
 *
 * @param namespace the pods' namespace
 * @param app the pods' `app` label
 * @param replicas how many pods
 * @param withAgent whether they must carry the agent or must not
 * @returns the pods
 */
export function readyPods(
  namespace: string,
  app: string,
  replicas: number,
  withAgent: boolean,
): Promise<Pod[]> {
  const what = `${replicas} Ready pods of "${app}" ${withAgent ? "with" : "without"} the agent`;
  return waitFor(what, async () => {
    const { items } = await getJson<{ items: Pod[] }>([
      "pods",
      "-n",
      namespace,
      "-l",
      `app=${app}`,
    ]);
    const settled = items.length === replicas &&
      items.every((pod) =>
        pod.metadata.deletionTimestamp === undefined &&
        pod.spec.containers.some((c) => c.name === AGENT) === withAgent &&
        pod.status.conditions?.some((c) => c.type === "Ready" && c.status === "True")
      );
    return settled && items;
  }, { timeoutMs: 120_000 });
}

/**
 * Asserts that no container of the pods has restarted: a failing liveness probe would
 * restart the app.
 *
 * @param pods the pods
 */
export function assertNoRestarts(pods: readonly Pod[]): void {
  for (const pod of pods) {
    for (const status of pod.status.containerStatuses ?? []) {
      assert.equal(status.restartCount, 0, `${pod.metadata.name}/${status.name} restarted`);
    }
  }
}

/**
 * Starts a pod of the echo image to run client commands in, and waits until it runs.
 *
 * @param namespace its namespace
 * @returns its name
 */
export async function startClientPod(namespace: string): Promise<string> {
  await createYaml(clientPod(namespace));
  await kubectl(
    ["wait", "-n", namespace, "pod/client", "--for=condition=Ready", "--timeout=120s"],
    {
      check: true,
    },
  );
  return "client";
}

/**
 * GETs a URL from inside the cluster, with the echo image's client mode.
 *
 * @param namespace the client pod's namespace
 * @param url what to get
 * @returns the parsed JSON body
 * @throws {Error} with the client's output when the request fails
 */
export async function getInCluster(
  namespace: string,
  url: string,
): Promise<Record<string, unknown>> {
  const result = await exec(namespace, "client", ["tpx-echo", "get", url]);
  if (result.code !== 0) throw new Error(`GET ${url} failed: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/**
 * Waits until `count` requests in a row from inside the cluster are all answered by `who`,
 * the handler behind the intercept (a Service spreads them over every pod, so each pod's
 * agent has to route them).
 *
 * @param namespace the client pod's namespace
 * @param url what to get
 * @param who the `who` the handler answers with
 * @param count how many requests in a row
 */
export async function waitAllReach(
  namespace: string,
  url: string,
  who: string,
  count: number,
): Promise<void> {
  await waitFor(`${count} requests in a row to ${url} to reach "${who}"`, async () => {
    for (let i = 0; i < count; i++) {
      const body = await getInCluster(namespace, url);
      if (body.who !== who) return false;
    }
    return true;
  }, { timeoutMs: 90_000 });
}
