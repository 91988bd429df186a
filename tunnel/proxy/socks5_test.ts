import assert from "node:assert/strict";
import { ProtocolError } from "../protocol/mod.ts";
import { bytes, concat, scriptedConn, splitAt } from "./_test_conns.ts";
import { SocksReply } from "./failures.ts";
import { HandshakeReader, IncompleteHandshakeError } from "./handshake_reader.ts";
import {
  encodeMethodSelection,
  encodeReply,
  encodeSocks4Rejection,
  formatIpv6,
  readGreeting,
  readRequest,
} from "./socks5.ts";

const connectTo = (addressType: number, address: Uint8Array, port: number) =>
  concat(Uint8Array.of(5, 1, 0, addressType), address, Uint8Array.of(port >> 8, port & 0xff));
const domain = (name: string) => concat(Uint8Array.of(name.length), bytes(name));

Deno.test("readGreeting() and readRequest() parse a handshake cut at every byte", async () => {
  const greeting = Uint8Array.of(5, 2, 2, 0);
  const request = connectTo(3, domain("web.shop"), 8080);
  const input = concat(greeting, request);
  for (let at = 0; at <= input.length; at++) {
    const reader = new HandshakeReader(scriptedConn(splitAt(input, at)), 512);
    assert.equal(await readGreeting(reader), true, `split at ${at}`);
    assert.deepEqual(await readRequest(reader), {
      ok: true,
      command: 1,
      host: "web.shop",
      port: 8080,
    });
  }
});

Deno.test("readGreeting() reports a client that does not offer 'no authentication'", async () => {
  const reader = new HandshakeReader(scriptedConn([Uint8Array.of(5, 1, 2)]), 64);
  assert.equal(await readGreeting(reader), false);
  assert.deepEqual(encodeMethodSelection(false), Uint8Array.of(5, 0xff));
});

Deno.test("readGreeting() refuses a version other than 5", async () => {
  const reader = new HandshakeReader(scriptedConn([Uint8Array.of(4, 1, 0)]), 64);
  await assert.rejects(() => readGreeting(reader), ProtocolError);
});

Deno.test("readRequest() waits for every byte: a truncated request is incomplete", async () => {
  const request = connectTo(1, Uint8Array.of(10, 0, 0, 1), 80);
  for (let length = 0; length < request.length; length++) {
    const reader = new HandshakeReader(scriptedConn([request.subarray(0, length)]), 64);
    await assert.rejects(() => readRequest(reader), IncompleteHandshakeError, `length ${length}`);
  }
});

Deno.test("readRequest() reads IPv4 and IPv6 addresses", async () => {
  const v4 = new HandshakeReader(scriptedConn([connectTo(1, Uint8Array.of(10, 1, 2, 3), 443)]), 64);
  assert.deepEqual(await readRequest(v4), { ok: true, command: 1, host: "10.1.2.3", port: 443 });
  const address = new Uint8Array(16);
  address[15] = 1;
  const v6 = new HandshakeReader(scriptedConn([connectTo(4, address, 22)]), 64);
  assert.deepEqual(await readRequest(v6), { ok: true, command: 1, host: "::1", port: 22 });
});

Deno.test("readRequest() refuses UDP ASSOCIATE and BIND with 'command not supported'", async () => {
  for (const command of [2, 3]) {
    const request = connectTo(1, Uint8Array.of(0, 0, 0, 0), 0);
    request[1] = command;
    const result = await readRequest(new HandshakeReader(scriptedConn([request]), 64));
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.reply, SocksReply.CommandNotSupported);
  }
});

Deno.test("readRequest() refuses an unknown address type with 'address type not supported'", async () => {
  const result = await readRequest(
    new HandshakeReader(scriptedConn([Uint8Array.of(5, 1, 0, 9, 1, 2, 3)]), 64),
  );
  assert.equal(!result.ok && result.reply, SocksReply.AddressTypeNotSupported);
});

Deno.test("readRequest() refuses a malformed name and port 0 as 'host unreachable'", async () => {
  for (
    const request of [
      connectTo(3, domain("bad name"), 80),
      connectTo(3, Uint8Array.of(0), 80),
      connectTo(3, domain("web.shop"), 0),
    ]
  ) {
    const result = await readRequest(new HandshakeReader(scriptedConn([request]), 512));
    assert.equal(!result.ok && result.reply, SocksReply.HostUnreachable);
  }
});

Deno.test("encodeReply() and encodeSocks4Rejection() write the RFC byte layouts", () => {
  assert.deepEqual(encodeReply(SocksReply.TtlExpired), Uint8Array.of(5, 6, 0, 1, 0, 0, 0, 0, 0, 0));
  assert.deepEqual(encodeSocks4Rejection(), Uint8Array.of(0, 91, 0, 0, 0, 0, 0, 0));
});

Deno.test("formatIpv6() writes the RFC 5952 form", () => {
  const parse = (groups: number[]) => new Uint8Array(groups.flatMap((g) => [g >> 8, g & 0xff]));
  assert.equal(formatIpv6(parse([0, 0, 0, 0, 0, 0, 0, 0])), "::");
  assert.equal(formatIpv6(parse([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])), "2001:db8::1:0:0:1");
  assert.equal(formatIpv6(parse([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])), "2001:db8:0:1:1:1:1:1");
  assert.equal(formatIpv6(parse([0xfe80, 0, 0, 0, 0xabcd, 0, 0, 0])), "fe80::abcd:0:0:0");
  assert.equal(formatIpv6(parse([1, 0, 0, 0, 0, 0, 0, 0])), "1::");
});
