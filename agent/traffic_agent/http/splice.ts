/**
 * Raw two-way copying, for whatever is not (or no longer) HTTP: bytes that are not a request,
 * a malformed head passed to the app as it is, a connection after 101 Switching Protocols.
 *
 * @module
 */
import type { BufferedConn } from "./buffered_conn.ts";

/**
 * Copies bytes both ways, those already buffered first, until both directions have ended. The
 * end of one direction is passed on as a half-close; an error in either closes both. Both
 * connections are closed on return.
 *
 * @param a one side
 * @param b the other
 * @returns the first error, if a direction failed
 */
export async function splice(a: BufferedConn, b: BufferedConn): Promise<Error | undefined> {
  let failure: Error | undefined;
  const abort = (error: unknown) => {
    if (failure) return;
    failure = error instanceof Error ? error : new Error(String(error));
    // Closing both wakes the other direction, which may be waiting on a quiet peer.
    void a.close();
    void b.close();
  };
  await Promise.all([pump(a, b, abort), pump(b, a, abort)]);
  await Promise.all([a.close(), b.close()]);
  return failure;
}

async function pump(
  from: BufferedConn,
  to: BufferedConn,
  abort: (error: unknown) => void,
): Promise<void> {
  try {
    for (;;) {
      const view = await from.next();
      if (view === null) break;
      await to.write(view);
      from.consume(view.length);
    }
    await to.closeWrite();
  } catch (error) {
    abort(error);
  }
}
