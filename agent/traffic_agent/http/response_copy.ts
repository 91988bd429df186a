/**
 * Copies one HTTP response back to the client: interim 1xx responses, then the final one with
 * its body framed as RFC 9112 §6.3 says.
 *
 * @module
 */
import { TpxError } from "../../../tunnel/protocol/mod.ts";
import { responseBodyFraming } from "./body_framing.ts";
import { type BufferedConn, readHead } from "./buffered_conn.ts";
import { copyMessage } from "./message_body.ts";
import { parseResponseHead } from "./response_head.ts";

/** How a response ended, and so what the connection carries next. */
export type ResponseOutcome =
  /** The final response was copied; `keepAlive` false: the client must be closed now. */
  | { readonly kind: "complete"; readonly keepAlive: boolean }
  /** 101 or a CONNECT's 2xx: from now on both sides speak another protocol. */
  | { readonly kind: "tunnel" }
  /** The upstream's bytes are not a response we can frame; they go on as they are. */
  | { readonly kind: "raw"; readonly reason: string };

/** What a caller needs to know when a copy fails half-way. */
export interface ResponseProgress {
  /** Whether any byte of a response was about to be written to the client. */
  started: boolean;
}

const TUNNEL: ResponseOutcome = { kind: "tunnel" };
const KEEP_ALIVE: ResponseOutcome = { kind: "complete", keepAlive: true };
const CLOSE: ResponseOutcome = { kind: "complete", keepAlive: false };

/**
 * Copies the response to one request from `upstream` to `client`.
 *
 * @param upstream where the response arrives; what follows it is left buffered
 * @param client where it goes
 * @param method the request's method, on which the body's framing depends
 * @param progress set as bytes go out, so a failure can still be answered with a 502 if none did
 * @returns how the response ended
 * @throws {TpxError} with code `upstream_closed` when the upstream closes before a whole head, or
 *   what a read or write threw
 */
export async function copyResponse(
  upstream: BufferedConn,
  client: BufferedConn,
  method: string,
  progress: ResponseProgress,
): Promise<ResponseOutcome> {
  for (;;) {
    const result = await readHead(upstream, parseResponseHead);
    if (result === null) {
      throw new TpxError("cluster", "The upstream closed the connection without a response", {
        code: "upstream_closed",
        retryable: true,
      });
    }
    if (result.kind === "too-large") return { kind: "raw", reason: "a response head too large" };
    if (result.kind !== "parsed") return { kind: "raw", reason: result.reason };
    const { head, headLength } = result;
    const framing = responseBodyFraming(method, head.status, head.headers);
    if (typeof framing === "string") return { kind: "raw", reason: framing };
    progress.started = true;
    await copyMessage(upstream, client, framing, headLength);
    if (framing.kind === "tunnel") return TUNNEL;
    // 100 Continue and 103 Early Hints come before the final response.
    if (head.status < 200) continue;
    return head.keepAlive && framing.kind !== "until-close" ? KEEP_ALIVE : CLOSE;
  }
}
