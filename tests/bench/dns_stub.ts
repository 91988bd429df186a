/**
 * The stub DNS server's answer time for cluster names, cached against uncached.
 *
 * Baseline (uncached): each query names a service the stub has not seen, so the stub asks its
 * cluster resolver, which, like the daemon asking the manager, makes a real round trip: a UDP
 * query to a second stub on loopback standing in for the manager. Value (cached): the same
 * service asked again, answered from the stub's cache. The client asks one question at a time,
 * over one UDP socket on loopback, so each sample is one full round trip.
 *
 * @module
 */

// @ts-types="@types/dns-packet"
import dnsPacket from "dns-packet";
import {
  type ClusterAnswer,
  type ClusterResolver,
  DnsClient,
  LoopbackPool,
  startDnsStub,
} from "../../tunnel/dns/mod.ts";
import { silentLogger } from "../../tunnel/log.ts";
import { type BenchOptions, type BenchResult, figure, percentile } from "./result.ts";

/**
 * Measures p50 and p99 of cached and uncached answers of the stub.
 *
 * @param options `quick` for fewer rounds
 * @returns one figure: `dns_stub_cached_p50` against the uncached p50
 */
export async function benchDnsStub(options: BenchOptions): Promise<BenchResult[]> {
  const rounds = options.quick
    ? { uncached: 400, cached: 2_000 }
    : { uncached: 2_000, cached: 10_000 };
  const pool = new LoopbackPool();
  // The stand-in manager: answers at once, from the same kind of pool the daemon has.
  await using manager = startDnsStub({
    port: 0,
    resolver: {
      resolve: (fqdn) =>
        Promise.resolve({ ipv4: [pool.address(fqdn)], ipv6: [], ports: [], ttl: 60 }),
      reverse: (address) => pool.reverse(address),
    },
    upstreams: [],
    isNamespace: (ns) => ns === "bench",
    logger: silentLogger,
  });
  await using managerClient = new DnsClient(manager.addr);
  await using stub = startDnsStub({
    port: 0,
    resolver: roundTripResolver(managerClient),
    upstreams: [],
    isNamespace: (ns) => ns === "bench",
    cacheEntries: rounds.uncached + 10,
    logger: silentLogger,
  });
  await using client = new DnsClient(stub.addr);

  const ask = async (name: string, id: number) => {
    const start = performance.now();
    const answer = await client.query(query(name, id));
    const elapsed = performance.now() - start;
    if (answer.length <= 12 || answer[3]! % 16 !== 0) throw new Error(`no answer for "${name}"`);
    return elapsed * 1000;
  };

  // Warm-up, so that neither set pays for the JIT compiling the stub's code.
  for (let i = 0; i < 200; i++) await ask(`warm-${i % 100}.bench`, i);
  const uncached: number[] = [];
  for (let i = 0; i < rounds.uncached; i++) uncached.push(await ask(`svc-${i}.bench`, i & 0xffff));
  const cached: number[] = [];
  for (let i = 0; i < rounds.cached; i++) cached.push(await ask(`svc-${i % 50}.bench`, i & 0xffff));

  return [
    figure(
      "dns_stub",
      round(percentile(cached, 50)),
      round(percentile(uncached, 50)),
      "µs (p50, cached vs uncached)",
      {
        p99: round(percentile(cached, 99)),
        p99_uncached: round(percentile(uncached, 99)),
        samples: cached.length,
        samples_uncached: uncached.length,
      },
    ),
  ];
}

/** A cluster resolver that makes one UDP round trip per lookup, as the daemon makes one to the manager. */
function roundTripResolver(manager: DnsClient): ClusterResolver {
  const pool = new LoopbackPool();
  let id = 0;
  return {
    async resolve(fqdn: string): Promise<ClusterAnswer | undefined> {
      id = (id + 1) & 0xffff;
      const answer = await manager.query(query(fqdn, id));
      if ((answer[3]! & 0xf) !== 0) return undefined;
      return { ipv4: [pool.address(fqdn)], ipv6: [], ports: [], ttl: 300 };
    },
    reverse: (address) => pool.reverse(address),
  };
}

function query(name: string, id: number): Uint8Array {
  return new Uint8Array(dnsPacket.encode({
    type: "query",
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: "A", class: "IN" }],
  }));
}

function round(microseconds: number): number {
  return Math.round(microseconds * 10) / 10;
}
