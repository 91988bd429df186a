/**
 * One request and its response, forwarded between the client and the upstream the request was
 * routed to: both directions stream at once, and an upstream that fails is answered for.
 *
 * @module
 */
import type { BufferedConn } from "./buffered_conn.ts";
import { copyMessage } from "./message_body.ts";
import type { RequestHead } from "./request_head.ts";
import { copyResponse, type ResponseOutcome, type ResponseProgress } from "./response_copy.ts";
import { splice } from "./splice.ts";
import type { Upstream, UpstreamPool } from "./upstreams.ts";

/** Methods that may be sent again when a reused connection turns out to be closed. */
const REPLAYABLE = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

/** The answer to a request that no upstream could serve; the connection ends after it. */
export const BAD_GATEWAY: Uint8Array = new TextEncoder().encode(
  "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
);

/** A request head waiting in the client's buffer. */
export interface PendingRequest {
  readonly head: RequestHead;
  readonly headLength: number;
}

/**
 * Forwards one request, whose head is buffered in `client`, and its response. A body-less
 * idempotent request that meets a reused upstream closed meanwhile is sent once more on a
 * fresh connection, as HTTP clients do, and one whose fresh intercept stream broke goes to the
 * app. Otherwise a failure before any response byte is a 502 (a fresh upstream) or a close (a
 * reused one, which clients take for a stale keep-alive connection and retry themselves).
 *
 * @param client the client connection
 * @param pool the client's upstream connections
 * @param upstream where the request goes
 * @param request the head and its length
 * @returns whether the client connection may carry another request; false once it was
 *   switched to another protocol and spliced to its end
 * @throws what broke the exchange, once the client has been answered or closed
 */
export async function exchange(
  client: BufferedConn,
  pool: UpstreamPool,
  upstream: Upstream,
  request: PendingRequest,
): Promise<boolean> {
  // A body-less head stays buffered until the response comes, so it can be sent again.
  const replayable = request.head.body.kind === "none" && REPLAYABLE.has(request.head.method);
  let current = upstream;
  for (;;) {
    const state: ExchangeState = { requestRead: replayable, failure: undefined, started: false };
    const sending = send(client, current, request, replayable, state);
    const outcome = await receive(client, current, request.head.method, state);
    if (outcome === undefined) {
      if (!state.started && replayable && (current.reused || current.interceptId !== undefined)) {
        // A reused connection is tried afresh; a fresh intercept stream that broke (the
        // manager reset it) leaves the request to the app, as an unreachable intercept does.
        await sending;
        await pool.release(current, false);
        if (!current.reused) pool.reportUnreachable(current.interceptId!, state.failure);
        try {
          current = await pool.acquire(current.reused ? current.interceptId : undefined);
        } catch (error) {
          await writeBadGateway(client);
          throw error;
        }
        continue;
      }
      if (!state.started && !current.reused) await writeBadGateway(client);
      // Closing the client also wakes a request copy still waiting for its body.
      void client.close();
      await sending;
      await pool.release(current, false);
      throw state.failure;
    }
    // A response before the whole request: the rest of the body could not be told from a next
    // request, so the connection ends after this response.
    if (!state.requestRead) void client.close();
    await sending;
    if (replayable) client.consume(request.headLength);
    if (!state.requestRead || state.failure !== undefined) {
      await pool.release(current, false);
      return false;
    }
    if (outcome.kind === "complete") {
      const keep = outcome.keepAlive && request.head.keepAlive;
      await pool.release(current, keep);
      return keep;
    }
    // 101 Switching Protocols, or a response that is not HTTP: from now on raw bytes both ways.
    pool.detach(current);
    await pool.closeAll();
    await splice(client, current.conn);
    return false;
  }
}

/** What both directions of one attempt share. */
interface ExchangeState extends ResponseProgress {
  /** Whether the whole request has been taken from the client. */
  requestRead: boolean;
  /** The first error of either direction. */
  failure: unknown;
}

/** Sends the request; `keepHead` sends a body-less head without consuming it. */
function send(
  client: BufferedConn,
  upstream: Upstream,
  { head, headLength }: PendingRequest,
  keepHead: boolean,
  state: ExchangeState,
): Promise<void> {
  const fail = (error: unknown) => failUpstream(upstream, state, error);
  if (keepHead) return upstream.conn.write(client.view().subarray(0, headLength)).catch(fail);
  return copyMessage(client, upstream.conn, head.body, headLength, () => {
    state.requestRead = true;
  }).catch(fail);
}

/**
 * Copies the response back while the request is still being sent: a client that sent
 * `Expect: 100-continue` sends its body only once the interim response has reached it.
 */
async function receive(
  client: BufferedConn,
  upstream: Upstream,
  method: string,
  state: ExchangeState,
): Promise<ResponseOutcome | undefined> {
  try {
    return await copyResponse(upstream.conn, client, method, state);
  } catch (error) {
    failUpstream(upstream, state, error);
    return undefined;
  }
}

function failUpstream(upstream: Upstream, state: ExchangeState, error: unknown): void {
  state.failure ??= error;
  // Wakes the other direction, which may wait on an upstream that will not deliver.
  void upstream.conn.close();
}

async function writeBadGateway(client: BufferedConn): Promise<void> {
  try {
    await client.write(BAD_GATEWAY);
  } catch {
    // The client is gone too; there is no one left to tell.
  }
}
