/**
 * What the protocol runs over: any reliable, ordered byte stream. Here so that the code that
 * produces one (a Kubernetes port-forward in `cluster/`) and the tunnel that consumes it share
 * the contract without `cluster/` depending on the tunnel's code.
 *
 * @module
 */

/** A reliable, ordered byte stream. `Deno.Conn` is one as it is. */
export interface ByteChannel {
  /** Reads into `p`; `null` at the end of the stream. */
  read(p: Uint8Array): Promise<number | null>;
  /** Writes some of `p`; returns how much. */
  write(p: Uint8Array): Promise<number>;
  close(): void;
}
