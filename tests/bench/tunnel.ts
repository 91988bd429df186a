/**
 * The tunnel's figures: throughput, round-trip latency and many concurrent streams, each
 * against one userspace relay moving the same bytes in the same run.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type BenchOptions, type BenchResult, figure, percentile, round } from "./result.ts";
import {
  countAndAnswer,
  countingSink,
  type Path,
  pushIntoSink,
  readFully,
  relayPathInWorker,
  server,
  tunnelPath,
  writeFully,
} from "./fixtures.ts";

const MiB = 1024 * 1024;
/** Each path is measured in this many alternating turns. */
const TURNS = 8;

/** Bytes per second for pushing `bytes` through the path at `port` into the sink. */
async function pushThrough(port: number, bytes: number): Promise<number> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const start = performance.now();
  await pushIntoSink(conn, bytes);
  return bytes / ((performance.now() - start) / 1000);
}

async function throughput(options: BenchOptions): Promise<BenchResult> {
  const bytes = (options.quick ? 256 : 1024) * MiB;
  await using sink = countingSink();
  await using tunnel = await tunnelPath(sink.port);
  await using relay = await relayPathInWorker(sink.port);
  // Warm both paths up (JIT, socket buffers) before measuring.
  await pushThrough(tunnel.port, 16 * MiB);
  await pushThrough(relay.port, 16 * MiB);
  // In turns, so that both paths see the same load on a shared machine: one after the other,
  // a busy spell during either made single runs' ratios range from 0.33 to 0.87.
  const seconds = { relay: 0, tunnel: 0 };
  for (let turn = 0; turn < TURNS; turn++) {
    seconds.relay += bytes / TURNS / await pushThrough(relay.port, bytes / TURNS);
    seconds.tunnel += bytes / TURNS / await pushThrough(tunnel.port, bytes / TURNS);
  }
  const baseline = bytes / seconds.relay;
  const value = bytes / seconds.tunnel;
  return figure("tunnel_throughput", round(value), round(baseline), "bytes/s", {
    bytes,
    goal: "ratio >= 0.6",
  });
}

/** An echo server for fixed-size messages. */
function echoServer(): Path {
  return server(async (conn) => {
    const buffer = new Uint8Array(64 * 1024);
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      await writeFully(conn, buffer.subarray(0, n));
    }
  });
}

/** Adds the round-trip times, in microseconds, of `rounds` 64-byte messages on `conn`. */
async function roundTrips(conn: Deno.Conn, rounds: number, samples: number[]): Promise<void> {
  const message = new Uint8Array(64).fill(1);
  const reply = new Uint8Array(64);
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await writeFully(conn, message);
    if (!await readFully(conn, reply)) throw new Error("the echo server went away");
    samples.push((performance.now() - start) * 1000);
  }
}

async function connect(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  return conn;
}

async function rtt(options: BenchOptions): Promise<BenchResult> {
  const rounds = options.quick ? 2_000 : 10_000;
  await using echo = echoServer();
  await using tunnel = await tunnelPath(echo.port);
  await using relay = await relayPathInWorker(echo.port);
  using tunnelConn = await connect(tunnel.port);
  using relayConn = await connect(relay.port);
  await roundTrips(tunnelConn, 200, []);
  await roundTrips(relayConn, 200, []);
  // In turns, for the same reason as the throughput's.
  const base: number[] = [];
  const through: number[] = [];
  for (let turn = 0; turn < TURNS; turn++) {
    await roundTrips(relayConn, rounds / TURNS, base);
    await roundTrips(tunnelConn, rounds / TURNS, through);
  }
  return figure("tunnel_rtt", round(percentile(through, 50)), round(percentile(base, 50)), "µs", {
    p99: round(percentile(through, 99)),
    baseline_p99: round(percentile(base, 99)),
    rounds,
    goal: "p50 ratio <= 1.5",
  });
}

/** A server that answers each connection with the sha256 of everything it read. */
function hashingServer(): Path {
  return server(async (conn) => {
    const hash = createHash("sha256");
    const buffer = new Uint8Array(64 * 1024);
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      hash.update(buffer.subarray(0, n));
    }
    await writeFully(conn, new Uint8Array(hash.digest()));
  });
}

/** Sends `bytes` random bytes; true when the server's hash matches ours. */
async function sendAndVerify(port: number, bytes: number): Promise<boolean> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const hash = createHash("sha256");
    const chunk = new Uint8Array(64 * 1024);
    for (let sent = 0; sent < bytes; sent += chunk.length) {
      crypto.getRandomValues(chunk);
      hash.update(chunk);
      await writeFully(conn, chunk);
    }
    await conn.closeWrite();
    const digest = new Uint8Array(32);
    if (!await readFully(conn, digest)) return false;
    return Buffer.from(digest).equals(hash.digest());
  } catch {
    return false;
  } finally {
    conn.close();
  }
}

async function streams(options: BenchOptions): Promise<BenchResult> {
  const count = options.quick ? 250 : 1_000;
  const bytes = MiB;
  await using hasher = hashingServer();
  await using tunnel = await tunnelPath(hasher.port);
  let peakRss = Deno.memoryUsage().rss;
  const sampler = setInterval(() => peakRss = Math.max(peakRss, Deno.memoryUsage().rss), 50);
  const start = performance.now();
  const results = await Promise.all(
    Array.from({ length: count }, () => sendAndVerify(tunnel.port, bytes)),
  );
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  const intact = results.filter(Boolean).length;
  return figure("tunnel_streams", intact, count, "streams intact", {
    bytes_each: bytes,
    seconds: round(seconds),
    peak_rss_bytes: peakRss,
    goal: "all intact",
  });
}

/** Streams whose reader stops while another stream is measured. */
const STALLED = 4;

/**
 * A sink that the client's first byte steers: 0 stops reading (a stalled reader, until
 * `release()`), anything else counts the rest as {@link countingSink} does.
 */
function steeredSink(): Path & { release(): void } {
  let stalled: (() => void)[] = [];
  const path = server(async (conn) => {
    const mode = new Uint8Array(1);
    if (!await readFully(conn, mode)) return;
    if (mode[0] === 0) return await new Promise<void>((resolve) => stalled.push(resolve));
    await countAndAnswer(conn);
  });
  const release = () => {
    for (const resolve of stalled) resolve();
    stalled = [];
  };
  return {
    port: path.port,
    release,
    [Symbol.asyncDispose]: () => {
      release();
      return path[Symbol.asyncDispose]();
    },
  };
}

/** Bytes per second of one stream through `port` into the steered sink. */
async function pushSteered(port: number, bytes: number): Promise<number> {
  const conn = await connect(port);
  await writeFully(conn, new Uint8Array([1]));
  const start = performance.now();
  await pushIntoSink(conn, bytes);
  return bytes / ((performance.now() - start) / 1000);
}

/**
 * Opens {@link STALLED} streams whose far reader never reads, and returns once their writers
 * are blocked (nothing more written for 100 ms): their windows and socket buffers are full.
 */
async function stallStreams(port: number): Promise<() => Promise<void>> {
  const conns = await Promise.all(Array.from({ length: STALLED }, () => connect(port)));
  let written = 0;
  const writing = conns.map(async (conn) => {
    const chunk = new Uint8Array(64 * 1024);
    try {
      await writeFully(conn, new Uint8Array([0]));
      for (;;) written += await conn.write(chunk);
    } catch {
      // Closed by the returned function.
    }
  });
  for (let last = -1; written !== last;) {
    last = written;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return async () => {
    for (const conn of conns) conn.close();
    await Promise.all(writing);
  };
}

/**
 * One stream's throughput while {@link STALLED} streams of the same tunnel have readers that
 * stopped, against the same stream with no other: a stalled reader must cost its sender no
 * more than its window, and the other streams nothing.
 */
async function stalledNeighbours(options: BenchOptions): Promise<BenchResult> {
  const bytes = (options.quick ? 128 : 512) * MiB;
  await using sink = steeredSink();
  await using tunnel = await tunnelPath(sink.port);
  await pushSteered(tunnel.port, 16 * MiB);
  const seconds = { alone: 0, beside: 0 };
  for (let turn = 0; turn < TURNS; turn++) {
    seconds.alone += bytes / TURNS / await pushSteered(tunnel.port, bytes / TURNS);
    const unstall = await stallStreams(tunnel.port);
    try {
      seconds.beside += bytes / TURNS / await pushSteered(tunnel.port, bytes / TURNS);
    } finally {
      await unstall();
      sink.release();
    }
    // The stalled streams' resets and their sink connections' ends settle before the next
    // "alone" turn; measured without this, that turn paid for them (ratios of 1.3–1.9).
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return figure(
    "tunnel_stalled_neighbours",
    round(bytes / seconds.beside),
    round(bytes / seconds.alone),
    "bytes/s",
    { stalled: STALLED, bytes, goal: "ratio >= 0.9" },
  );
}

/**
 * Runs the tunnel benchmarks.
 *
 * @param options quick or full
 * @returns one figure each
 */
export async function benchTunnel(options: BenchOptions): Promise<BenchResult[]> {
  return [
    await throughput(options),
    await rtt(options),
    await streams(options),
    await stalledNeighbours(options),
  ];
}
