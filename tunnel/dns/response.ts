/**
 * Encoding an answer within a size: what does not fit in a UDP datagram is left out and the
 * TC bit set, so the client asks again over TCP and gets all of it.
 *
 * @module
 */

// @ts-types="@types/dns-packet"
import dnsPacket, { type Packet } from "dns-packet";

/**
 * Encodes a response in at most `maxBytes`. Additional records are dropped first, without
 * TC, since a client can do without them (RFC 2181 9); if the answers still do not fit, as
 * many whole answers as fit are kept and TC is set.
 *
 * @example
 * ```ts
 * const bytes = encodeWithin({ type: "response", id: 1, questions: [], answers: [] }, 512);
 * ```
 *
 * @param packet the full response
 * @param maxBytes the size limit: 512, the client's EDNS size, or 65,535 over TCP
 * @returns the encoded response
 */
export function encodeWithin(packet: Packet, maxBytes: number): Uint8Array {
  const full = encode(packet);
  if (full.length <= maxBytes) return full;
  const additionals = (packet.additionals ?? []).filter((r) => r.type === "OPT");
  const withoutExtras = encode({ ...packet, additionals });
  if (withoutExtras.length <= maxBytes) return withoutExtras;

  const answers = packet.answers ?? [];
  const truncated = {
    ...packet,
    additionals,
    authorities: [],
    flags: (packet.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE,
  };
  // Binary search for the most answers that fit; sizes grow with the count.
  let low = 0;
  let high = answers.length - 1;
  let best = encode({ ...truncated, answers: [] });
  while (low <= high) {
    const middle = (low + high) >> 1;
    const bytes = encode({ ...truncated, answers: answers.slice(0, middle + 1) });
    if (bytes.length <= maxBytes) {
      best = bytes;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return best;
}

/** Plain bytes rather than a Node Buffer, whose `slice()` would share memory. */
function encode(packet: Packet): Uint8Array {
  const buffer = dnsPacket.encode(packet);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
