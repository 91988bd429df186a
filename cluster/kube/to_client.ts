/**
 * Turns merged kubeconfig entries into client-node's `Cluster` and `User` objects, and an
 * `exec` section into an {@link ExecConfig}.
 *
 * @module
 */

import type { Cluster, User } from "@kubernetes/client-node";
import { kubeconfigInvalid } from "./config_errors.ts";
import type { ExecConfig } from "./exec_plugin.ts";
import { isRecord, type KubeconfigEntry } from "./merge.ts";

/**
 * client-node's cluster for an entry.
 *
 * @param entry the merged cluster entry
 * @param server its server URL without a trailing slash
 * @returns the cluster as client-node wants it
 */
export function toClientCluster(entry: KubeconfigEntry, server: string): Cluster {
  const body = entry.body;
  return {
    name: entry.name,
    server,
    // client-node refuses a plain-HTTP server unless TLS checks are off, which kubectl does
    // not demand; for http:// there is no TLS to check anyway.
    skipTLSVerify: body["insecure-skip-tls-verify"] === true || server.startsWith("http:"),
    ...optional("caData", body["certificate-authority-data"]),
    ...optional("caFile", body["certificate-authority"]),
    ...optional("tlsServerName", body["tls-server-name"]),
    ...optional("proxyUrl", body["proxy-url"]),
  };
}

/**
 * client-node's user for an entry. `exec` and `tokenFile` are left out: tpx supplies those
 * credentials through the authenticator named `authProvider`.
 *
 * @param name the user entry's name
 * @param body its body
 * @param authProvider the authenticator that supplies the credential, if tpx does
 * @returns the user as client-node wants it
 */
export function toClientUser(
  name: string,
  body: Record<string, unknown>,
  authProvider: string | undefined,
): User {
  const provider = authProvider === undefined
    ? body["auth-provider"]
    : { name: authProvider, config: {} };
  return {
    name,
    ...optional("certData", body["client-certificate-data"]),
    ...optional("certFile", body["client-certificate"]),
    ...optional("keyData", body["client-key-data"]),
    ...optional("keyFile", body["client-key"]),
    ...optional("token", body.token),
    ...optional("username", body.username),
    ...optional("password", body.password),
    ...optional("impersonateUser", body.as),
    ...(isRecord(provider) ? { authProvider: provider } : {}),
  };
}

/**
 * The `exec` section of a user, checked for the fields tpx needs.
 *
 * @param user the user entry's name
 * @param exec its `exec` section
 * @param cluster the cluster, passed to the plugin when `provideClusterInfo` is set
 * @returns the plugin's configuration
 * @throws {TpxError} `kubeconfig_invalid` for an exec section without a command
 */
export function toExecConfig(
  user: string,
  exec: Record<string, unknown>,
  cluster: KubeconfigEntry,
): ExecConfig {
  const command = typeof exec.command === "string" ? exec.command : "";
  if (command === "") {
    throw kubeconfigInvalid(cluster.source, `"exec" of user "${user}" has no command`);
  }
  const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
  const env = Array.isArray(exec.env)
    ? exec.env.filter(isRecord).map((item) => ({
      name: String(item.name ?? ""),
      value: String(item.value ?? ""),
    }))
    : [];
  const config: ExecConfig = {
    user,
    command,
    args,
    env,
    apiVersion: typeof exec.apiVersion === "string" ? exec.apiVersion : "",
  };
  if (typeof exec.installHint === "string") config.installHint = exec.installHint;
  if (exec.provideClusterInfo === true) config.cluster = execClusterInfo(cluster.body);
  return config;
}

/** The cluster as `KUBERNETES_EXEC_INFO` carries it (`spec.cluster`). */
function execClusterInfo(body: Record<string, unknown>): Record<string, unknown> {
  const info: Record<string, unknown> = { server: body.server };
  for (const field of ["certificate-authority-data", "tls-server-name", "proxy-url"]) {
    if (typeof body[field] === "string") info[field] = body[field];
  }
  if (body["insecure-skip-tls-verify"] === true) info["insecure-skip-tls-verify"] = true;
  return info;
}

function optional<K extends string>(key: K, value: unknown): { [P in K]?: string } {
  return typeof value === "string" && value !== "" ? { [key]: value } as { [P in K]: string } : {};
}
