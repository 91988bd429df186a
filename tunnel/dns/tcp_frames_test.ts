import assert from "node:assert/strict";
import { FrameReader } from "./tcp_frames.ts";

/** A reader that hands out its chunks one per read, however large the caller's buffer. */
function chunks(...parts: number[][]): { read(p: Uint8Array): Promise<number | null> } {
  const queue = parts.map((p) => Uint8Array.from(p));
  return {
    read(p) {
      const next = queue.shift();
      if (next === undefined) return Promise.resolve(null);
      const n = Math.min(p.length, next.length);
      p.set(next.subarray(0, n));
      if (n < next.length) queue.unshift(next.subarray(n));
      return Promise.resolve(n);
    },
  };
}

Deno.test("FrameReader reads several messages from one chunk", async () => {
  const frames = new FrameReader(chunks([0, 2, 1, 2, 0, 1, 3]));
  assert.deepEqual(await frames.next(), Uint8Array.from([1, 2]));
  assert.deepEqual(await frames.next(), Uint8Array.from([3]));
  assert.equal(await frames.next(), null);
});

Deno.test("FrameReader waits for a message split across reads, even its length", async () => {
  const frames = new FrameReader(chunks([0], [3, 7], [8], [9, 0], [0]));
  assert.deepEqual(await frames.next(), Uint8Array.from([7, 8, 9]));
  assert.deepEqual(await frames.next(), new Uint8Array(0));
  assert.equal(await frames.next(), null);
});

Deno.test("FrameReader reads a 65,535-byte message", async () => {
  const body = Array.from({ length: 65_535 }, (_, i) => i & 0xff);
  const frames = new FrameReader(chunks([0xff, 0xff, ...body.slice(0, 1000)], body.slice(1000)));
  assert.deepEqual(await frames.next(), Uint8Array.from(body));
});

Deno.test("FrameReader returns null when the stream ends inside a message", async () => {
  assert.equal(await new FrameReader(chunks([0, 5, 1, 2])).next(), null);
  assert.equal(await new FrameReader(chunks([0])).next(), null);
});
