/**
 * Errors about the kubeconfig itself: nothing to load, a file that cannot be read, a context
 * that is unknown or incomplete. Each names what is wrong and how to fix it.
 *
 * @module
 */

import { TpxError } from "../../tunnel/protocol/errors.ts";

/** Stable codes of the errors in this module. */
export const KubeConfigErrorCode = {
  Missing: "kubeconfig_missing",
  Unreadable: "kubeconfig_unreadable",
  Invalid: "kubeconfig_invalid",
  NoCurrentContext: "kubeconfig_no_current_context",
  UnknownContext: "kubeconfig_unknown_context",
  ClusterMissing: "kubeconfig_cluster_missing",
  UserMissing: "kubeconfig_user_missing",
  ServerMissing: "kubeconfig_server_missing",
} as const;

/** Cites a list of names the way messages quote values: `"a", "b"`. */
export function quoteList(names: readonly string[]): string {
  return names.map((name) => `"${name}"`).join(", ");
}

/**
 * No kubeconfig file exists in any place that was looked at.
 *
 * @param looked the paths that were tried, in order
 * @returns a config error that lists them
 */
export function kubeconfigMissing(looked: readonly string[]): TpxError {
  return new TpxError("config", `No kubeconfig found: looked in ${quoteList(looked)}`, {
    code: KubeConfigErrorCode.Missing,
    hint: "set KUBECONFIG or pass --kubeconfig PATH",
  });
}

/**
 * A kubeconfig file that was named explicitly but cannot be read.
 *
 * @param path the file
 * @param cause what reading it threw
 * @returns a config error naming the file and the reason
 */
export function kubeconfigUnreadable(path: string, cause: unknown): TpxError {
  const reason = cause instanceof Deno.errors.NotFound
    ? "no such file"
    : cause instanceof Deno.errors.PermissionDenied
    ? "permission denied"
    : cause instanceof Deno.errors.IsADirectory
    ? "it is a directory"
    : firstLine(cause);
  return new TpxError("config", `Cannot read kubeconfig "${path}": ${reason}`, {
    code: KubeConfigErrorCode.Unreadable,
    hint: "check the path given with --kubeconfig or in KUBECONFIG",
    cause,
  });
}

/**
 * A kubeconfig file that is not valid YAML or not shaped like a kubeconfig.
 *
 * @param path the file
 * @param detail what is wrong, such as the parser's message
 * @returns a config error naming the file
 */
export function kubeconfigInvalid(path: string, detail: string, cause?: unknown): TpxError {
  return new TpxError("config", `Cannot load kubeconfig "${path}": ${detail}`, {
    code: KubeConfigErrorCode.Invalid,
    hint: `fix the file; "kubectl config view --kubeconfig ${path}" shows how kubectl reads it`,
    cause,
  });
}

/**
 * Neither `--context` nor `current-context` chose a context.
 *
 * @param known the contexts the kubeconfig defines
 * @returns a config error listing them
 */
export function noCurrentContext(known: readonly string[]): TpxError {
  const detail = known.length === 0
    ? "the kubeconfig defines no contexts"
    : `known contexts are ${quoteList(known)}`;
  return new TpxError("config", `No current context is set: ${detail}`, {
    code: KubeConfigErrorCode.NoCurrentContext,
    hint: known.length === 0
      ? "get a kubeconfig for your cluster from its provider"
      : 'pass --context NAME, or run "kubectl config use-context NAME"',
  });
}

/**
 * The chosen context does not exist.
 *
 * @param name the context asked for
 * @param known the contexts the kubeconfig defines
 * @returns a config error listing the known contexts
 */
export function unknownContext(name: string, known: readonly string[]): TpxError {
  const detail = known.length === 0
    ? "the kubeconfig defines no contexts"
    : `known contexts are ${quoteList(known)}`;
  return new TpxError("config", `Unknown context "${name}": ${detail}`, {
    code: KubeConfigErrorCode.UnknownContext,
    hint: 'pass one of them with --context; "kubectl config get-contexts" lists them',
  });
}

/**
 * The context names a cluster or user entry that the kubeconfig lacks.
 *
 * @param context the context
 * @param kind which entry is missing
 * @param name the name the context gives
 * @returns a config error naming the context and the entry
 */
export function contextEntryMissing(
  context: string,
  kind: "cluster" | "user",
  name: string,
): TpxError {
  const flag = kind === "cluster" ? "--cluster" : "--user";
  return new TpxError(
    "config",
    `Context "${context}" is incomplete: ${kind} "${name}" is not defined in the kubeconfig`,
    {
      code: kind === "cluster"
        ? KubeConfigErrorCode.ClusterMissing
        : KubeConfigErrorCode.UserMissing,
      hint: `add ${kind} "${name}" to the kubeconfig (refresh it from your cluster's provider), ` +
        `or point the context at another one: "kubectl config set-context ${context} ${flag}=NAME"`,
    },
  );
}

/**
 * A cluster entry without a `server` address.
 *
 * @param cluster the cluster entry
 * @returns a config error naming it
 */
export function serverMissing(cluster: string): TpxError {
  return new TpxError("config", `Cluster "${cluster}" has no server address`, {
    code: KubeConfigErrorCode.ServerMissing,
    hint: `set it with "kubectl config set-cluster ${cluster} --server=https://HOST:PORT"`,
  });
}

/** The first line of an error's message, for messages that must stay one line. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.trim().split("\n")[0] ?? "";
}
