import assert from "node:assert/strict";
import { type Destination, FrameType, HEADER_SIZE, ResetCode, Transport } from "./protocol/mod.ts";
import { MAX_RECEIVE_WINDOW, Stream, type StreamLink } from "./stream.ts";

const tcp: Destination = { transport: Transport.Tcp, host: "web.shop", port: 80, tag: "" };

/** A link that records the credit a lone stream grants, with a growth budget. */
function creditLink(budget = Infinity): StreamLink & { increments: number[]; grown: number } {
  const link = {
    increments: [] as number[],
    grown: 0,
    send: (frame: Uint8Array) => {
      if (frame[1] === FrameType.WindowUpdate) {
        link.increments.push(new DataView(frame.buffer, frame.byteOffset).getUint32(HEADER_SIZE));
      }
      return Promise.resolve();
    },
    release: () => {},
    growWindow: (bytes: number) => {
      if (link.grown + bytes > budget) return false;
      link.grown += bytes;
      return true;
    },
  };
  return link;
}

/** The peer sends `chunk` bytes and the reader reads them at once, `times` times. */
async function keepUp(stream: Stream, chunk: number, times: number): Promise<void> {
  const buffer = new Uint8Array(chunk);
  for (let i = 0; i < times; i++) {
    assert.equal(stream.receiveData(new Uint8Array(chunk)), undefined);
    assert.equal(await stream.read(buffer), chunk);
  }
}

Deno.test("a stream whose reader keeps up doubles its window and grants the growth with its credit", async () => {
  const link = creditLink();
  const stream = new Stream(2, tcp, 16, link);
  await keepUp(stream, 4, 4);
  // Three quarter-window credits, then the fourth with a whole window more.
  assert.deepEqual(link.increments, [4, 4, 4, 4 + 16]);
  assert.equal(stream.grownWindow, 16);
  assert.equal(stream.receiveData(new Uint8Array(32)), undefined, "the window is 32 now");
  assert.equal(stream.receiveData(new Uint8Array(1)), ResetCode.FlowControl);
});

Deno.test("a stream whose reader falls behind keeps its window", async () => {
  const link = creditLink();
  const stream = new Stream(2, tcp, 16, link);
  for (let round = 0; round < 3; round++) {
    // The whole window waits before the reader comes: the reader is what limits the stream.
    assert.equal(stream.receiveData(new Uint8Array(16)), undefined);
    assert.equal(await stream.read(new Uint8Array(16)), 16);
  }
  assert.deepEqual(link.increments, [16, 16, 16]);
  assert.equal(stream.grownWindow, 0);
  assert.equal(stream.receiveData(new Uint8Array(17)), ResetCode.FlowControl);
});

Deno.test("a stream's window grows no larger than MAX_RECEIVE_WINDOW", async () => {
  const link = creditLink();
  const half = MAX_RECEIVE_WINDOW / 2;
  const stream = new Stream(2, tcp, half, link);
  const chunk = half / 8;
  await keepUp(stream, chunk, 8);
  assert.equal(stream.grownWindow, half, "doubled once");
  await keepUp(stream, chunk, 32);
  assert.equal(stream.grownWindow, half, "and no further");
  assert.equal(link.increments.reduce((a, b) => a + b, 0), 40 * chunk + half);
});

Deno.test("a stream's window grows only as far as the session's budget allows", async () => {
  const link = creditLink(16);
  const stream = new Stream(2, tcp, 16, link);
  await keepUp(stream, 4, 4);
  assert.equal(stream.grownWindow, 16);
  await keepUp(stream, 8, 4);
  assert.equal(stream.grownWindow, 16, "the budget of 16 is spent");
  assert.equal(link.grown, 16);
});

Deno.test("a stream does not grow its window after the peer's fin", async () => {
  const link = creditLink();
  const stream = new Stream(2, tcp, 16, link);
  await keepUp(stream, 4, 3);
  assert.equal(stream.receiveData(new Uint8Array(4)), undefined);
  stream.receiveFin();
  assert.equal(await stream.read(new Uint8Array(4)), 4);
  assert.deepEqual(link.increments, [4, 4, 4, 4]);
  assert.equal(stream.grownWindow, 0);
});
