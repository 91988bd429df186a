/**
 * Errors a stream's reader or writer catches.
 *
 * @module
 */
import { ErrorCategory, ResetCode, TpxError } from "./protocol/mod.ts";

const resetNames = Object.fromEntries(
  Object.entries(ResetCode).map(([name, code]) => [code, name]),
) as Record<ResetCode, string>;

/** The name of a reset code, for logs. */
export function resetCodeName(code: ResetCode): string {
  return resetNames[code] ?? `code ${code}`;
}

/** The stream was reset, by this side or the peer. */
export class StreamResetError extends TpxError {
  readonly resetCode: ResetCode;
  readonly byPeer: boolean;
  constructor(code: ResetCode, reason: string, byPeer: boolean) {
    const who = byPeer ? "peer" : "local side";
    super(
      ErrorCategory.Cluster,
      `Stream reset by the ${who} (${resetCodeName(code)})${reason ? `: ${reason}` : ""}`,
      { code: "stream_reset", retryable: code !== ResetCode.NotAllowed },
    );
    this.name = "StreamResetError";
    this.resetCode = code;
    this.byPeer = byPeer;
  }
}

/** The tunnel the stream ran over is gone. */
export class SessionClosedError extends TpxError {
  constructor(reason: string) {
    super(ErrorCategory.Cluster, `Tunnel closed: ${reason}`, {
      code: "tunnel_closed",
      retryable: true,
    });
    this.name = "SessionClosedError";
  }
}
