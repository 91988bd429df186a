/**
 * Asking a DNS server one question, over UDP or TCP, with a timeout and a way to give up:
 * how the stub talks to the machine's resolvers.
 *
 * @module
 */

import { type Clock, systemClock } from "../clock.ts";
import { TpxError } from "../protocol/errors.ts";
import { parseIPv4 } from "./loopback_pool.ts";
import type { NameServer } from "./resolv_conf.ts";
import { FrameReader } from "./tcp_frames.ts";
import { readHeader, sameQuestion, tcpFrame } from "./wire.ts";

/** Options of {@link exchangeUdp} and {@link exchangeTcp}. */
export interface ExchangeOptions {
  /** How long to wait for the answer. */
  timeoutMs: number;
  /** Gives up at once when aborted. */
  signal?: AbortSignal;
  /** Where the timeout's timer runs; the system clock by default. */
  clock?: Clock;
}

/**
 * Sends a query over UDP from a fresh port and waits for the answer with the same id and
 * question; datagrams that are not that answer are ignored.
 *
 * @param server where to ask
 * @param query an encoded query
 * @param options the timeout and an abort signal
 * @returns the encoded answer
 * @throws {TpxError} `dns_timeout` when no answer came in time, `dns_unreachable` when the
 *   server cannot be reached, or the signal's reason when aborted
 */
export async function exchangeUdp(
  server: NameServer,
  query: Uint8Array,
  options: ExchangeOptions,
): Promise<Uint8Array> {
  const conn = Deno.listenDatagram({
    transport: "udp",
    hostname: localAddressFor(server.hostname),
    port: 0,
  });
  return await guarded(server, options, () => conn.close(), async () => {
    await conn.send(query, { transport: "udp", hostname: server.hostname, port: server.port });
    const id = readHeader(query)?.id;
    for (;;) {
      const [data, from] = await conn.receive();
      const header = readHeader(data);
      const fromServer = from.transport === "udp" && from.port === server.port;
      if (fromServer && header?.isResponse && header.id === id && sameQuestion(query, data)) {
        return data;
      }
    }
  });
}

/**
 * Sends a query over a new TCP connection and reads one answer.
 *
 * @param server where to ask
 * @param query an encoded query
 * @param options the timeout and an abort signal
 * @returns the encoded answer
 * @throws {TpxError} as {@link exchangeUdp} does
 */
export async function exchangeTcp(
  server: NameServer,
  query: Uint8Array,
  options: ExchangeOptions,
): Promise<Uint8Array> {
  let conn: Deno.TcpConn | undefined;
  let closed = false;
  const close = () => {
    closed = true;
    conn?.close();
  };
  return await guarded(server, options, close, async () => {
    const opened = await Deno.connect({ hostname: server.hostname, port: server.port });
    if (closed) {
      opened.close();
      throw new Error("closed while connecting");
    }
    conn = opened;
    await writeAll(opened, tcpFrame(query));
    const answer = await new FrameReader(opened).next();
    if (answer === null) throw new Error("connection closed before the answer");
    return answer;
  });
}

/**
 * Runs an exchange that `close` interrupts, on timeout or abort, and maps what went wrong to
 * one vocabulary. `close` runs exactly once in every case, so no socket outlives the call.
 */
async function guarded<T>(
  server: NameServer,
  options: ExchangeOptions,
  close: () => void,
  exchange: () => Promise<T>,
): Promise<T> {
  const clock = options.clock ?? systemClock;
  let ended: "timeout" | "abort" | undefined;
  const end = (why: "timeout" | "abort") => {
    ended ??= why;
    close();
  };
  const onAbort = () => end("abort");
  const timer = clock.setTimeout(() => end("timeout"), options.timeoutMs);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    if (options.signal?.aborted) end("abort");
    return await exchange();
  } catch (error) {
    const where = `${server.hostname}:${server.port}`;
    if (ended === "abort") throw options.signal?.reason ?? error;
    if (ended === "timeout") {
      throw new TpxError("config", `No answer from DNS server "${where}"`, {
        code: "dns_timeout",
        retryable: true,
      });
    }
    throw new TpxError("config", `Cannot reach DNS server "${where}"`, {
      code: "dns_unreachable",
      retryable: true,
      cause: error,
    });
  } finally {
    clock.clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    if (ended === undefined) close();
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}

/** Loopback servers are asked from loopback, so nothing else ever sees the query. */
function localAddressFor(hostname: string): string {
  if (hostname.includes(":")) return hostname === "::1" ? "::1" : "::";
  const address = parseIPv4(hostname);
  return address !== undefined && address >>> 24 === 127 ? "127.0.0.1" : "0.0.0.0";
}
