/**
 * Maps whatever a client-node call throws — an `ApiException` with the server's `Status`, or
 * a network failure — to a {@link TpxError}. Every caller of the Kubernetes API goes through
 * {@link toKubeError}, so the rest of tpx sees one vocabulary.
 *
 * @module
 */

import { TpxError } from "../../tunnel/protocol/errors.ts";
import { isRecord } from "./merge.ts";
import { networkError, type Target } from "./network_errors.ts";

/** Stable codes of the errors in this module. */
export const ApiErrorCode = {
  CredentialsRejected: "credentials_rejected",
  Forbidden: "rbac_forbidden",
  NotFound: "kube_not_found",
  AlreadyExists: "kube_already_exists",
  Conflict: "kube_conflict",
  Invalid: "kube_invalid",
  Unavailable: "kube_unavailable",
  Other: "kube_api_error",
} as const;

/** How the user authenticates, which decides the advice after a 401. */
export type AuthKind = "exec" | "token" | "tokenFile" | "certificate" | "other" | "none";

/** What an error message may name about the connection and the call. */
export interface KubeErrorContext extends Target {
  /** The kubeconfig user entry. */
  user: string;
  auth: AuthKind;
  /** The request, when the server's message does not say it. */
  call?: { verb: string; resource: string; namespace?: string };
}

/** An HTTP error answer of the API server; callers catch it for statuses such as 404 or 409. */
export class KubeApiError extends TpxError {
  /** The HTTP status. */
  readonly status: number;
  /** `reason` of the server's `Status`, such as `AlreadyExists`. */
  readonly reason: string | undefined;

  constructor(status: number, reason: string | undefined, error: TpxError) {
    const options = { code: error.code, retryable: error.retryable, cause: error.cause };
    super(
      error.category,
      error.message,
      error.hint === undefined ? options : { ...options, hint: error.hint },
    );
    this.name = "KubeApiError";
    this.status = status;
    this.reason = reason;
  }
}

/** The parts of a Kubernetes `Status` that messages use. */
interface Status {
  message: string;
  reason: string | undefined;
}

/**
 * Maps an error thrown by a client-node call.
 *
 * @param error what the call threw
 * @param context the connection and, optionally, the call
 * @returns `error` itself if it already is a TpxError; a {@link KubeApiError} for an HTTP
 *   answer; a `cluster_unreachable` or certificate error for a network failure; otherwise an
 *   internal error
 * @example
 * ```ts
 * try {
 *   await core.listNamespacedPod({ namespace: "shop" });
 * } catch (error) {
 *   throw toKubeError(error, { ...target, user: "jane", auth: "token" });
 * }
 * ```
 */
export function toKubeError(error: unknown, context: KubeErrorContext): TpxError {
  if (error instanceof TpxError) return error;
  const status = httpStatusOf(error);
  if (status !== undefined) {
    const parsed = parseStatus((error as { body?: unknown }).body);
    return new KubeApiError(status, parsed.reason, statusError(status, parsed, context, error));
  }
  return networkError(error, context) ??
    new TpxError("internal", `Kubernetes API call failed: ${messageOf(error)}`, { cause: error });
}

/**
 * The HTTP status of a client-node `ApiException`, which is recognised by shape so that this
 * module does not load client-node.
 */
export function httpStatusOf(error: unknown): number | undefined {
  if (!(error instanceof Error) || !("body" in error) || !("headers" in error)) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}

function statusError(
  status: number,
  parsed: Status,
  context: KubeErrorContext,
  cause: unknown,
): TpxError {
  const detail = parsed.message === "" ? `HTTP ${status}` : parsed.message;
  switch (true) {
    case status === 401:
      return credentialsRejected(context, cause);
    case status === 403:
      return forbidden(parsed.message, context, cause);
    case status === 404:
      return new TpxError("cluster", `Not found: ${detail}`, {
        code: ApiErrorCode.NotFound,
        cause,
      });
    case status === 409 && parsed.reason === "AlreadyExists":
      return new TpxError("cluster", `Already exists: ${detail}`, {
        code: ApiErrorCode.AlreadyExists,
        cause,
      });
    case status === 409:
      return new TpxError("cluster", `Conflicting change: ${detail}`, {
        code: ApiErrorCode.Conflict,
        retryable: true,
        cause,
      });
    case status === 422 || status === 400:
      return new TpxError("internal", `The cluster rejected a request: ${detail}`, {
        code: ApiErrorCode.Invalid,
        cause,
      });
    case status === 429 || status >= 500:
      return new TpxError(
        "cluster",
        `The cluster at "${context.server}" is unavailable: ${detail}`,
        {
          code: ApiErrorCode.Unavailable,
          hint:
            'try again shortly; "kubectl get --raw /readyz" shows whether the API server is healthy',
          retryable: true,
          cause,
        },
      );
    default:
      return new TpxError("cluster", `The cluster refused a request (HTTP ${status}): ${detail}`, {
        code: ApiErrorCode.Other,
        cause,
      });
  }
}

/**
 * The server rejected the credentials, also after a credential plugin was run again.
 *
 * @param context the connection
 * @param cause the rejected call's error
 * @returns a config error whose hint fits the way the user authenticates
 */
export function credentialsRejected(context: KubeErrorContext, cause?: unknown): TpxError {
  const user = `user "${context.user}"`;
  const hint = context.auth === "exec"
    ? `log in again with the tool behind the credential plugin of ${user}, and check that your ` +
      "identity is granted access to this cluster"
    : context.auth === "certificate"
    ? `the client certificate of ${user} is expired or not issued by this cluster's CA; ` +
      "refresh the kubeconfig from your cluster's provider"
    : context.auth === "none"
    ? `${user} has no credentials; refresh the kubeconfig from your cluster's provider`
    : `the token of ${user} is expired or revoked; get a new one and put it in the kubeconfig`;
  return new TpxError(
    "config",
    `The cluster at "${context.server}" rejected the credentials of ${user}`,
    { code: ApiErrorCode.CredentialsRejected, hint, cause },
  );
}

/** `User "jane" cannot list resource "pods" in API group "apps" in the namespace "shop"` */
const FORBIDDEN =
  /User "([^"]*)" cannot (\S+) resource "([^"]*)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]*)")?/;

function forbidden(message: string, context: KubeErrorContext, cause: unknown): TpxError {
  const match = FORBIDDEN.exec(message);
  const verb = match?.[2] ?? context.call?.verb ?? "access";
  const group = match?.[4] ?? "";
  const resource = match
    ? (group === "" ? match[3] : `${match[3]}.${group}`)
    : context.call?.resource;
  const namespace = match ? match[5] : context.call?.namespace;
  const who = match?.[1];
  const where = namespace === undefined ? "at cluster scope" : `in namespace "${namespace}"`;
  const what = resource === undefined ? "" : ` "${resource}"`;
  const identity = who === undefined
    ? `: ${message || "forbidden"}`
    : `: the cluster says you are "${who}"`;
  const canI = `kubectl auth can-i ${verb} ${resource ?? "RESOURCE"}` +
    (namespace === undefined ? "" : ` -n ${namespace}`);
  return new TpxError("cluster", `Not allowed to ${verb}${what} ${where}${identity}`, {
    code: ApiErrorCode.Forbidden,
    hint: `ask a cluster admin to grant "${verb}" on${what || " it"} ${where} to ` +
      `"${who ?? context.user}"; "${canI}" checks it`,
    cause,
  });
}

function parseStatus(body: unknown): Status {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return { message: body.trim().slice(0, 500), reason: undefined };
    }
  }
  if (!isRecord(value)) return { message: "", reason: undefined };
  return {
    message: typeof value.message === "string" ? value.message : "",
    reason: typeof value.reason === "string" ? value.reason : undefined,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0] ?? "" : String(error);
}
