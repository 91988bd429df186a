import assert from "node:assert/strict";
import type { ByteChannel } from "./channel.ts";
import { FrameWriter } from "./frame_writer.ts";
import { turn } from "./_test_pairs.ts";

/** A channel whose writes finish only when the test says so; it records what was written. */
class GatedChannel implements ByteChannel {
  readonly written: Uint8Array[] = [];
  #pending: { p: Uint8Array; resolve: (n: number) => void }[] = [];

  read(): Promise<number | null> {
    return Promise.resolve(null);
  }

  write(p: Uint8Array): Promise<number> {
    return new Promise((resolve) => this.#pending.push({ p, resolve }));
  }

  /** Finishes the oldest pending write, taking all of its bytes. */
  finishOne(): void {
    const next = this.#pending.shift();
    assert.ok(next, "no write is pending");
    this.written.push(next.p.slice());
    next.resolve(next.p.length);
  }

  close(): void {}
}

Deno.test("FrameWriter.enqueue() calls onWritten only once the frame's write finished", async () => {
  const channel = new GatedChannel();
  const writer = new FrameWriter(channel, (error) => assert.fail(String(error)));
  const frame = new Uint8Array(64 * 1024).fill(7);
  let written = 0;
  await writer.enqueue(frame, false, () => written++);
  await turn();
  assert.equal(written, 0, "told before the channel took the bytes");
  channel.finishOne();
  await writer.flush();
  assert.equal(written, 1);
  assert.deepEqual(channel.written, [frame]);
});

Deno.test("FrameWriter.enqueue() calls onWritten for a small frame once it is copied into a joined write", async () => {
  const channel = new GatedChannel();
  const writer = new FrameWriter(channel, (error) => assert.fail(String(error)));
  const calls: string[] = [];
  // The first write is under way; the next two queue behind it and are joined.
  await writer.enqueue(new Uint8Array([1]), false, () => calls.push("first"));
  await writer.enqueue(new Uint8Array([2]), false, () => calls.push("second"));
  await writer.enqueue(new Uint8Array([3]), false, () => calls.push("third"));
  channel.finishOne();
  await turn();
  assert.deepEqual(calls, ["first", "second", "third"]);
  channel.finishOne();
  await writer.flush();
  assert.deepEqual(channel.written, [new Uint8Array([1]), new Uint8Array([2, 3])]);
  assert.deepEqual(calls, ["first", "second", "third"], "a frame was reported twice");
});

Deno.test("FrameWriter.abort() drops every onWritten, even of a write under way", async () => {
  const channel = new GatedChannel();
  const writer = new FrameWriter(channel, () => {});
  const calls: string[] = [];
  await writer.enqueue(new Uint8Array(64 * 1024), false, () => calls.push("under way"));
  await writer.enqueue(new Uint8Array(64 * 1024), false, () => calls.push("queued"));
  writer.abort(new Error("gone"));
  channel.finishOne();
  await turn();
  // The session is over: nobody reuses a buffer any more, so nobody is told.
  assert.deepEqual(calls, []);
});
