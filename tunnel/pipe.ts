/**
 * Copying between two connections both ways, with half-close: the agent's passthrough to
 * the app, and the manager's splice of an agent's stream onto a daemon's.
 *
 * @module
 */
import { closeQuietly, type DuplexConn, resetConn } from "./relay.ts";

/** Bytes copied each way, and why it ended early if it did. */
export interface PipeResult {
  aToB: number;
  bToA: number;
  error?: Error;
}

/**
 * Copies `a` ⇄ `b` until both directions ended, then closes both. The end of one direction
 * is passed on as a half-close; an error on either side (a reset, a broken pipe) closes that
 * side and resets the other at once, so its peer sees a reset as if it were connected directly.
 *
 * @param a one side
 * @param b the other
 * @returns the byte counts
 */
export async function pipe(a: DuplexConn, b: DuplexConn): Promise<PipeResult> {
  let failure: Error | undefined;
  const fail = (error: unknown, broken: DuplexConn) => {
    if (failure) return;
    failure = error instanceof Error ? error : new Error(String(error));
    closeQuietly(broken);
    resetConn(broken === a ? b : a);
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
  fail: (error: unknown, broken: DuplexConn) => void,
): Promise<number> {
  const buffer = new Uint8Array(64 * 1024);
  let total = 0;
  let n: number | null;
  for (;;) {
    try {
      n = await from.read(buffer);
    } catch (error) {
      fail(error, from);
      return total;
    }
    try {
      if (n === null) {
        await to.closeWrite();
        return total;
      }
      let written = 0;
      while (written < n) written += await to.write(buffer.subarray(written, n));
      total += n;
    } catch (error) {
      fail(error, to);
      return total;
    }
  }
}
