import assert from "node:assert/strict";
import { bytes, ScriptedConn, text } from "./_test_conns.ts";
import { BufferedConn, readHead } from "./buffered_conn.ts";
import { parseRequestHead } from "./request_head.ts";

Deno.test("BufferedConn keeps unconsumed bytes in front of newly read ones", async () => {
  const conn = new BufferedConn(new ScriptedConn(["abc", "def"]));
  assert.equal(await conn.fill(), true);
  conn.consume(1);
  assert.equal(await conn.fill(), true);
  assert.equal(text(conn.view()), "bcdef");
  assert.equal(await conn.fill(), false);
  assert.equal(conn.ended, true);
});

Deno.test("BufferedConn.next() returns buffered bytes without reading", async () => {
  const conn = new BufferedConn(new ScriptedConn(["abc"]));
  assert.equal(text((await conn.next())!), "abc");
  assert.equal(text((await conn.next())!), "abc");
  conn.consume(3);
  assert.equal(await conn.next(), null);
});

Deno.test("BufferedConn.watch() notices that an idle peer closed", async () => {
  const conn = new BufferedConn(new ScriptedConn([]));
  assert.equal(conn.reusable, true);
  conn.watch();
  await conn.close();
  assert.equal(conn.ended, true);
  assert.equal(conn.reusable, false);
});

Deno.test("BufferedConn rethrows a failed read to the next caller", async () => {
  const scripted = new ScriptedConn(["abc"]);
  scripted.close();
  const conn = new BufferedConn(scripted);
  await assert.rejects(() => conn.fill(), Deno.errors.BadResource);
  await assert.rejects(() => conn.fill(), Deno.errors.BadResource);
});

Deno.test("readHead() reads until the head is complete and leaves it buffered", async () => {
  const conn = new BufferedConn(new ScriptedConn(["GET / HT", "TP/1.1\r\n", "\r\nbody"]));
  const result = await readHead(conn, parseRequestHead);
  assert.equal(result?.kind, "parsed");
  assert.equal(text(conn.view()), "GET / HTTP/1.1\r\n\r\nbody");
});

Deno.test("readHead() returns null at the end of the stream, with what came buffered", async () => {
  const empty = new BufferedConn(new ScriptedConn([]));
  assert.equal(await readHead(empty, parseRequestHead), null);
  const cut = new BufferedConn(new ScriptedConn([bytes("GET / HTTP/1.1\r\n")]));
  assert.equal(await readHead(cut, parseRequestHead), null);
  assert.equal(cut.length, 16);
});

Deno.test("BufferedConn grows its buffer for a head larger than its first size", async () => {
  const head = "GET / HTTP/1.1\r\nX-Big: " + "a".repeat(40_000) + "\r\n\r\n";
  const conn = new BufferedConn(new ScriptedConn([head.slice(0, 20_000), head.slice(20_000)]));
  const result = await readHead(conn, parseRequestHead);
  assert.equal(result?.kind, "parsed");
  assert.equal(conn.length, head.length);
});
