/**
 * Asking the daemon's stub DNS for a name's IPv4 addresses, the way a program on this machine
 * would if the system resolver pointed at the stub.
 *
 * @module
 */
// @ts-types="@types/dns-packet"
import dnsPacket from "dns-packet";
import { Buffer } from "node:buffer";
import { exchangeUdp } from "../../tunnel/dns/mod.ts";
import { TpxError } from "../../tunnel/protocol/mod.ts";

/** Stable codes of the errors of this module. */
export const LookupErrorCode = { NoAddress: "demo_no_address" } as const;

/**
 * Encodes an A query.
 *
 * @param name such as `hello.demo`
 * @param id the query's id
 * @returns the query's bytes
 */
export function encodeAQuery(name: string, id: number): Uint8Array {
  return new Uint8Array(dnsPacket.encode({
    type: "query",
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: "A", class: "IN" }],
  }));
}

/**
 * The IPv4 addresses of an answer.
 *
 * @param answer the answer's bytes
 * @param name the name asked for, for the error
 * @returns the addresses, at least one
 * @throws {TpxError} `demo_no_address` naming the response code when there are none
 */
export function addressesOf(answer: Uint8Array, name: string): [string, ...string[]] {
  const decoded = dnsPacket.decode(
    Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength),
  ) as dnsPacket.DecodedPacket & { rcode?: string };
  const addresses = (decoded.answers ?? []).flatMap((a) =>
    a.type === "A" && typeof a.data === "string" ? [a.data] : []
  );
  const [first, ...rest] = addresses;
  if (first === undefined) {
    throw new TpxError("cluster", `The stub DNS has no address for "${name}"`, {
      code: LookupErrorCode.NoAddress,
      hint: `it answered ${decoded.rcode ?? "?"}; the manager does not know the name`,
    });
  }
  return [first, ...rest];
}

/**
 * Resolves `name` with the stub at `server`.
 *
 * @param server the stub's address and port, as `tpx status` shows them
 * @param name the name
 * @param signal gives up when aborted
 * @returns its IPv4 addresses
 * @throws {TpxError} when the stub does not answer or has no address
 */
export async function resolveWithStub(
  server: { address: string; port: number },
  name: string,
  signal: AbortSignal,
): Promise<[string, ...string[]]> {
  const query = encodeAQuery(name, Math.floor(Math.random() * 0xffff));
  const answer = await exchangeUdp({ hostname: server.address, port: server.port }, query, {
    timeoutMs: 5_000,
    signal,
  });
  return addressesOf(answer, name);
}
