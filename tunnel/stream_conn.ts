/**
 * A tunnel stream seen as a connection, for code written against connections (the agent's
 * HTTP router, stream-to-stream splicing).
 *
 * @module
 */
import { ResetCode } from "./protocol/mod.ts";
import type { DuplexConn } from "./relay.ts";
import type { Stream } from "./stream.ts";

/**
 * Wraps `stream`; `close()` resets it unless both directions already ended.
 *
 * @param stream the stream
 * @returns the connection view
 */
export function streamConn(stream: Stream): DuplexConn {
  return {
    read: (p) => stream.read(p),
    write: async (p) => {
      await stream.write(p);
      return p.length;
    },
    closeWrite: () => stream.closeWrite(),
    close: () => {
      if (!stream.done) stream.reset(ResetCode.Cancelled, "closed");
    },
  };
}
