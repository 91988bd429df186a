/**
 * Why a proxied connection could not be made, in one vocabulary that both front ends answer
 * from: SOCKS5 reply codes (RFC 1928 §6) and HTTP statuses. Tunnel reset codes and the
 * runtime's dial errors are mapped here, at one edge.
 *
 * @module
 */
import { DialTimeoutError } from "../net_errors.ts";
import { ErrorCategory, ResetCode, TpxError } from "../protocol/mod.ts";
import { SessionClosedError, StreamResetError } from "../stream_errors.ts";

/** The kinds of failure a client is told about. Values are this module's own. */
export const ProxyFailure = {
  General: "general",
  NotAllowed: "not_allowed",
  NetworkUnreachable: "network_unreachable",
  HostUnreachable: "host_unreachable",
  Refused: "refused",
  Timeout: "timeout",
} as const;
export type ProxyFailure = typeof ProxyFailure[keyof typeof ProxyFailure];

/** SOCKS5 reply codes (RFC 1928 §6). */
export const SocksReply = {
  Succeeded: 0x00,
  GeneralFailure: 0x01,
  NotAllowed: 0x02,
  NetworkUnreachable: 0x03,
  HostUnreachable: 0x04,
  ConnectionRefused: 0x05,
  TtlExpired: 0x06,
  CommandNotSupported: 0x07,
  AddressTypeNotSupported: 0x08,
} as const;
export type SocksReply = typeof SocksReply[keyof typeof SocksReply];

/**
 * A refusal the daemon's {@link ProxyRoutes} raises on purpose, such as a cluster name that
 * does not exist, with the failure the client should see.
 *
 * @example
 * ```ts
 * throw new RouteError(ProxyFailure.HostUnreachable, 'No cluster service is named "web.shop"');
 * ```
 */
export class RouteError extends TpxError {
  readonly failure: ProxyFailure;
  constructor(failure: ProxyFailure, message: string, hint?: string) {
    super(ErrorCategory.Cluster, message, {
      code: `proxy_${failure}`,
      retryable: failure !== ProxyFailure.NotAllowed,
      ...(hint === undefined ? {} : { hint }),
    });
    this.name = "RouteError";
    this.failure = failure;
  }
}

/**
 * The failure a client is told about for an error met while routing or dialing.
 *
 * @param error what route(), a tunnel open, or `Deno.connect` threw
 * @returns the failure kind
 */
export function failureOf(error: unknown): ProxyFailure {
  if (error instanceof RouteError) return error.failure;
  if (error instanceof StreamResetError) return failureOfReset(error.resetCode);
  // The tunnel itself is down: the whole cluster network is out of reach, not one host.
  if (error instanceof SessionClosedError) return ProxyFailure.NetworkUnreachable;
  if (error instanceof DialTimeoutError) return ProxyFailure.Timeout;
  if (error instanceof Deno.errors.TimedOut) return ProxyFailure.Timeout;
  if (error instanceof Deno.errors.ConnectionRefused) return ProxyFailure.Refused;
  if (error instanceof Deno.errors.NetworkUnreachable) return ProxyFailure.NetworkUnreachable;
  if (error instanceof Deno.errors.PermissionDenied) return ProxyFailure.NotAllowed;
  if (error instanceof Deno.errors.NotCapable) return ProxyFailure.NotAllowed;
  if (error instanceof TpxError) {
    if (error.code === "connection_refused") return ProxyFailure.Refused;
    if (error.code === "dial_timeout") return ProxyFailure.Timeout;
  }
  // Name lookups that fail and hosts that do not answer both mean "that host is not there".
  return ProxyFailure.HostUnreachable;
}

/**
 * The failure a client is told about when the manager refused a tunnel stream.
 *
 * @param code the reset code of the refusal
 * @returns the failure kind
 */
export function failureOfReset(code: ResetCode): ProxyFailure {
  switch (code) {
    case ResetCode.Refused:
      return ProxyFailure.Refused;
    case ResetCode.Unreachable:
      return ProxyFailure.HostUnreachable;
    case ResetCode.Timeout:
      return ProxyFailure.Timeout;
    case ResetCode.NotAllowed:
      return ProxyFailure.NotAllowed;
    case ResetCode.SessionClosed:
      return ProxyFailure.NetworkUnreachable;
    default:
      return ProxyFailure.General;
  }
}

const socksReplies: Record<ProxyFailure, SocksReply> = {
  general: SocksReply.GeneralFailure,
  not_allowed: SocksReply.NotAllowed,
  network_unreachable: SocksReply.NetworkUnreachable,
  host_unreachable: SocksReply.HostUnreachable,
  refused: SocksReply.ConnectionRefused,
  timeout: SocksReply.TtlExpired,
};

/**
 * The SOCKS5 reply code for a failure. RFC 1928 has no "timed out"; "TTL expired" is what
 * clients (curl, Tor) read as one.
 *
 * @param failure the failure kind
 * @returns the reply code
 */
export function socksReplyFor(failure: ProxyFailure): SocksReply {
  return socksReplies[failure];
}

const httpStatuses: Record<ProxyFailure, number> = {
  general: 502,
  not_allowed: 403,
  network_unreachable: 502,
  host_unreachable: 502,
  refused: 502,
  timeout: 504,
};

/**
 * The HTTP status a proxy answers with for a failure: 504 for a timeout, 403 for a refusal by
 * policy, 502 for everything the far side did wrong.
 *
 * @param failure the failure kind
 * @returns the status code
 */
export function httpStatusFor(failure: ProxyFailure): number {
  return httpStatuses[failure];
}
