/**
 * What the stub answers to one query, whatever transport carried it: cluster names from the
 * cluster resolver, reverse names of handed-out addresses from the resolver too, everything
 * else from the machine's resolvers. Malformed input gets FORMERR or nothing, never a throw.
 *
 * @module
 */

// @ts-types="@types/dns-packet"
import dnsPacket, { type DecodedPacket, type OptAnswer, type Question } from "dns-packet";
import { Buffer } from "node:buffer";
import type { Logger } from "../log.ts";
import type { ClusterLookup } from "./cluster_lookup.ts";
import { type ClusterReply, clusterReply, ptrReply } from "./cluster_records.ts";
import { type ClusterName, type ClusterNames, parseReverseName } from "./names.ts";
import type { ClusterResolver } from "./resolver.ts";
import { encodeWithin } from "./response.ts";
import type { Forwarder } from "./upstream.ts";
import {
  CLASSIC_UDP_SIZE,
  errorResponse,
  MAX_TCP_SIZE,
  Rcode,
  readHeader,
  truncatedResponse,
} from "./wire.ts";

/** The EDNS UDP size the stub offers and the most it uses of a client's offer. */
const EDNS_UDP_SIZE = 4096;
/** The TTL of PTR answers; the mapping lasts as long as the daemon. */
const PTR_TTL = 60;

/** What {@link QueryHandler} works with. */
export interface QueryHandlerOptions {
  names: ClusterNames;
  lookup: ClusterLookup;
  /** For PTR queries of handed-out addresses. */
  resolver: ClusterResolver;
  forwarder: Forwarder;
  logger: Logger;
}

/** The transport a query came over; it decides how large the answer may be. */
export type Transport = "udp" | "tcp";

/** Turns queries into answers. */
export class QueryHandler {
  readonly #options: QueryHandlerOptions;

  /** @param options the name rules, the cluster lookup, the forwarder and a logger */
  constructor(options: QueryHandlerOptions) {
    this.#options = options;
  }

  /**
   * The answer to a query.
   *
   * @param query the bytes as received
   * @param transport how they came, for the size limit
   * @param signal aborted when the stub closes
   * @returns the answer, or `undefined` for input that deserves none (shorter than a header,
   *   or a response rather than a query)
   */
  async handle(
    query: Uint8Array,
    transport: Transport,
    signal: AbortSignal,
  ): Promise<Uint8Array | undefined> {
    const header = readHeader(query);
    // Answering responses could make two servers bounce packets between them forever.
    if (header === undefined || header.isResponse) return undefined;
    if (header.opcode !== 0) return errorResponse(query, Rcode.NotImp);
    if (header.qdcount !== 1) return errorResponse(query, Rcode.FormErr);
    let packet: DecodedPacket;
    try {
      packet = dnsPacket.decode(toBuffer(query));
    } catch {
      return errorResponse(query, Rcode.FormErr);
    }
    const question = packet.questions?.[0];
    if (question === undefined) return errorResponse(query, Rcode.FormErr);
    const maxBytes = transport === "tcp" ? MAX_TCP_SIZE : udpSize(packet);
    try {
      const reply = await this.#clusterReply(question, signal);
      if (reply !== undefined) return encodeWithin(response(packet, question, reply), maxBytes);
      const answer = await this.#options.forwarder.forward(query, questionKey(question), signal);
      return answer.length <= maxBytes ? answer : truncatedResponse(answer);
    } catch (error) {
      if (signal.aborted) return undefined;
      this.#options.logger.warn("DNS query failed", { name: question.name, error });
      return errorResponse(query, Rcode.ServFail);
    }
  }

  /** Forgets every cached answer, cluster and upstream alike. */
  clearCaches(): void {
    this.#options.lookup.clear();
    this.#options.forwarder.clear();
  }

  /** The reply when the name is the cluster's; `undefined` sends the query upstream. */
  async #clusterReply(question: Question, signal: AbortSignal): Promise<ClusterReply | undefined> {
    if ((question.class ?? "IN") !== "IN") return undefined;
    const address = parseReverseName(question.name);
    if (address !== undefined) {
      const target = this.#options.resolver.reverse(address);
      return target === undefined
        ? undefined
        : ptrReply(question.name, question.type, target, PTR_TTL);
    }
    const name = this.#options.names.classify(question.name);
    if (name === undefined) return undefined;
    const { answer, ttl } = await this.#options.lookup.lookup(name.fqdn, signal);
    if (answer === undefined && isUpstreamIfUnknown(name)) return undefined;
    return clusterReply(question.name, question.type, name, answer, ttl);
  }
}

function isUpstreamIfUnknown(name: ClusterName): boolean {
  return name.kind === "name" && name.upstreamIfUnknown;
}

function response(query: DecodedPacket, question: Question, reply: ClusterReply): dnsPacket.Packet {
  const opt = clientOpt(query);
  const additionals: dnsPacket.Answer[] = [...reply.additionals];
  // A client that spoke EDNS gets an OPT back (RFC 6891 7).
  if (opt !== undefined) {
    additionals.push({
      type: "OPT",
      name: ".",
      udpPayloadSize: EDNS_UDP_SIZE,
      extendedRcode: 0,
      ednsVersion: 0,
      flags: 0,
      flag_do: false,
      options: [],
    });
  }
  let flags = dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE;
  if (query.flag_rd) flags |= dnsPacket.RECURSION_DESIRED;
  return {
    type: "response",
    id: query.id ?? 0,
    flags: flags | (reply.rcode === "NXDOMAIN" ? Rcode.NXDomain : Rcode.NoError),
    questions: [question],
    answers: reply.answers,
    additionals,
  };
}

/** The client's EDNS UDP size, within 512 and what the stub offers. */
function udpSize(query: DecodedPacket): number {
  const offered = clientOpt(query)?.udpPayloadSize ?? CLASSIC_UDP_SIZE;
  return Math.min(EDNS_UDP_SIZE, Math.max(CLASSIC_UDP_SIZE, offered));
}

function clientOpt(query: DecodedPacket): OptAnswer | undefined {
  return query.additionals?.find((r): r is OptAnswer => r.type === "OPT");
}

function questionKey(question: Question): { name: string; type: string; class: string } {
  return {
    name: question.name,
    type: String(question.type),
    class: String(question.class ?? "IN"),
  };
}

function toBuffer(bytes: Uint8Array): Parameters<typeof dnsPacket.decode>[0] {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
