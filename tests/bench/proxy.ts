/**
 * The proxy's figures: bytes pushed through a SOCKS5 connection, and the time to a first
 * answer (connect, handshake, one 64-byte echo), each against one userspace relay doing the
 * same job in the same thread. The proxy routes directly here, so the figures show the
 * proxy's own cost; the tunnel's is `tunnel_throughput`.
 *
 * @module
 */
import { silentLogger } from "../../tunnel/log.ts";
import { directRoute, ProxyServer } from "../../tunnel/proxy/mod.ts";
import { type BenchOptions, type BenchResult, figure, percentile, round } from "./result.ts";
import {
  countingSink,
  pushIntoSink,
  readFully,
  relayPath,
  server,
  writeFully,
} from "./fixtures.ts";

const MiB = 1024 * 1024;

function directProxy(): ProxyServer {
  return ProxyServer.listen({
    port: 0,
    logger: silentLogger,
    routes: { route: (host, port) => Promise.resolve(directRoute(host, port)) },
  });
}

/** Connects to `port`; through the proxy at `proxyPort` (SOCKS5) when given. */
async function open(port: number, proxyPort?: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: proxyPort ?? port });
  conn.setNoDelay(true);
  if (proxyPort === undefined) return conn;
  await writeFully(conn, Uint8Array.of(5, 1, 0, 5, 1, 0, 1, 127, 0, 0, 1, port >> 8, port & 0xff));
  const reply = new Uint8Array(12);
  if (!await readFully(conn, reply) || reply[3] !== 0) throw new Error("the proxy refused");
  return conn;
}

async function push(sinkPort: number, bytes: number, proxyPort?: number): Promise<number> {
  const start = performance.now();
  await pushIntoSink(await open(sinkPort, proxyPort), bytes);
  return bytes / ((performance.now() - start) / 1000);
}

async function throughput(options: BenchOptions): Promise<BenchResult> {
  const bytes = (options.quick ? 256 : 1024) * MiB;
  await using sink = countingSink();
  await using proxy = directProxy();
  await using relay = relayPath(sink.port);
  await push(sink.port, 16 * MiB, proxy.port);
  await push(relay.port, 16 * MiB);
  const baseline = await push(relay.port, bytes);
  const value = await push(sink.port, bytes, proxy.port);
  return figure("proxy_throughput", round(value), round(baseline), "bytes/s", {
    bytes,
    goal: "ratio >= 0.8",
  });
}

/** Microseconds from connect to the first 64-byte echo, `rounds` times. */
async function firstAnswers(echoPort: number, rounds: number, proxyPort?: number) {
  const message = new Uint8Array(64).fill(1);
  const reply = new Uint8Array(64);
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    const conn = await open(echoPort, proxyPort);
    await writeFully(conn, message);
    if (!await readFully(conn, reply)) throw new Error("the echo server went away");
    samples.push((performance.now() - start) * 1000);
    conn.close();
  }
  return samples;
}

async function firstAnswer(options: BenchOptions): Promise<BenchResult> {
  const rounds = options.quick ? 500 : 2_000;
  await using echo = server(async (conn) => {
    const buffer = new Uint8Array(4096);
    for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
      await writeFully(conn, buffer.subarray(0, n));
    }
  });
  await using proxy = directProxy();
  await using relay = relayPath(echo.port);
  await firstAnswers(echo.port, 100, proxy.port);
  await firstAnswers(relay.port, 100);
  const base = await firstAnswers(relay.port, rounds);
  const through = await firstAnswers(echo.port, rounds, proxy.port);
  return figure(
    "proxy_first_answer",
    round(percentile(through, 50)),
    round(percentile(base, 50)),
    "µs",
    {
      p99: round(percentile(through, 99)),
      baseline_p99: round(percentile(base, 99)),
      rounds,
      goal: "p50 ratio <= 2",
    },
  );
}

/**
 * Runs the proxy benchmarks.
 *
 * @param options quick or full
 * @returns one figure each
 */
export async function benchProxy(options: BenchOptions): Promise<BenchResult[]> {
  return [await throughput(options), await firstAnswer(options)];
}
