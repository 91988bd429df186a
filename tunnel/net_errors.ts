/**
 * The one edge where the runtime's network errors become the project's vocabulary.
 *
 * @module
 */
import { ResetCode, TpxError } from "./protocol/mod.ts";

/**
 * The reset code that tells the peer why a dial failed.
 *
 * @param error what `Deno.connect` (or a send) threw
 * @returns the code to reset the stream with
 */
export function resetCodeForDialError(error: unknown): ResetCode {
  if (error instanceof Deno.errors.ConnectionRefused) return ResetCode.Refused;
  if (error instanceof Deno.errors.TimedOut) return ResetCode.Timeout;
  if (error instanceof DialTimeoutError) return ResetCode.Timeout;
  if (error instanceof Deno.errors.PermissionDenied) return ResetCode.NotAllowed;
  return ResetCode.Unreachable;
}

/** A dial that took longer than allowed. */
export class DialTimeoutError extends TpxError {
  constructor(target: string, ms: number) {
    super("cluster", `Connecting to ${target} timed out after ${ms} ms`, {
      code: "dial_timeout",
      retryable: true,
    });
    this.name = "DialTimeoutError";
  }
}

/**
 * The error of binding a listener, in words a user can act on.
 *
 * @param error what `Deno.listen` threw
 * @param address what was being bound, as `host:port`
 * @returns the mapped error, or `error` itself when it is not a known case
 */
export function listenError(error: unknown, address: string): unknown {
  if (error instanceof Deno.errors.AddrInUse) {
    return new TpxError("user", `Cannot listen on ${address}: the address is already in use`, {
      code: "address_in_use",
      hint: "stop the program that uses it, or choose another port",
      cause: error,
    });
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new TpxError("user", `Cannot listen on ${address}: permission denied`, {
      code: "listen_denied",
      hint: "ports below 1024 need root; choose a port of 1024 or more",
      cause: error,
    });
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return new TpxError(
      "config",
      `Cannot listen on ${address}: the address is not on this machine`,
      {
        code: "address_not_available",
        cause: error,
      },
    );
  }
  return error;
}

/** `host:port`, with brackets around an IPv6 host. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
