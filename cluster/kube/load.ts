/**
 * Loads the kubeconfig the way kubectl does and resolves the context to use, into a
 * description of the connection and a client-node `KubeConfig` holding only that context.
 *
 * @module
 */

import type { KubeConfig } from "@kubernetes/client-node";
import type { AuthKind } from "./api_errors.ts";
import { type CredentialSource, TPX_AUTH_PROVIDER, TpxAuthenticator } from "./authenticator.ts";
import {
  contextEntryMissing,
  noCurrentContext,
  serverMissing,
  unknownContext,
} from "./config_errors.ts";
import { ExecPlugin } from "./exec_plugin.ts";
import { kubeconfigSources, readKubeconfigFiles } from "./kubeconfig_files.ts";
import { isRecord, type KubeconfigEntry, mergeKubeconfigs } from "./merge.ts";
import { TokenFile } from "./token_file.ts";
import { toClientCluster, toClientUser, toExecConfig } from "./to_client.ts";

/** How to find the cluster, as the `--kubeconfig`, `--context` and `-n` flags say. */
export interface KubeOptions {
  /** A kubeconfig file that replaces `KUBECONFIG` and `~/.kube/config`. */
  kubeconfig?: string;
  /** The context to use instead of `current-context`. */
  context?: string;
  /** The namespace to use instead of the context's. */
  namespace?: string;
  /** The environment (`KUBECONFIG`, `HOME`, `PATH` for plugins); the process's by default. */
  env?: Record<string, string>;
}

/** The resolved connection, for status output and error messages. */
export interface KubeConnectionInfo {
  /** The API server URL. */
  server: string;
  context: string;
  namespace: string;
  /** The cluster entry's name. */
  cluster: string;
  /** The user entry's name; empty for a context without one. */
  user: string;
  auth: AuthKind;
  /** The kubeconfig files that were read, in precedence order. */
  files: string[];
}

/** The result of {@link loadKube}. */
export interface LoadedKube {
  config: KubeConnectionInfo;
  kubeconfig: KubeConfig;
  /** Set when tpx supplies the credential and can refresh it after a 401. */
  authenticator: TpxAuthenticator | undefined;
}

/**
 * Loads and resolves the kubeconfig. Imports client-node, so only the daemon and the manager
 * call it.
 *
 * @param options the flags and environment
 * @returns the connection and a client-node `KubeConfig` for it
 * @throws {TpxError} a `config` error naming what is missing or wrong, with a hint
 * @example
 * ```ts
 * const { config } = await loadKube({ context: "dev", namespace: "shop" });
 * config.server; // "https://10.0.0.1:6443"
 * ```
 */
export async function loadKube(options: KubeOptions = {}): Promise<LoadedKube> {
  const env = options.env ?? Deno.env.toObject();
  const client = await import("@kubernetes/client-node");
  const files = await readKubeconfigFiles(
    kubeconfigSources(options.kubeconfig, env),
    (text) => client.loadYaml(text),
  );
  const merged = mergeKubeconfigs(files);
  const contextName = options.context || merged.currentContext;
  const known = [...merged.contexts.keys()];
  if (contextName === undefined) throw noCurrentContext(known);
  const context = merged.contexts.get(contextName);
  if (context === undefined) throw unknownContext(contextName, known);

  const clusterName = stringField(context, "cluster");
  const cluster = merged.clusters.get(clusterName);
  if (cluster === undefined) throw contextEntryMissing(contextName, "cluster", clusterName);
  const server = stringField(cluster, "server").replace(/\/+$/, "");
  if (server === "") throw serverMissing(clusterName);
  const userName = stringField(context, "user");
  const user = userName === "" ? undefined : merged.users.get(userName);
  if (userName !== "" && user === undefined) {
    throw contextEntryMissing(contextName, "user", userName);
  }

  const source = user && credentialSource(user, cluster, env);
  const authenticator = source && new TpxAuthenticator(source);
  const kubeconfig = new client.KubeConfig();
  kubeconfig.loadFromOptions({
    clusters: [toClientCluster(cluster, server)],
    users: [
      toClientUser(user?.name ?? "", user?.body ?? {}, source ? TPX_AUTH_PROVIDER : undefined),
    ],
    contexts: [{ name: contextName, cluster: clusterName, user: user?.name ?? "" }],
    currentContext: contextName,
  });
  if (authenticator) kubeconfig.addAuthenticator(authenticator);

  const namespace = options.namespace || stringField(context, "namespace") || "default";
  return {
    config: {
      server,
      context: contextName,
      namespace,
      cluster: clusterName,
      user: userName,
      auth: authKind(user?.body, source),
      files: merged.files,
    },
    kubeconfig,
    authenticator,
  };
}

function credentialSource(
  user: KubeconfigEntry,
  cluster: KubeconfigEntry,
  env: Record<string, string>,
): CredentialSource | undefined {
  const body = user.body;
  // kubectl prefers an inline token to a token file, and both to a plugin.
  if (typeof body.token === "string" && body.token !== "") return undefined;
  const tokenFile = body.tokenFile ?? body["token-file"];
  if (typeof tokenFile === "string" && tokenFile !== "") {
    return { kind: "tokenFile", file: new TokenFile(tokenFile, user.name) };
  }
  if (isRecord(body.exec)) {
    return {
      kind: "exec",
      plugin: new ExecPlugin(toExecConfig(user.name, body.exec, cluster), { env }),
    };
  }
  return undefined;
}

function authKind(
  body: Record<string, unknown> | undefined,
  source: CredentialSource | undefined,
): AuthKind {
  if (source) return source.kind;
  if (body === undefined) return "none";
  if (typeof body.token === "string" && body.token !== "") return "token";
  if (body["client-certificate-data"] || body["client-certificate"]) return "certificate";
  if (body["auth-provider"] || body.username) return "other";
  return "none";
}

function stringField(entry: KubeconfigEntry, field: string): string {
  const value = entry.body[field];
  return typeof value === "string" ? value : "";
}
