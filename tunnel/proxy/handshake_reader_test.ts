import assert from "node:assert/strict";
import { bytes, concat, scriptedConn, splitAt } from "./_test_conns.ts";
import {
  HandshakeReader,
  HeadTooLargeError,
  IncompleteHandshakeError,
} from "./handshake_reader.ts";
import type { DuplexConn } from "../relay.ts";

/** Everything `conn` yields, read three bytes at a time. */
async function readText(conn: DuplexConn): Promise<string> {
  const buffer = new Uint8Array(3);
  const read: string[] = [];
  for (let n = await conn.read(buffer); n !== null; n = await conn.read(buffer)) {
    read.push(new TextDecoder().decode(buffer.subarray(0, n)));
  }
  return read.join("");
}

Deno.test("HandshakeReader.readHead() finds the empty line wherever the reads cut it", async () => {
  const input = bytes("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\nBODY");
  for (let at = 0; at <= input.length; at++) {
    const reader = new HandshakeReader(scriptedConn(splitAt(input, at)), 1024);
    const head = new TextDecoder().decode(await reader.readHead());
    assert.equal(head, "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", `split at ${at}`);
    assert.equal(await readText(reader.connection()), "BODY", `split at ${at}`);
  }
});

Deno.test("HandshakeReader.readHead() finds the end of a head sent one byte at a time", async () => {
  const input = bytes("CONNECT a:1 HTTP/1.1\n\nrest");
  const reader = new HandshakeReader(scriptedConn([...input].map((b) => Uint8Array.of(b))), 64);
  assert.equal(new TextDecoder().decode(await reader.readHead()), "CONNECT a:1 HTTP/1.1\n\n");
});

Deno.test("HandshakeReader.readHead() accepts a head of exactly the capacity", async () => {
  const line = "CONNECT a:1 HTTP/1.1\r\nX: ";
  const head = line + "y".repeat(100 - line.length - 4) + "\r\n\r\n";
  assert.equal(head.length, 100);
  const reader = new HandshakeReader(scriptedConn([bytes(head)]), 100);
  assert.equal((await reader.readHead()).length, 100);
});

Deno.test("HandshakeReader.readHead() throws HeadTooLargeError past the capacity", async () => {
  const reader = new HandshakeReader(scriptedConn([bytes("GET " + "x".repeat(200))]), 100);
  await assert.rejects(() => reader.readHead(), HeadTooLargeError);
});

Deno.test("HandshakeReader throws IncompleteHandshakeError when the client closes early", async () => {
  const reader = new HandshakeReader(scriptedConn([Uint8Array.of(5, 2, 0)]), 64);
  await assert.rejects(() => reader.readExact(4), IncompleteHandshakeError);
});

Deno.test("HandshakeReader.connection() reads the bytes read ahead before the socket's", async () => {
  const reader = new HandshakeReader(
    scriptedConn([concat(Uint8Array.of(5, 1, 0), bytes("ahead")), bytes("later")]),
    64,
  );
  assert.deepEqual(await reader.readExact(3), Uint8Array.of(5, 1, 0));
  assert.equal(await readText(reader.connection()), "aheadlater");
});
