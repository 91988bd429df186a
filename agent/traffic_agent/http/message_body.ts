/**
 * Copies one message body, as framed, from one connection to another: streaming, in slices of
 * the reader's buffer, never holding a whole body.
 *
 * @module
 */
import { TpxError } from "../../../tunnel/protocol/mod.ts";
import type { BodyFraming } from "./body_framing.ts";
import type { BufferedConn } from "./buffered_conn.ts";
import { ChunkedScanner } from "./chunked_scanner.ts";

/**
 * Copies the message whose head is buffered in `from` (its first `headLength` bytes), then its
 * body, to `to`. The head and whatever of the body arrived with it go out in one write.
 *
 * @param from where the message arrives; on return, what follows the body is left buffered
 * @param to where it goes
 * @param framing how the body is delimited; `tunnel` copies the head only
 * @param headLength how many buffered bytes come before the body (0 for a body alone)
 * @param onAllRead called, synchronously, once every byte of the message has been taken from
 *   `from`, before the last write: when a response comes back, the request is known to be done
 * @throws {TpxError} with code `peer_closed` when `from` ends inside the body, a
 *   `malformed_http` one for a broken chunked body, or what a read or write threw
 */
export async function copyMessage(
  from: BufferedConn,
  to: BufferedConn,
  framing: BodyFraming,
  headLength = 0,
  onAllRead?: () => void,
): Promise<void> {
  switch (framing.kind) {
    case "none":
    case "tunnel":
      onAllRead?.();
      await writeFront(from, to, headLength);
      return;
    case "length":
      return await copyLength(from, to, framing.length, headLength, onAllRead);
    case "chunked":
      return await copyChunked(from, to, headLength, onAllRead);
    case "until-close":
      return await copyUntilClose(from, to, headLength, onAllRead);
  }
}

async function copyLength(
  from: BufferedConn,
  to: BufferedConn,
  length: number,
  headLength: number,
  onAllRead: (() => void) | undefined,
): Promise<void> {
  let remaining = length;
  let prefix = headLength;
  while (remaining > 0) {
    const view = await nextOrFail(from, prefix);
    const take = Math.min(view.length - prefix, remaining);
    remaining -= take;
    if (remaining === 0) onAllRead?.();
    await writeFront(from, to, prefix + take);
    prefix = 0;
  }
}

async function copyChunked(
  from: BufferedConn,
  to: BufferedConn,
  headLength: number,
  onAllRead: (() => void) | undefined,
): Promise<void> {
  const scanner = new ChunkedScanner();
  let prefix = headLength;
  while (!scanner.done) {
    const view = await nextOrFail(from, prefix);
    const take = scanner.scan(view.subarray(prefix));
    if (scanner.done) onAllRead?.();
    await writeFront(from, to, prefix + take);
    prefix = 0;
  }
}

async function copyUntilClose(
  from: BufferedConn,
  to: BufferedConn,
  headLength: number,
  onAllRead: (() => void) | undefined,
): Promise<void> {
  await writeFront(from, to, headLength);
  for (;;) {
    const view = await from.next();
    if (view === null) break;
    await writeFront(from, to, view.length);
  }
  onAllRead?.();
}

/**
 * The buffered bytes; with a head (`prefix`) buffered, no read: the head goes out with what
 * of the body came with it, even nothing, since the peer may wait for it (100-continue).
 */
async function nextOrFail(from: BufferedConn, prefix: number): Promise<Uint8Array> {
  if (prefix > 0) return from.view();
  const view = await from.next();
  if (view === null) {
    throw new TpxError("cluster", "The peer closed the connection inside a message body", {
      code: "peer_closed",
    });
  }
  return view;
}

/** Writes the first `n` buffered bytes of `from` to `to`, then consumes them. */
async function writeFront(from: BufferedConn, to: BufferedConn, n: number): Promise<void> {
  if (n === 0) return;
  await to.write(from.view().subarray(0, n));
  from.consume(n);
}
