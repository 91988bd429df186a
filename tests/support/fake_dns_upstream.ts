/**
 * A name server standing in for the machine's own (the "upstream" the stub forwards to), on a
 * fixed loopback address and port so that a resolv.conf can name it: UDP only, one A answer
 * for every name, and a count of what it was asked.
 *
 * @module
 */

// @ts-types="@types/dns-packet"
import dnsPacket from "dns-packet";
import { Buffer } from "node:buffer";

/** A running fake upstream. */
export interface FakeDnsUpstream extends AsyncDisposable {
  /** The names it was asked, lower case, with the query type: `db.example.test A`. */
  readonly asked: string[];
}

/**
 * Starts the fake upstream.
 *
 * @param hostname where to listen, such as `127.0.0.2`
 * @param port usually 53, since resolv.conf cannot name another port
 * @param address the IPv4 address every A query gets
 * @returns the running server
 */
export function startFakeDnsUpstream(
  hostname: string,
  port: number,
  address: string,
): FakeDnsUpstream {
  const udp = Deno.listenDatagram({ transport: "udp", hostname, port });
  const asked: string[] = [];
  const loop = (async () => {
    try {
      for (;;) {
        const [bytes, from] = await udp.receive();
        const query = dnsPacket.decode(Buffer.from(bytes));
        const question = query.questions?.[0];
        if (!question) continue;
        asked.push(`${question.name.toLowerCase()} ${question.type}`);
        const reply = dnsPacket.encode({
          type: "response",
          id: query.id ?? 0,
          flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
          questions: query.questions ?? [],
          answers: question.type === "A"
            ? [{ type: "A", name: question.name, ttl: 30, data: address }]
            : [],
        });
        await udp.send(new Uint8Array(reply), from);
      }
    } catch {
      // closed
    }
  })();
  return {
    asked,
    async [Symbol.asyncDispose]() {
      udp.close();
      await loop;
    },
  };
}
