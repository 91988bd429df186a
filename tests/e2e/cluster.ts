/**
 * Helpers for end-to-end tests against the local cluster that `deno task cluster:up` starts
 * (see `tests/cluster/cluster.sh`): run kubectl with its admin kubeconfig, apply manifests,
 * wait for conditions, and give each test a namespace of its own.
 *
 * @example
 * ```ts
 * import { applyYaml, echoApp, rolloutStatus, withNamespace } from "./cluster.ts";
 *
 * await withNamespace("demo", async (ns) => {
 *   await applyYaml(echoApp({ namespace: ns, name: "echo", replicas: 2 }));
 *   await rolloutStatus(ns, "deployment/echo");
 * });
 * ```
 * @module
 */

/** Images the cluster holds locally; nothing is ever pulled. */
export const images = {
  /** The test app: HTTP and UDP echo, plus `get`, `lookup`, `udp` client modes. */
  echo: "localhost/tpx-echo:tpx",
  /** The project's own image, built by `tests/cluster/image.sh`. */
  tpx: "localhost/tpx:dev",
} as const;

/** The output of one finished command. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@linkcode kubectl}. */
export interface KubectlOptions {
  /** Text written to kubectl's standard input. */
  stdin?: string;
  /** Throw {@linkcode KubectlError} unless kubectl exits with 0. */
  check?: boolean;
}

/** A kubectl command that exited with a non-zero code. */
export class KubectlError extends Error {
  /** The failed command's output. */
  readonly result: CommandResult;

  /**
   * @param args kubectl's arguments
   * @param result what the command printed and returned
   */
  constructor(args: readonly string[], result: CommandResult) {
    super(`kubectl ${args.join(" ")} exited with ${result.code}: ${result.stderr.trim()}`);
    this.name = "KubectlError";
    this.result = result;
  }
}

/**
 * The directory of the cluster's builds, caches and credentials.
 *
 * @returns `${XDG_CACHE_HOME:-$HOME/.cache}/tpx-cluster`
 */
export function cacheDir(): string {
  const base = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache`;
  return `${base}/tpx-cluster`;
}

/**
 * The admin kubeconfig of the local cluster.
 *
 * @returns its path; it exists once `deno task cluster:up` has run
 */
export function kubeconfigPath(): string {
  return `${cacheDir()}/admin.kubeconfig`;
}

/**
 * The directory of everything the running cluster creates (etcd data, containerd, kubelet,
 * logs, pid files); `deno task cluster:down` removes it.
 *
 * @returns `$TPX_RUN`, or `/var/lib/tpx-cluster` as `tests/cluster/env.sh` defaults it
 */
export function runDir(): string {
  return Deno.env.get("TPX_RUN") ?? "/var/lib/tpx-cluster";
}

/**
 * The cluster CA's certificate, for clients that authenticate without the admin kubeconfig.
 *
 * @returns its path
 */
export function caCertPath(): string {
  return `${cacheDir()}/pki/ca.crt`;
}

/**
 * The kubectl built with the cluster.
 *
 * @returns its path
 */
export function kubectlPath(): string {
  return `${cacheDir()}/bin/kubectl`;
}

/**
 * `kubectl get ARGS -o json`, parsed.
 *
 * @param args what to get, e.g. `["deployment", "echo", "-n", ns]`
 * @returns the object or list
 * @throws {KubectlError} when kubectl fails
 */
export async function getJson<T>(args: readonly string[]): Promise<T> {
  const { stdout } = await kubectl(["get", ...args, "-o", "json"], { check: true });
  return JSON.parse(stdout) as T;
}

/**
 * `tpx connect` to the local cluster through its admin kubeconfig.
 *
 * @param managerNamespace where the manager runs
 * @param namespace the session's namespace
 * @param systemDns whether the daemon may change the machine's resolver (root only)
 * @returns the arguments
 */
export function clusterConnectArgs(
  managerNamespace: string,
  namespace: string,
  systemDns: "auto" | "off" = "off",
): string[] {
  return [
    "connect",
    "--kubeconfig",
    kubeconfigPath(),
    "--manager-namespace",
    managerNamespace,
    "-n",
    namespace,
    "--system-dns",
    systemDns,
  ];
}

/**
 * kubectl's environment: its discovery cache lives with the cluster's other files, so nothing
 * is left in the user's ~/.kube once the cluster is gone.
 *
 * @returns the variables to add
 */
export function kubectlEnv(): Record<string, string> {
  return { KUBECACHEDIR: `${cacheDir()}/kube-cache` };
}

/**
 * Runs kubectl (the one built with the cluster) against the local cluster.
 *
 * @param args kubectl's arguments, without `--kubeconfig`
 * @param options standard input, and whether a failure throws
 * @returns the exit code and the output
 * @throws {KubectlError} when `options.check` is set and kubectl fails
 * @example
 * ```ts
 * const { stdout } = await kubectl(["get", "nodes", "-o", "name"], { check: true });
 * ```
 */
export async function kubectl(
  args: readonly string[],
  options: KubectlOptions = {},
): Promise<CommandResult> {
  const command = new Deno.Command(kubectlPath(), {
    args: ["--kubeconfig", kubeconfigPath(), ...args],
    env: kubectlEnv(),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = command.spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const decoder = new TextDecoder();
  const result = {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
  if (options.check && result.code !== 0) throw new KubectlError(args, result);
  return result;
}

/**
 * Applies a manifest (one or more YAML documents).
 *
 * @param yaml the manifest
 * @throws {KubectlError} when kubectl refuses it
 */
export async function applyYaml(yaml: string): Promise<void> {
  await kubectl(["apply", "-f", "-"], { stdin: yaml, check: true });
}

/** Options of {@linkcode waitFor}. */
export interface WaitOptions {
  /** Give up after this long; 60 s by default. */
  timeoutMs?: number;
  /** Pause between attempts; 500 ms by default. */
  intervalMs?: number;
}

/**
 * Calls `check` until it returns a value other than `undefined` or `false`.
 *
 * @param what what is awaited, for the error message
 * @param check one attempt; a thrown error counts as "not yet"
 * @param options timeout and interval
 * @returns the first value `check` returned that was not `undefined` or `false`
 * @throws {Error} naming `what` and the last error, once the time is up
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  options: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown;
  while (true) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : "";
      throw new Error(`Timed out waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
}

/**
 * Waits until a workload's rollout has finished.
 *
 * @param namespace the workload's namespace
 * @param resource e.g. `deployment/echo` or `statefulset/db`
 * @param timeoutSeconds how long kubectl waits
 * @throws {KubectlError} when the rollout does not finish in time
 */
export async function rolloutStatus(
  namespace: string,
  resource: string,
  timeoutSeconds = 120,
): Promise<void> {
  await kubectl(["rollout", "status", "-n", namespace, resource, `--timeout=${timeoutSeconds}s`], {
    check: true,
  });
}

/**
 * Creates a namespace with a random suffix.
 *
 * @param prefix the start of its name
 * @returns the namespace's name
 */
export async function createNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  await kubectl(["create", "namespace", name], { check: true });
  // Pods cannot be created before the namespace's default ServiceAccount exists.
  await waitFor(`the default ServiceAccount of "${name}"`, async () => {
    const { code } = await kubectl(["get", "serviceaccount", "default", "-n", name]);
    return code === 0;
  });
  return name;
}

/**
 * Deletes a namespace and waits until it is gone.
 *
 * @param namespace the namespace
 */
export async function deleteNamespace(namespace: string): Promise<void> {
  await kubectl(["delete", "namespace", namespace, "--ignore-not-found", "--timeout=120s"], {
    check: true,
  });
}

/**
 * Removes a test's manager without tpx (which the test may have broken): its cluster-wide
 * and per-namespace RBAC, found by their labels, and its namespace.
 *
 * @param managerNamespace the manager's namespace
 */
export async function forceRemoveManager(managerNamespace: string): Promise<void> {
  const selector = `tpx.dev/manager-namespace=${managerNamespace}`;
  await kubectl([
    "delete",
    "clusterroles,clusterrolebindings",
    "-l",
    selector,
    "--ignore-not-found",
  ]);
  await kubectl(["delete", "roles,rolebindings", "-A", "-l", selector, "--ignore-not-found"]);
  await deleteNamespace(managerNamespace);
}

/**
 * Runs `fn` with a fresh namespace, deleting the namespace afterwards whatever happens.
 *
 * @param prefix the start of the namespace's name
 * @param fn the test body
 * @returns what `fn` returns
 */
export async function withNamespace<T>(
  prefix: string,
  fn: (namespace: string) => Promise<T>,
): Promise<T> {
  const namespace = await createNamespace(prefix);
  try {
    return await fn(namespace);
  } finally {
    await deleteNamespace(namespace);
  }
}

/**
 * Runs a command in a pod's (first) container.
 *
 * @param namespace the pod's namespace
 * @param pod the pod, or e.g. `deployment/echo`
 * @param command the command and its arguments
 * @returns the command's exit code and output
 */
export function exec(
  namespace: string,
  pod: string,
  command: readonly string[],
): Promise<CommandResult> {
  return kubectl(["exec", "-n", namespace, pod, "--", ...command]);
}

/**
 * Names of the pods that match a label selector.
 *
 * @param namespace the pods' namespace
 * @param selector e.g. `app=echo`
 * @returns the names, sorted
 */
export async function podNames(namespace: string, selector: string): Promise<string[]> {
  const { stdout } = await kubectl(
    ["get", "pods", "-n", namespace, "-l", selector, "-o", "jsonpath={.items[*].metadata.name}"],
    { check: true },
  );
  return stdout.split(/\s+/).filter((name) => name !== "").sort();
}

/** Options of {@linkcode echoApp}. */
export interface EchoAppOptions {
  namespace: string;
  /** Name of the Deployment and the Service, and the pods' `app` label. */
  name: string;
  /** 1 by default. */
  replicas?: number;
}

/**
 * A Deployment of the echo test app with a Service in front of it: port 80 (TCP, named
 * `http`) to the app's 8080, port 9090 (UDP, named `udp`) to its UDP echo.
 *
 * @param options namespace, name and replicas
 * @returns the manifest, for {@linkcode applyYaml}
 */
export function echoApp(options: EchoAppOptions): string {
  const { namespace, name } = options;
  return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: ${options.replicas ?? 1}
  selector: {matchLabels: {app: ${name}}}
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
            - {name: udp, containerPort: 9090, protocol: UDP}
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
            periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {app: ${name}}
  ports:
    - {name: http, port: 80, targetPort: http, protocol: TCP}
    - {name: udp, port: 9090, targetPort: udp, protocol: UDP}
`;
}

/**
 * A pod of the echo image that only waits, to run client commands in with {@linkcode exec}.
 *
 * @param namespace the pod's namespace
 * @param name the pod's name
 * @returns the manifest, for {@linkcode applyYaml}
 */
export function clientPod(namespace: string, name = "client"): string {
  return `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${namespace}, labels: {app: ${name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: client
      image: ${images.echo}
      imagePullPolicy: IfNotPresent
      args: [sleep]
`;
}

/** A running `kubectl port-forward`. */
export interface PortForward {
  /** The loopback port that reaches the target. */
  localPort: number;
  /** Ends kubectl and waits until it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts `kubectl port-forward` from a free loopback port to `target`'s `port`.
 *
 * @param namespace the target's namespace
 * @param target e.g. `pod/echo-abc` or `service/echo`
 * @param port the remote port
 * @returns the local port, once kubectl listens, and a way to stop it
 * @throws {Error} when kubectl exits before it listens
 */
export async function portForward(
  namespace: string,
  target: string,
  port: number,
): Promise<PortForward> {
  const child = new Deno.Command(kubectlPath(), {
    args: ["--kubeconfig", kubeconfigPath(), "port-forward", "-n", namespace, target, `:${port}`],
    env: kubectlEnv(),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) {
      await child.status;
      throw new Error(`kubectl port-forward exited: ${seen}${await stderr}`);
    }
    seen += value;
    const match = seen.match(/Forwarding from 127\.0\.0\.1:(\d+)/);
    if (match) {
      // Keep draining stdout so kubectl never blocks on a full pipe.
      const drain = (async () => {
        while (!(await reader.read()).done) { /* discard */ }
      })();
      return {
        localPort: Number(match[1]),
        stop: async () => {
          child.kill("SIGTERM");
          await child.status;
          await drain;
          await stderr;
        },
      };
    }
  }
}
