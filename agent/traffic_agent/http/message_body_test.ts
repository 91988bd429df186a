import assert from "node:assert/strict";
import { bytes, cutAt, ScriptedConn, text } from "./_test_conns.ts";
import { BufferedConn } from "./buffered_conn.ts";
import { copyMessage } from "./message_body.ts";
import { TpxError } from "../../../tunnel/protocol/mod.ts";

function pair(chunks: (Uint8Array | string)[]) {
  const sink = new ScriptedConn();
  return { from: new BufferedConn(new ScriptedConn(chunks)), to: new BufferedConn(sink), sink };
}

Deno.test("copyMessage() copies exactly Content-Length bytes and leaves what follows", async () => {
  const { from, to, sink } = pair(["01234", "56789NEXT"]);
  await copyMessage(from, to, { kind: "length", length: 10 });
  assert.equal(text(sink.written), "0123456789");
  assert.equal(text(from.view()), "NEXT");
});

Deno.test("copyMessage() sends a head with the body that came with it in one write", async () => {
  const head = "POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n";
  const { from, to, sink } = pair([head + "abcGET"]);
  await from.fill();
  let allRead = false;
  await copyMessage(from, to, { kind: "length", length: 3 }, head.length, () => allRead = true);
  assert.equal(text(sink.written), head + "abc");
  assert.equal(sink.writes, 1);
  assert.equal(allRead, true);
  assert.equal(text(from.view()), "GET");
});

Deno.test("copyMessage() sends a head at once when no body came with it yet", async () => {
  const { from, to, sink } = pair(["HEAD\r\n\r\n", "body"]);
  await from.fill();
  await copyMessage(from, to, { kind: "length", length: 4 }, 8);
  assert.equal(sink.writes, 2);
  assert.equal(text(sink.written), "HEAD\r\n\r\nbody");
});

Deno.test("copyMessage() passes a chunked body on verbatim however it is split", async () => {
  const body = bytes("4\r\nwiki\r\n5;x=y\r\npedia\r\n0\r\nTrailer: t\r\n\r\n");
  const rest = bytes("NEXT");
  const whole = new Uint8Array([...body, ...rest]);
  for (let cut = 1; cut < whole.length; cut++) {
    const { from, to, sink } = pair(cutAt(whole, cut));
    await copyMessage(from, to, { kind: "chunked" });
    assert.deepEqual(sink.written, body, `cut at ${cut}`);
    while (await from.fill());
    assert.equal(text(from.view()), "NEXT");
  }
});

Deno.test("copyMessage() copies until the end of the stream for until-close", async () => {
  const { from, to, sink } = pair(["a", "b", "c"]);
  await copyMessage(from, to, { kind: "until-close" });
  assert.equal(text(sink.written), "abc");
});

Deno.test("copyMessage() copies several MiB in slices of its buffer", async () => {
  const size = 5 * 1024 * 1024 + 17;
  const data = new Uint8Array(size).map((_, i) => i * 7);
  const { from, to, sink } = pair(cutAt(data, 1000, 70_000, 3_000_000));
  await copyMessage(from, to, { kind: "length", length: size });
  assert.deepEqual(sink.written, data);
});

Deno.test("copyMessage() fails when the peer closes inside the body", async () => {
  const { from, to } = pair(["abc"]);
  await assert.rejects(
    () => copyMessage(from, to, { kind: "length", length: 10 }),
    (error: TpxError) => error.code === "peer_closed",
  );
  const chunked = pair(["3\r\nabc\r\n"]);
  await assert.rejects(() => copyMessage(chunked.from, chunked.to, { kind: "chunked" }), TpxError);
});
