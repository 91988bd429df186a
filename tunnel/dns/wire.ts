/**
 * DNS messages at the byte level, for what must work on any input: reading the header of a
 * packet that may be garbage, answering it with an error, checking that an upstream answer
 * is for our question, and aging the TTLs of a cached answer without decoding it.
 *
 * Copies are made with `new Uint8Array(bytes)`, never `bytes.slice()`: dns-packet returns
 * Node Buffers, whose `slice()` is a view of the same memory.
 *
 * @module
 */

/** Response codes the stub sends (RFC 1035 4.1.1). */
export const Rcode = { NoError: 0, FormErr: 1, ServFail: 2, NXDomain: 3, NotImp: 4 } as const;
export type Rcode = typeof Rcode[keyof typeof Rcode];

/** The size of the fixed header. */
export const HEADER_SIZE = 12;
/** What a UDP answer may hold when the client did not say (RFC 1035 4.2.1). */
export const CLASSIC_UDP_SIZE = 512;
/** The most a length-prefixed TCP message can hold. */
export const MAX_TCP_SIZE = 65_535;

const FLAG_QR = 0x8000;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const FLAG_RA = 0x0080;
const TYPE_OPT = 41;

/** The fields of a header the stub looks at. */
export interface Header {
  id: number;
  isResponse: boolean;
  opcode: number;
  truncated: boolean;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

/**
 * Reads the fixed header.
 *
 * @param bytes a message
 * @returns the header, or `undefined` when the message is shorter than one
 */
export function readHeader(bytes: Uint8Array): Header | undefined {
  if (bytes.length < HEADER_SIZE) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = view.getUint16(2);
  return {
    id: view.getUint16(0),
    isResponse: (flags & FLAG_QR) !== 0,
    opcode: (flags >> 11) & 0xf,
    truncated: (flags & FLAG_TC) !== 0,
    rcode: flags & 0xf,
    qdcount: view.getUint16(4),
    ancount: view.getUint16(6),
    nscount: view.getUint16(8),
    arcount: view.getUint16(10),
  };
}

/**
 * An error answer to a query: its id, opcode and RD flag, and its question when it has
 * exactly one that can be read, since stub resolvers match answers to questions.
 *
 * @param query the query as received, at least a header long
 * @param rcode the error
 * @returns the answer
 */
export function errorResponse(query: Uint8Array, rcode: Rcode): Uint8Array {
  const header = readHeader(query);
  const end = header?.qdcount === 1 ? questionEnd(query) : undefined;
  const response = new Uint8Array(end ?? HEADER_SIZE);
  response.set(query.subarray(0, end ?? 4));
  const view = new DataView(response.buffer);
  const flags = view.getUint16(2);
  view.setUint16(2, FLAG_QR | (flags & 0x7800) | (flags & FLAG_RD) | FLAG_RA | rcode);
  view.setUint16(4, end === undefined ? 0 : 1);
  return response;
}

/**
 * A copy of an answer with its records left out and the TC bit set: what a UDP client gets
 * when even the first record would not fit, so it asks again over TCP.
 *
 * @param response a response with one readable question
 * @returns the header and question, truncated; `undefined` if the question cannot be read
 */
export function truncatedResponse(response: Uint8Array): Uint8Array | undefined {
  const end = questionEnd(response);
  if (end === undefined) return undefined;
  const copy = new Uint8Array(response.subarray(0, end));
  const view = new DataView(copy.buffer);
  view.setUint16(2, view.getUint16(2) | FLAG_TC);
  view.setUint32(6, 0);
  view.setUint16(10, 0);
  return copy;
}

/**
 * A copy of a message with another id.
 *
 * @param bytes the message
 * @param id the new id
 * @returns the copy
 */
export function withId(bytes: Uint8Array, id: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  new DataView(copy.buffer).setUint16(0, id);
  return copy;
}

/**
 * Where the first question ends.
 *
 * @param bytes a message
 * @returns the offset after its first question, or `undefined` when it has none that parses
 */
export function questionEnd(bytes: Uint8Array): number | undefined {
  if ((readHeader(bytes)?.qdcount ?? 0) < 1) return undefined;
  const nameEnd = skipName(bytes, HEADER_SIZE);
  return nameEnd !== undefined && nameEnd + 4 <= bytes.length ? nameEnd + 4 : undefined;
}

/**
 * Whether two messages carry the same first question, ignoring the case of the name: an
 * upstream answer that does not is not for us.
 *
 * @param a a message
 * @param b another
 * @returns true when the questions match
 */
export function sameQuestion(a: Uint8Array, b: Uint8Array): boolean {
  const endA = questionEnd(a);
  if (endA === undefined || endA !== questionEnd(b)) return false;
  for (let i = HEADER_SIZE; i < endA; i++) {
    if (lowerAscii(a[i]!) !== lowerAscii(b[i]!)) return false;
  }
  return true;
}

/**
 * The smallest TTL among a message's records (the OPT pseudo-record has none).
 *
 * @param bytes a response
 * @returns seconds, `undefined` when it has no records, or `null` when the records cannot be read
 */
export function minTtl(bytes: Uint8Array): number | undefined | null {
  const records = recordOffsets(bytes);
  if (records === undefined) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let min: number | undefined;
  for (const { type, ttlAt } of records) {
    if (type === TYPE_OPT) continue;
    const ttl = view.getUint32(ttlAt);
    min = min === undefined ? ttl : Math.min(min, ttl);
  }
  return min;
}

/**
 * A copy of a response whose TTLs are lowered by the time it spent in the cache.
 *
 * @param bytes a response whose records can be read
 * @param seconds how much to take off each TTL (not below 0)
 * @returns the copy
 */
export function agedResponse(bytes: Uint8Array, seconds: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  const view = new DataView(copy.buffer);
  for (const { type, ttlAt } of recordOffsets(copy) ?? []) {
    if (type !== TYPE_OPT) view.setUint32(ttlAt, Math.max(0, view.getUint32(ttlAt) - seconds));
  }
  return copy;
}

/**
 * Prefixes a message with its length, as DNS over TCP does.
 *
 * @param bytes a message of at most 65,535 bytes
 * @returns the framed message
 */
export function tcpFrame(bytes: Uint8Array): Uint8Array {
  const framed = new Uint8Array(bytes.length + 2);
  new DataView(framed.buffer).setUint16(0, bytes.length);
  framed.set(bytes, 2);
  return framed;
}

function recordOffsets(bytes: Uint8Array): { type: number; ttlAt: number }[] | undefined {
  const header = readHeader(bytes);
  if (header === undefined) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset: number | undefined = HEADER_SIZE;
  for (let i = 0; i < header.qdcount; i++) {
    offset = skipName(bytes, offset);
    if (offset === undefined || offset + 4 > bytes.length) return undefined;
    offset += 4;
  }
  const records: { type: number; ttlAt: number }[] = [];
  const count = header.ancount + header.nscount + header.arcount;
  for (let i = 0; i < count; i++) {
    offset = skipName(bytes, offset);
    if (offset === undefined || offset + 10 > bytes.length) return undefined;
    records.push({ type: view.getUint16(offset), ttlAt: offset + 4 });
    offset += 10 + view.getUint16(offset + 8);
    if (offset > bytes.length) return undefined;
  }
  return records;
}

/** The offset after a (possibly compressed) name; a pointer ends it, so loops cannot happen. */
function skipName(bytes: Uint8Array, offset: number): number | undefined {
  while (offset < bytes.length) {
    const length = bytes[offset]!;
    if (length === 0) return offset + 1;
    if ((length & 0xc0) === 0xc0) return offset + 2 <= bytes.length ? offset + 2 : undefined;
    if ((length & 0xc0) !== 0) return undefined;
    offset += 1 + length;
  }
  return undefined;
}

function lowerAscii(byte: number): number {
  return byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte;
}
