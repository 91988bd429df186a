/**
 * The records of a cluster answer: A and AAAA from its addresses, SRV from its ports (one per
 * pod for a headless service), and what NXDOMAIN and NODATA look like.
 *
 * @module
 */

// @ts-types="@types/dns-packet"
import type { Answer, RecordType } from "dns-packet";
import type { ClusterName } from "./names.ts";
import type { ClusterAnswer, ClusterPort } from "./resolver.ts";

/** What the stub answers for a cluster name, before encoding. */
export interface ClusterReply {
  rcode: "NOERROR" | "NXDOMAIN";
  answers: Answer[];
  /** Addresses of SRV targets, so the client need not ask again. */
  additionals: Answer[];
}

const NXDOMAIN: ClusterReply = { rcode: "NXDOMAIN", answers: [], additionals: [] };

/**
 * The reply to a question about a cluster name. A name without records of the asked type gets
 * NODATA (NOERROR and no answers); an unknown name, or an SRV name whose service lacks the
 * port, gets NXDOMAIN.
 *
 * @param qname the name as the client asked it; answers carry it unchanged
 * @param qtype the asked type
 * @param name what the name stands for
 * @param answer what the cluster knows, `undefined` when nothing
 * @param ttl the TTL the records carry, in seconds
 * @returns the reply
 */
export function clusterReply(
  qname: string,
  qtype: RecordType | string,
  name: ClusterName,
  answer: ClusterAnswer | undefined,
  ttl: number,
): ClusterReply {
  if (answer === undefined) return NXDOMAIN;
  if (name.kind === "srv") {
    const ports = answer.ports.filter((p) =>
      p.protocol === name.protocol && (p.name ?? String(p.port)) === name.port
    );
    if (ports.length === 0) return NXDOMAIN;
    if (qtype !== "SRV") return { rcode: "NOERROR", answers: [], additionals: [] };
    return { rcode: "NOERROR", ...srvRecords(qname, name.fqdn, answer, ports, ttl) };
  }
  switch (qtype) {
    case "A":
      return {
        rcode: "NOERROR",
        answers: addressRecords(qname, answer.ipv4, [], ttl),
        additionals: [],
      };
    case "AAAA":
      return {
        rcode: "NOERROR",
        answers: addressRecords(qname, [], answer.ipv6, ttl),
        additionals: [],
      };
    case "ANY":
      return {
        rcode: "NOERROR",
        answers: addressRecords(qname, answer.ipv4, answer.ipv6, ttl),
        additionals: [],
      };
    case "SRV":
      return { rcode: "NOERROR", ...srvRecords(qname, name.fqdn, answer, answer.ports, ttl) };
    default:
      return { rcode: "NOERROR", answers: [], additionals: [] };
  }
}

/**
 * The reply to a reverse query for an address the resolver handed out.
 *
 * @param qname the reverse name as asked
 * @param qtype the asked type
 * @param target the name behind the address
 * @param ttl the TTL, in seconds
 * @returns a PTR record for PTR (and ANY), NODATA otherwise
 */
export function ptrReply(
  qname: string,
  qtype: RecordType | string,
  target: string,
  ttl: number,
): ClusterReply {
  const answers: Answer[] = qtype === "PTR" || qtype === "ANY"
    ? [{ type: "PTR", name: qname, ttl, class: "IN", data: target }]
    : [];
  return { rcode: "NOERROR", answers, additionals: [] };
}

function srvRecords(
  qname: string,
  fqdn: string,
  answer: ClusterAnswer,
  ports: readonly ClusterPort[],
  ttl: number,
): { answers: Answer[]; additionals: Answer[] } {
  // A headless service names each pod; any other service is its own target.
  const targets = answer.pods !== undefined && answer.pods.length > 0
    ? answer.pods.map((pod) => ({
      name: `${pod.hostname}.${fqdn}`,
      ipv4: pod.address.includes(":") ? [] : [pod.address],
      ipv6: pod.address.includes(":") ? [pod.address] : [],
    }))
    : [{ name: fqdn, ipv4: answer.ipv4, ipv6: answer.ipv6 }];
  const weight = Math.max(1, Math.floor(100 / targets.length));
  const answers: Answer[] = [];
  for (const port of ports) {
    for (const target of targets) {
      answers.push({
        type: "SRV",
        name: qname,
        ttl,
        class: "IN",
        data: { priority: 0, weight, port: port.port, target: target.name },
      });
    }
  }
  const additionals = targets.flatMap((t) => addressRecords(t.name, t.ipv4, t.ipv6, ttl));
  return { answers, additionals };
}

function addressRecords(
  name: string,
  ipv4: readonly string[],
  ipv6: readonly string[],
  ttl: number,
): Answer[] {
  return [
    ...ipv4.map((data): Answer => ({ type: "A", name, ttl, class: "IN", data })),
    ...ipv6.map((data): Answer => ({ type: "AAAA", name, ttl, class: "IN", data })),
  ];
}
