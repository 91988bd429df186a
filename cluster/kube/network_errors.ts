/**
 * Failures to reach the API server at all — refused, unknown host, no answer, certificate
 * rejected — as errors that name the address and the fix. client-node surfaces them as
 * undici's `TypeError: fetch failed` with the socket error as `cause`.
 *
 * @module
 */

import { TpxError } from "../../tunnel/protocol/errors.ts";

/** Stable codes of the errors in this module. */
export const NetworkErrorCode = {
  Unreachable: "cluster_unreachable",
  UnknownAuthority: "cluster_certificate_unknown_authority",
  Expired: "cluster_certificate_expired",
  NameMismatch: "cluster_certificate_name_mismatch",
  Rejected: "cluster_certificate_rejected",
} as const;

/** Where a request was going, for messages. */
export interface Target {
  /** The server URL of the cluster entry. */
  server: string;
  /** The cluster entry's name. */
  cluster: string;
}

const UNREACHABLE: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "no route to host",
  ENETUNREACH: "network unreachable",
  EPIPE: "connection closed",
  UND_ERR_SOCKET: "connection closed",
};

const DNS = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NONAME", "EAI_NODATA"]);
const TIMEOUT = new Set(["ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT"]);

const UNKNOWN_AUTHORITY = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
]);
const EXPIRED = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);
const NAME_MISMATCH = new Set(["ERR_TLS_CERT_ALTNAME_INVALID"]);

/**
 * Maps a failure to reach the server, or returns undefined if `error` is something else.
 *
 * @param error what the request threw
 * @param target where it was going
 * @param waitedMs how long the caller waited, named when the request timed out
 * @returns a cluster error, or undefined
 * @example
 * ```ts
 * const mapped = networkError(error, { server: "https://10.0.0.1:6443", cluster: "prod" }, 5000);
 * if (mapped) throw mapped;
 * ```
 */
export function networkError(
  error: unknown,
  target: Target,
  waitedMs?: number,
): TpxError | undefined {
  const { code, message } = socketError(error);
  const host = hostOf(target.server);
  if (isTimeout(error) || TIMEOUT.has(code)) {
    if (waitedMs !== undefined) return noAnswer(target, waitedMs, error);
    return unreachable(target, "no answer", error);
  }
  if (code in UNREACHABLE) return unreachable(target, UNREACHABLE[code] ?? code, error);
  if (DNS.has(code)) return unreachable(target, `host "${host}" not found (DNS)`, error);
  if (UNKNOWN_AUTHORITY.has(code) || /UnknownIssuer/i.test(message)) {
    return certificateError(
      target,
      NetworkErrorCode.UnknownAuthority,
      "signed by an unknown authority",
      error,
    );
  }
  if (EXPIRED.has(code) || /Expired|NotValidYet/i.test(message)) {
    return certificateError(target, NetworkErrorCode.Expired, "expired or not yet valid", error);
  }
  if (NAME_MISMATCH.has(code) || /NotValidForName/i.test(message)) {
    return certificateError(
      target,
      NetworkErrorCode.NameMismatch,
      `not valid for "${host}"`,
      error,
    );
  }
  if (/certificate|CERT_|TLS/i.test(code) || /invalid peer certificate/i.test(message)) {
    return certificateError(target, NetworkErrorCode.Rejected, `rejected: ${message}`, error);
  }
  return undefined;
}

/**
 * The server did not answer within the caller's deadline.
 *
 * @param target where the request was going
 * @param waitedMs how long the caller waited
 * @param cause what the aborted request threw
 * @returns a retryable cluster error that says how long it waited
 */
export function noAnswer(target: Target, waitedMs: number, cause?: unknown): TpxError {
  return unreachable(target, `no answer after ${formatSeconds(waitedMs)}`, cause);
}

function unreachable(target: Target, reason: string, cause: unknown): TpxError {
  return new TpxError("cluster", `Cannot reach the cluster at "${target.server}": ${reason}`, {
    code: NetworkErrorCode.Unreachable,
    hint: "check that the cluster is running and that this machine is on its network or VPN; " +
      `"kubectl cluster-info" tests the same address`,
    retryable: true,
    cause,
  });
}

function certificateError(target: Target, code: string, what: string, cause: unknown): TpxError {
  const hint = code === NetworkErrorCode.Expired
    ? "check this machine's clock; if it is right, the cluster's certificate must be renewed"
    : code === NetworkErrorCode.NameMismatch
    ? `use the server address the certificate was issued for, or set "tls-server-name" of ` +
      `cluster "${target.cluster}" to a name it lists`
    : `put the cluster's CA in "certificate-authority-data" of cluster "${target.cluster}" ` +
      `(refreshing the kubeconfig from your provider does that); ` +
      `"insecure-skip-tls-verify: true" only as a last resort`;
  return new TpxError(
    "cluster",
    `Cannot trust the cluster at "${target.server}": its certificate is ${what}`,
    { code, hint, cause },
  );
}

/** The innermost error with a `code`, which undici nests one or two levels down. */
function socketError(error: unknown): { code: string; message: string } {
  let current: unknown = error;
  let message = error instanceof Error ? error.message : String(error);
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    message = current.message;
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return { code, message };
    current = current.cause ?? (current instanceof AggregateError ? current.errors[0] : undefined);
  }
  return { code: "", message };
}

function isTimeout(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current.name === "TimeoutError") return true;
    if (current.name === "AbortError" && current.message.includes("timed out")) return true;
    if (current.cause === current) break;
  }
  return false;
}

function hostOf(server: string): string {
  try {
    return new URL(server).hostname;
  } catch {
    return server;
  }
}

/** `1500` → `"1.5 s"`, for messages that say how long tpx waited. */
export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}
