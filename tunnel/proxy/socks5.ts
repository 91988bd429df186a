/**
 * The SOCKS5 handshake (RFC 1928) as far as a CONNECT-only proxy needs it: method selection
 * with "no authentication" only, one request, one reply. Parsing and encoding only; the server
 * decides what to do.
 *
 * @module
 */
import { ProtocolError } from "../protocol/mod.ts";
import { SocksReply } from "./failures.ts";
import type { HandshakeReader } from "./handshake_reader.ts";

/** The first byte of every SOCKS5 message. */
export const SOCKS5_VERSION = 0x05;
/** The first byte of a SOCKS4 (or 4a) request. */
export const SOCKS4_VERSION = 0x04;

/** Authentication methods (RFC 1928 §3). */
export const SocksMethod = { NoAuthentication: 0x00, NoAcceptable: 0xff } as const;

/** Request commands (RFC 1928 §4). */
export const SocksCommand = { Connect: 0x01, Bind: 0x02, UdpAssociate: 0x03 } as const;

/** Address types (RFC 1928 §5). */
export const SocksAddressType = { IPv4: 0x01, DomainName: 0x03, IPv6: 0x04 } as const;

/** A parsed request, or the reply that refuses it. */
export type SocksRequest =
  | { ok: true; command: number; host: string; port: number }
  | { ok: false; reply: SocksReply; reason: string };

/**
 * Reads the method-selection message and says whether "no authentication" was offered.
 *
 * @param reader the client's bytes, at the version byte
 * @returns whether the client accepts no authentication
 * @throws {ProtocolError} when the version is not 5
 * @throws {IncompleteHandshakeError} when the client closed first
 */
export async function readGreeting(reader: HandshakeReader): Promise<boolean> {
  const [version, count] = await reader.readExact(2);
  if (version !== SOCKS5_VERSION) throw new ProtocolError(`SOCKS version ${version} in greeting`);
  const methods = await reader.readExact(count!);
  return methods.includes(SocksMethod.NoAuthentication);
}

/**
 * The server's method selection.
 *
 * @param accepted whether "no authentication" was offered
 * @returns the two bytes to send
 */
export function encodeMethodSelection(accepted: boolean): Uint8Array {
  return Uint8Array.of(
    SOCKS5_VERSION,
    accepted ? SocksMethod.NoAuthentication : SocksMethod.NoAcceptable,
  );
}

/**
 * Reads one request. A command other than CONNECT, or a malformed name, yields the reply to
 * refuse it with; an unknown address type too, though its bytes cannot be skipped (its length
 * is unknown), so the connection must close after the reply.
 *
 * @param reader the client's bytes, after the method selection
 * @returns the request, or the refusal
 * @throws {ProtocolError} when the version is not 5
 * @throws {IncompleteHandshakeError} when the client closed first
 */
export async function readRequest(reader: HandshakeReader): Promise<SocksRequest> {
  const [version, command, , addressType] = await reader.readExact(4);
  if (version !== SOCKS5_VERSION) throw new ProtocolError(`SOCKS version ${version} in request`);
  let host: string;
  switch (addressType) {
    case SocksAddressType.IPv4:
      host = (await reader.readExact(4)).join(".");
      break;
    case SocksAddressType.IPv6:
      host = formatIpv6(await reader.readExact(16));
      break;
    case SocksAddressType.DomainName: {
      const [length] = await reader.readExact(1);
      host = new TextDecoder("latin1").decode(await reader.readExact(length!));
      break;
    }
    default:
      return {
        ok: false,
        reply: SocksReply.AddressTypeNotSupported,
        reason: `address type ${addressType}`,
      };
  }
  const portBytes = await reader.readExact(2);
  const port = (portBytes[0]! << 8) | portBytes[1]!;
  if (command !== SocksCommand.Connect) {
    const name = command === SocksCommand.UdpAssociate
      ? "UDP ASSOCIATE"
      : command === SocksCommand.Bind
      ? "BIND"
      : `command ${command}`;
    return { ok: false, reply: SocksReply.CommandNotSupported, reason: `${name} is not supported` };
  }
  if (!isValidHostName(host)) {
    return { ok: false, reply: SocksReply.HostUnreachable, reason: "malformed host name" };
  }
  if (port === 0) return { ok: false, reply: SocksReply.HostUnreachable, reason: "port 0" };
  return { ok: true, command, host, port };
}

/**
 * A reply. The bound address is always 0.0.0.0:0: through the tunnel there is no local one,
 * and clients only use it for BIND.
 *
 * @param reply the reply code
 * @returns the ten bytes to send
 */
export function encodeReply(reply: SocksReply): Uint8Array {
  return Uint8Array.of(SOCKS5_VERSION, reply, 0, SocksAddressType.IPv4, 0, 0, 0, 0, 0, 0);
}

/**
 * The SOCKS4 answer "request rejected or failed" (status 91), so that a SOCKS4 client reports
 * a refusal instead of a protocol error.
 *
 * @returns the eight bytes to send
 */
export function encodeSocks4Rejection(): Uint8Array {
  return Uint8Array.of(0x00, 0x5b, 0, 0, 0, 0, 0, 0);
}

/**
 * Whether `host` can be a DNS name or an address literal: 1 to 255 letters, digits, `.`, `-`,
 * `_` (service names) or `:` (an IPv6 literal sent as a name).
 *
 * @param host the name a client asked for
 * @returns whether to try it
 */
export function isValidHostName(host: string): boolean {
  return /^[A-Za-z0-9._:-]{1,255}$/.test(host) && !host.startsWith(".") && !host.includes("..");
}

/**
 * An IPv6 address in its canonical text form (RFC 5952): lowercase, no leading zeros, the
 * longest run of two or more zero groups written `::`.
 *
 * @param bytes the sixteen bytes
 * @returns the text form
 */
export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    groups.slice(from, to).map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}
