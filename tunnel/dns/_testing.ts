/**
 * Test helpers of the stub's tests, imported by nothing else: a fake upstream DNS server on
 * loopback, a fake cluster resolver that counts its calls, and a client.
 *
 * @module
 */

// @ts-types="@types/dns-packet"
import dnsPacket, { type DecodedPacket, type Packet, type RecordType } from "dns-packet";
import { Buffer } from "node:buffer";
import { LoopbackPool } from "./loopback_pool.ts";
import type { ClusterAnswer, ClusterResolver } from "./resolver.ts";
import type { NameServer } from "./resolv_conf.ts";
import { FrameReader } from "./tcp_frames.ts";
import { exchangeTcp, exchangeUdp } from "./transport.ts";
import { tcpFrame } from "./wire.ts";

/** A decoded message; dns-packet also sets fields its types leave out. */
export type Decoded = DecodedPacket & { rcode: string; opcode: string };

/** Decodes a message. */
export function decode(bytes: Uint8Array): Decoded {
  return dnsPacket.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as Decoded;
}

/** Encodes a query for one name. */
export function encodeQuery(
  name: string,
  type: RecordType,
  options: { id?: number; ednsSize?: number } = {},
): Uint8Array {
  const packet: Packet = {
    type: "query",
    id: options.id ?? 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type, class: "IN" }],
  };
  if (options.ednsSize !== undefined) {
    packet.additionals = [{
      type: "OPT",
      name: ".",
      udpPayloadSize: options.ednsSize,
      extendedRcode: 0,
      ednsVersion: 0,
      flags: 0,
      flag_do: false,
      options: [],
    }];
  }
  return new Uint8Array(dnsPacket.encode(packet));
}

/** Asks a server one question and decodes the answer. */
export async function ask(
  server: NameServer,
  name: string,
  type: RecordType,
  options: { transport?: "udp" | "tcp"; ednsSize?: number } = {},
): Promise<Decoded & { size: number }> {
  const query = encodeQuery(name, type, options);
  const exchange = options.transport === "tcp" ? exchangeTcp : exchangeUdp;
  const bytes = await exchange(server, query, { timeoutMs: 5_000 });
  return { ...decode(bytes), size: bytes.length };
}

/** The data of the answers of a given type. */
export function dataOf(packet: DecodedPacket, type: string = "A"): unknown[] {
  return (packet.answers ?? []).filter((a) => a.type === type).map((a) =>
    "data" in a ? a.data : undefined
  );
}

/** The TTL of the first answer. */
export function firstTtl(packet: DecodedPacket): number | undefined {
  const first = packet.answers?.[0];
  return first !== undefined && "ttl" in first ? first.ttl : undefined;
}

/** A cluster resolver over a fixed table, handing out loopback addresses like the daemon. */
export class FakeResolver implements ClusterResolver {
  readonly calls: string[] = [];
  readonly pool = new LoopbackPool();
  readonly #table: Map<string, ClusterAnswer>;

  constructor(table: Record<string, Partial<ClusterAnswer>>) {
    this.#table = new Map(
      Object.entries(table).map(([name, answer]) => [name, {
        ipv4: answer.ipv4 ?? [this.pool.address(name)],
        ipv6: answer.ipv6 ?? [],
        ports: answer.ports ?? [],
        ttl: answer.ttl ?? 30,
        ...(answer.pods ? { pods: answer.pods } : {}),
      }]),
    );
  }

  resolve(fqdn: string): Promise<ClusterAnswer | undefined> {
    this.calls.push(fqdn);
    return Promise.resolve(this.#table.get(fqdn));
  }

  reverse(address: string): string | undefined {
    return this.pool.reverse(address);
  }
}

/** How the fake upstream treats a query. */
export type UpstreamBehaviour = (
  query: DecodedPacket,
  transport: "udp" | "tcp",
) => Packet | "silent";

/** A tiny DNS server on 127.0.0.1, UDP and TCP on one port, that counts what it gets. */
export class FakeUpstream implements AsyncDisposable {
  readonly queries: { name: string; type: string; transport: "udp" | "tcp" }[] = [];
  readonly addr: NameServer;
  readonly #udp: Deno.DatagramConn;
  readonly #tcp: Deno.TcpListener;
  readonly #conns = new Set<Deno.Conn>();
  readonly #loops: Promise<void>[];

  constructor(behaviour: UpstreamBehaviour) {
    // The free UDP port may be taken for TCP; then try another.
    for (let attempt = 1;; attempt++) {
      const udp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
      const port = (udp.addr as Deno.NetAddr).port;
      try {
        this.#tcp = Deno.listen({ hostname: "127.0.0.1", port });
        this.#udp = udp;
        this.addr = { hostname: "127.0.0.1", port };
        break;
      } catch (error) {
        udp.close();
        if (attempt === 10) throw error;
      }
    }
    this.#loops = [this.#serveUdp(behaviour), this.#serveTcp(behaviour)];
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#udp.close();
    this.#tcp.close();
    for (const conn of this.#conns) conn.close();
    await Promise.all(this.#loops);
  }

  #answer(behaviour: UpstreamBehaviour, bytes: Uint8Array, transport: "udp" | "tcp") {
    const query = decode(bytes);
    const question = query.questions![0]!;
    this.queries.push({ name: question.name, type: question.type, transport });
    const reply = behaviour(query, transport);
    if (reply === "silent") return undefined;
    return dnsPacket.encode({
      type: "response",
      id: query.id ?? 0,
      questions: query.questions ?? [],
      ...reply,
    });
  }

  async #serveUdp(behaviour: UpstreamBehaviour): Promise<void> {
    try {
      for (;;) {
        const [bytes, from] = await this.#udp.receive();
        const answer = this.#answer(behaviour, bytes, "udp");
        if (answer) await this.#udp.send(answer, from);
      }
    } catch {
      // closed
    }
  }

  async #serveTcp(behaviour: UpstreamBehaviour): Promise<void> {
    const sessions: Promise<void>[] = [];
    try {
      for (;;) {
        const conn = await this.#tcp.accept();
        this.#conns.add(conn);
        sessions.push((async () => {
          try {
            const frames = new FrameReader(conn);
            for (let q = await frames.next(); q !== null; q = await frames.next()) {
              const answer = this.#answer(behaviour, q, "tcp");
              if (answer) await conn.write(tcpFrame(answer));
            }
          } catch {
            // closed
          } finally {
            this.#conns.delete(conn);
            try {
              conn.close();
            } catch {
              // already closed
            }
          }
        })());
      }
    } catch {
      // closed
    }
    await Promise.all(sessions);
  }
}

/** A FakeUpstream answering every A query with `192.0.2.1` and TTL 300. */
export function exampleUpstream(): FakeUpstream {
  return new FakeUpstream((query) => ({
    flags: dnsPacket.RECURSION_AVAILABLE,
    answers: query.questions![0]!.type === "A"
      ? [{ type: "A", name: query.questions![0]!.name, ttl: 300, data: "192.0.2.1" }]
      : [],
  }));
}
