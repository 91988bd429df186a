/**
 * A DNS client over one UDP socket, for asking the stub many questions in a row: health
 * checks of the daemon, and the benchmark, where a fresh socket per query would be measured
 * instead of the stub.
 *
 * @module
 */

import type { NameServer } from "./resolv_conf.ts";
import { readHeader } from "./wire.ts";

/**
 * Sends queries to one server from one socket and matches answers by id.
 *
 * @example
 * ```ts
 * await using client = new DnsClient({ hostname: "127.0.0.1", port: 5353 });
 * const answer = await client.query(queryBytes);
 * ```
 */
export class DnsClient implements AsyncDisposable {
  readonly #server: NameServer;
  readonly #conn: Deno.DatagramConn;
  readonly #waiting = new Map<number, PromiseWithResolvers<Uint8Array>>();
  readonly #loop: Promise<void>;
  #closed = false;

  /** @param server where every query goes; the socket is bound on loopback for a loopback server */
  constructor(server: NameServer) {
    this.#server = server;
    const loopback = server.hostname.startsWith("127.") || server.hostname === "::1";
    this.#conn = Deno.listenDatagram({
      transport: "udp",
      hostname: loopback ? server.hostname === "::1" ? "::1" : "127.0.0.1" : "0.0.0.0",
      port: 0,
    });
    this.#loop = this.#receive();
  }

  /**
   * Sends a query and waits for the answer with its id. There is no timeout: this is for
   * servers that answer, such as the stub on loopback; `close()` ends a wait.
   *
   * @param query an encoded query whose id no other pending query has
   * @returns the encoded answer
   * @throws {Error} when the client is closed before the answer comes
   */
  async query(query: Uint8Array): Promise<Uint8Array> {
    const id = readHeader(query)?.id;
    if (id === undefined || this.#closed || this.#waiting.has(id)) {
      throw new Error("DnsClient cannot send this query");
    }
    const waiting = Promise.withResolvers<Uint8Array>();
    // Closing may reject it while the send is still pending; the await below still sees that.
    waiting.promise.catch(() => {});
    this.#waiting.set(id, waiting);
    try {
      await this.#conn.send(query, { transport: "udp", ...this.#server });
      return await waiting.promise;
    } finally {
      this.#waiting.delete(id);
    }
  }

  /** Closes the socket; pending queries reject. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#conn.close();
    }
    await this.#loop;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #receive(): Promise<void> {
    while (!this.#closed) {
      try {
        const [data] = await this.#conn.receive();
        const id = readHeader(data)?.id;
        if (id !== undefined) this.#waiting.get(id)?.resolve(data);
      } catch {
        // Closed, or an ICMP error of an earlier send; the loop condition tells which.
      }
    }
    for (const waiting of this.#waiting.values()) waiting.reject(new Error("DnsClient closed"));
  }
}
