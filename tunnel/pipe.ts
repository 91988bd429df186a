/**
 * Copying between two connections both ways, with half-close: the agent's passthrough to
 * the app, and the manager's splice of an agent's stream onto a daemon's.
 *
 * @module
 */
import { closeQuietly, type DuplexConn } from "./relay.ts";

/** Bytes copied each way, and why it ended early if it did. */
export interface PipeResult {
  aToB: number;
  bToA: number;
  error?: Error;
}

/**
 * Copies `a` ⇄ `b` until both directions ended, then closes both. The end of one direction
 * is passed on as a half-close; an error on either side closes both at once.
 *
 * @param a one side
 * @param b the other
 * @returns the byte counts
 */
export async function pipe(a: DuplexConn, b: DuplexConn): Promise<PipeResult> {
  let failure: Error | undefined;
  const fail = (error: unknown) => {
    if (failure) return;
    failure = error instanceof Error ? error : new Error(String(error));
    closeQuietly(a);
    closeQuietly(b);
  };
  const [aToB, bToA] = await Promise.all([copy(a, b, fail), copy(b, a, fail)]);
  if (!failure) {
    closeQuietly(a);
    closeQuietly(b);
  }
  const result: PipeResult = { aToB, bToA };
  if (failure) result.error = failure;
  return result;
}

async function copy(
  from: DuplexConn,
  to: DuplexConn,
  fail: (error: unknown) => void,
): Promise<number> {
  const buffer = new Uint8Array(64 * 1024);
  let total = 0;
  try {
    for (let n = await from.read(buffer); n !== null; n = await from.read(buffer)) {
      let written = 0;
      while (written < n) written += await to.write(buffer.subarray(written, n));
      total += n;
    }
    await to.closeWrite();
  } catch (error) {
    fail(error);
  }
  return total;
}
