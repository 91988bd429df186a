/**
 * The connection a pod has to its own cluster, as client-go's `rest.InClusterConfig()` builds
 * it: the API server from `KUBERNETES_SERVICE_HOST`/`_PORT`, and the service account's CA,
 * rotating token and namespace from the files Kubernetes mounts into the pod. It is expressed
 * as a kubeconfig, so that it takes the same path — token re-reading, error mapping — as any
 * other connection.
 *
 * @module
 */
import { connectKube, type KubeConnection } from "./connect.ts";

/** Where Kubernetes mounts a pod's service account credentials. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * The kubeconfig of the pod's service account, or undefined outside a cluster.
 *
 * @param env the process's environment
 * @param namespace the pod's namespace (the service account's `namespace` file)
 * @param dir where the service account's files are; {@link SERVICE_ACCOUNT_DIR} by default
 * @returns a kubeconfig, as JSON (which is YAML), or undefined without `KUBERNETES_SERVICE_HOST`
 * @example
 * ```ts
 * inClusterKubeconfig({ KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" }, "tpx");
 * ```
 */
export function inClusterKubeconfig(
  env: Readonly<Record<string, string>>,
  namespace: string,
  dir = SERVICE_ACCOUNT_DIR,
): string | undefined {
  const host = env.KUBERNETES_SERVICE_HOST ?? "";
  if (host === "") return undefined;
  const port = env.KUBERNETES_SERVICE_PORT || "443";
  // An IPv6 address needs brackets in a URL.
  const server = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "in-cluster",
      cluster: { server, "certificate-authority": `${dir}/ca.crt` },
    }],
    users: [{ name: "service-account", user: { tokenFile: `${dir}/token` } }],
    contexts: [{
      name: "in-cluster",
      context: { cluster: "in-cluster", user: "service-account", namespace },
    }],
    "current-context": "in-cluster",
  });
}

/**
 * Connects with the pod's service account.
 *
 * @param env the process's environment
 * @param dir where the service account's files are; {@link SERVICE_ACCOUNT_DIR} by default
 * @returns the connection, or undefined outside a cluster
 * @throws {TpxError} a `config` error when the service account's files cannot be used
 */
export async function connectInCluster(
  env: Readonly<Record<string, string>> = Deno.env.toObject(),
  dir = SERVICE_ACCOUNT_DIR,
): Promise<KubeConnection | undefined> {
  let namespace = "default";
  try {
    namespace = (await Deno.readTextFile(`${dir}/namespace`)).trim() || namespace;
  } catch {
    // automountServiceAccountToken may omit it; "default" is what client-go assumes too.
  }
  const text = inClusterKubeconfig(env, namespace, dir);
  if (text === undefined) return undefined;
  // loadKube reads kubeconfig files; this one lives only until it has been read.
  const file = await Deno.makeTempFile({ prefix: "tpx-in-cluster-", suffix: ".json" });
  try {
    await Deno.writeTextFile(file, text);
    return await connectKube({ kubeconfig: file, env: { ...env } });
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}
