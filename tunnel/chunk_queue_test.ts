import assert from "node:assert/strict";
import { ChunkQueue } from "./chunk_queue.ts";

Deno.test("ChunkQueue.readInto() splits a chunk that does not fit and keeps the rest", () => {
  const queue = new ChunkQueue();
  queue.push(new Uint8Array([1, 2, 3]));
  queue.push(new Uint8Array([4, 5]));
  const p = new Uint8Array(4);
  assert.equal(queue.readInto(p), 4);
  assert.deepEqual([...p], [1, 2, 3, 4]);
  assert.equal(queue.bytes, 1);
  assert.deepEqual([...queue.shift()!], [5]);
  assert.equal(queue.length, 0);
});

Deno.test("ChunkQueue keeps order through many pushes and shifts", () => {
  const queue = new ChunkQueue();
  for (let i = 0; i < 5000; i++) queue.push(new Uint8Array([i & 0xff]));
  for (let i = 0; i < 5000; i++) assert.equal(queue.shift()![0], i & 0xff);
  assert.equal(queue.shift(), undefined);
  assert.equal(queue.bytes, 0);
});
