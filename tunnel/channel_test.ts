import assert from "node:assert/strict";
import { ChannelClosedError, memoryChannelPair, writeAll } from "./channel.ts";
import { pattern, readAll, readExactly, turn } from "./_test_pairs.ts";

Deno.test("memoryChannelPair() carries bytes each way", async () => {
  const [a, b] = memoryChannelPair();
  try {
    await writeAll(a, new Uint8Array([1, 2, 3]));
    await writeAll(b, new Uint8Array([4, 5]));
    assert.deepEqual(await readExactly(b, 3), new Uint8Array([1, 2, 3]));
    assert.deepEqual(await readExactly(a, 2), new Uint8Array([4, 5]));
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("write() takes only what fits, and waits while the buffer is full", async () => {
  const [a, b] = memoryChannelPair(10);
  try {
    assert.equal(await a.write(new Uint8Array(6)), 6);
    assert.equal(await a.write(new Uint8Array(6)), 4, "only 4 bytes were free");
    let done = false;
    const blocked = a.write(new Uint8Array([9])).then((n) => {
      done = true;
      return n;
    });
    await turn();
    assert.equal(done, false, "a full buffer makes the writer wait");
    assert.equal(await b.read(new Uint8Array(3)), 3);
    assert.equal(await blocked, 1);
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("writeAll() gets a large write through a small buffer intact", async () => {
  const [a, b] = memoryChannelPair(1000);
  try {
    const data = pattern(100_000);
    const [, got] = await Promise.all([writeAll(a, data).then(() => a.close()), readAll(b)]);
    assert.deepEqual(got, data);
  } finally {
    b.close();
  }
});

Deno.test("write() copies: the caller may reuse its buffer at once", async () => {
  const [a, b] = memoryChannelPair();
  try {
    const buf = new Uint8Array([1, 2, 3]);
    await writeAll(a, buf);
    buf.fill(0);
    assert.deepEqual(await readExactly(b, 3), new Uint8Array([1, 2, 3]));
  } finally {
    a.close();
    b.close();
  }
});

Deno.test("close() lets the peer read what was buffered, then the end", async () => {
  const [a, b] = memoryChannelPair();
  await writeAll(a, new Uint8Array([7, 8]));
  a.close();
  try {
    assert.deepEqual(await readExactly(b, 2), new Uint8Array([7, 8]));
    assert.equal(await b.read(new Uint8Array(4)), null);
    assert.equal(await b.read(new Uint8Array(4)), null, "the end stays the end");
  } finally {
    b.close();
  }
});

Deno.test("close() fails this end's pending read", async () => {
  const [a, b] = memoryChannelPair();
  const pendingRead = assert.rejects(a.read(new Uint8Array(4)), ChannelClosedError);
  a.close();
  await pendingRead;
  b.close();
});

Deno.test("after close(), this end's reads and writes fail, and so do the peer's writes", async () => {
  const [a, b] = memoryChannelPair();
  a.close();
  await assert.rejects(a.write(new Uint8Array(1)), ChannelClosedError);
  await assert.rejects(a.read(new Uint8Array(1)), ChannelClosedError);
  await assert.rejects(b.write(new Uint8Array(1)), ChannelClosedError);
  assert.equal(await b.read(new Uint8Array(1)), null, "a's close ends what b reads");
  b.close();
  b.close(); // twice is harmless
});

Deno.test("a writer waiting on a full buffer fails when the reader closes", async () => {
  const [a, b] = memoryChannelPair(4);
  assert.equal(await b.write(new Uint8Array(4)), 4);
  const waiting = assert.rejects(b.write(new Uint8Array(1)), ChannelClosedError);
  await turn();
  a.close();
  await waiting;
  b.close();
});
