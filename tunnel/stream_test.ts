import assert from "node:assert/strict";
import {
  type Destination,
  HEADER_SIZE,
  MAX_DATAGRAM,
  ResetCode,
  TpxError,
  Transport,
} from "./protocol/mod.ts";
import { STREAM_WINDOW } from "./session.ts";
import { MAX_CHUNK, Stream, type StreamLink } from "./stream.ts";
import { StreamResetError } from "./stream_errors.ts";
import {
  AcceptQueue,
  pattern,
  readAll,
  readExactly,
  sameBytes,
  type SessionPair,
  sessionPair,
  type TransportCase,
  transports,
  turn,
  until,
} from "./_test_pairs.ts";

const tcp: Destination = { transport: Transport.Tcp, host: "web.shop", port: 80, tag: "" };
const udp: Destination = {
  transport: Transport.Udp,
  host: "kube-dns.kube-system",
  port: 53,
  tag: "",
};
const text = new TextEncoder();

/** A connected pair and one stream opened by the daemon, with the manager's end of it. */
async function withStream(
  transport: TransportCase,
  destination: Destination = tcp,
): Promise<{ pair: SessionPair; daemon: Stream; manager: Stream; accepted: AcceptQueue }> {
  const accepted = new AcceptQueue();
  const pair = await sessionPair(transport, { manager: { onStream: accepted.onStream } });
  const daemon = await pair.daemon.open(destination);
  const manager = await accepted.next();
  return { pair, daemon, manager, accepted };
}

const cases: Record<string, (transport: TransportCase) => Promise<void>> = {
  async "bytes flow both ways"(transport) {
    const { pair, daemon, manager } = await withStream(transport);
    await using _ = pair;
    await daemon.write(text.encode("GET / HTTP/1.1\r\n\r\n"));
    assert.deepEqual(await readExactly(manager, 18), text.encode("GET / HTTP/1.1\r\n\r\n"));
    await manager.write(text.encode("HTTP/1.1 200 OK\r\n"));
    assert.deepEqual(await readExactly(daemon, 17), text.encode("HTTP/1.1 200 OK\r\n"));
  },

  async "8 MiB cross intact in each direction at once"(transport) {
    const { pair, daemon, manager } = await withStream(transport);
    await using _ = pair;
    const up = pattern(8 * 1024 * 1024, 7);
    const down = pattern(8 * 1024 * 1024, 8);
    const [, , gotUp, gotDown] = await Promise.all([
      daemon.write(up).then(() => daemon.closeWrite()),
      manager.write(down).then(() => manager.closeWrite()),
      readAll(manager),
      readAll(daemon),
    ]);
    assert.equal(gotUp.length, up.length);
    assert.ok(sameBytes(gotUp, up), "daemon → manager bytes differ");
    assert.equal(gotDown.length, down.length);
    assert.ok(sameBytes(gotDown, down), "manager → daemon bytes differ");
    await until(() => pair.daemon.streamCount === 0, "the daemon released the stream");
    await until(() => pair.manager.streamCount === 0, "the manager released the stream");
    assert.ok(daemon.done && manager.done);
  },

  async "after the opener half-closes, the peer reads the end and can still answer"(transport) {
    const { pair, daemon, manager } = await withStream(transport);
    await using _ = pair;
    await daemon.write(text.encode("request"));
    await daemon.closeWrite();
    assert.deepEqual(await readAll(manager), text.encode("request"));
    assert.equal(await manager.read(new Uint8Array(8)), null, "the end stays the end");
    await manager.write(text.encode("response"));
    assert.deepEqual(await readExactly(daemon, 8), text.encode("response"));
    assert.equal(daemon.done, false, "still open towards the daemon");
    await manager.closeWrite();
    assert.equal(await daemon.read(new Uint8Array(8)), null);
    await until(() => pair.daemon.streamCount === 0 && pair.manager.streamCount === 0, "release");
  },

  async "after the acceptor half-closes, the opener reads the end and can still send"(transport) {
    const { pair, daemon, manager } = await withStream(transport);
    await using _ = pair;
    await manager.write(text.encode("banner"));
    await manager.closeWrite();
    assert.deepEqual(await readAll(daemon), text.encode("banner"));
    await daemon.write(text.encode("late"));
    assert.deepEqual(await readExactly(manager, 4), text.encode("late"));
    await daemon.closeWrite();
    assert.equal(await manager.read(new Uint8Array(8)), null);
  },

  async "write() after closeWrite() throws, and closeWrite() twice is harmless"(transport) {
    const { pair, daemon } = await withStream(transport);
    await using _ = pair;
    await daemon.closeWrite();
    await daemon.closeWrite();
    await assert.rejects(daemon.write(new Uint8Array(1)), TpxError);
  },

  async "a reset mid-transfer fails the peer's reader and later writes on both ends"(transport) {
    const { pair, daemon, manager } = await withStream(transport);
    await using _ = pair;
    // More than a window, so the writer is still at work when the reset comes.
    const writing = daemon.write(pattern(4 * STREAM_WINDOW)).then(
      () => undefined,
      (error: unknown) => error,
    );
    await readExactly(manager, 1000);
    daemon.reset(ResetCode.Cancelled, "the client went away");

    const readError = await drain(manager);
    assert.ok(readError instanceof StreamResetError, `${readError}`);
    assert.equal(readError.resetCode, ResetCode.Cancelled);
    assert.equal(readError.byPeer, true);
    assert.match(readError.message, /the client went away/);
    await assert.rejects(manager.write(new Uint8Array(1)), StreamResetError);

    const writeError = await writing;
    assert.ok(writeError instanceof StreamResetError, `writer saw ${writeError}`);
    assert.equal(writeError.byPeer, false);
    await assert.rejects(daemon.write(new Uint8Array(1)), StreamResetError);
    await assert.rejects(daemon.read(new Uint8Array(1)), StreamResetError);
    await until(() => pair.daemon.streamCount === 0 && pair.manager.streamCount === 0, "release");
  },

  async "a reset by the reader fails the writer waiting for credit"(transport) {
    const { pair, daemon, manager } = await withStream(transport);
    await using _ = pair;
    const writing = assert.rejects(
      daemon.write(pattern(2 * STREAM_WINDOW)),
      (error) => error instanceof StreamResetError && error.resetCode === ResetCode.TooLarge,
    );
    await until(() => manager.buffered === STREAM_WINDOW, "a window arrived");
    manager.reset(ResetCode.TooLarge, "request body over the limit");
    await writing;
    // The session goes on.
    const next = await pair.daemon.open(tcp);
    await next.write(new Uint8Array([1]));
  },

  async "a stalled reader costs at most its window while other streams keep flowing"(transport) {
    const accepted = new AcceptQueue();
    await using pair = await sessionPair(transport, { manager: { onStream: accepted.onStream } });
    const stalledWriter = await pair.daemon.open(tcp);
    const stalledReader = await accepted.next();
    const data = pattern(4 * STREAM_WINDOW, 3);
    let written = false;
    const writing = stalledWriter.write(data).then(() => written = true);

    await until(() => stalledReader.buffered === STREAM_WINDOW, "a whole window arrived");
    for (let i = 0; i < 20; i++) await turn();
    assert.equal(written, false, "the writer waits for credit");
    assert.equal(stalledReader.buffered, STREAM_WINDOW, "never more than a window buffered");

    // Another stream on the same session moves 4 MiB meanwhile.
    const other = await pair.daemon.open(tcp);
    const otherEnd = await accepted.next();
    const bulk = pattern(4 * 1024 * 1024, 4);
    let maxBuffered = 0;
    let moved = false;
    const [, got] = await Promise.all([
      other.write(bulk).then(() => other.closeWrite()),
      readAll(otherEnd).finally(() => moved = true),
      (async () => {
        while (!moved) {
          maxBuffered = Math.max(maxBuffered, stalledReader.buffered);
          await turn();
        }
      })(),
    ]);
    assert.ok(sameBytes(got, bulk), "the other stream's bytes differ");
    assert.equal(written, false, "the stalled writer still waits");
    assert.equal(maxBuffered, STREAM_WINDOW);

    // The reader resumes and every byte arrives, in order.
    const [rest] = await Promise.all([readExactly(stalledReader, data.length), writing]);
    assert.ok(sameBytes(rest, data), "the stalled stream's bytes differ");
  },

  async "a stalled reader's small chunks do not pin the session's receive buffers"(transport) {
    const accepted = new AcceptQueue();
    await using pair = await sessionPair(transport, { manager: { onStream: accepted.onStream } });
    const stalled = await pair.daemon.open(tcp);
    const stalledEnd = await accepted.next();
    const busy = await pair.daemon.open(tcp);
    const busyEnd = await accepted.next();
    const rounds = 32;
    for (let i = 0; i < rounds; i++) {
      await stalled.write(new Uint8Array([i]));
      await Promise.all([busy.write(pattern(192 * 1024, i)), readExactly(busyEnd, 192 * 1024)]);
    }
    await until(() => stalledEnd.buffered === rounds, "the stalled stream got its bytes");
    const buffers = new Set<ArrayBufferLike>();
    let got = 0;
    while (got < rounds) {
      const chunk = (await stalledEnd.readChunk())!;
      buffers.add(chunk.buffer);
      got += chunk.length;
    }
    const pinned = [...buffers].reduce((sum, buffer) => sum + buffer.byteLength, 0);
    assert.ok(
      pinned <= 2 * STREAM_WINDOW,
      `${rounds} buffered bytes keep ${pinned} bytes of receive buffers alive`,
    );
  },

  async "writeFrame() sends the bytes behind the header room, and readChunk() hands them over"(
    transport,
  ) {
    const { pair, daemon, manager } = await withStream(transport);
    await using _ = pair;
    const payload = pattern(40_000, 5);
    const frame = new Uint8Array(HEADER_SIZE + MAX_CHUNK);
    frame.set(payload, HEADER_SIZE);
    await daemon.writeFrame(frame, payload.length);
    await daemon.writeFrame(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 42), 1);
    await daemon.closeWrite();
    const chunks: Uint8Array[] = [];
    for (let c = await manager.readChunk(); c; c = await manager.readChunk()) chunks.push(c);
    const got = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    chunks.reduce((offset, c) => (got.set(c, offset), offset + c.length), 0);
    assert.deepEqual(got, Uint8Array.of(...payload, 42));
  },

  async "writeFrame() tells onWritten when its buffer may be reused, and reuse keeps bytes intact"(
    transport,
  ) {
    const { pair, daemon, manager } = await withStream(transport);
    await using _ = pair;
    const payload = pattern(1024 * 1024, 9);
    const reading = readAll(manager);
    // Two buffers in turn, each refilled only once the writer gave it back.
    const free = [0, 1].map(() => new Uint8Array(HEADER_SIZE + MAX_CHUNK));
    let reused = 0;
    for (let offset = 0; offset < payload.length; offset += MAX_CHUNK) {
      while (free.length === 0) await turn();
      const frame = free.pop()!;
      const part = payload.subarray(offset, offset + MAX_CHUNK);
      frame.set(part, HEADER_SIZE);
      await daemon.writeFrame(frame, part.length, () => {
        reused++;
        free.push(frame);
      });
    }
    await daemon.closeWrite();
    assert.ok(sameBytes(await reading, payload), "the bytes changed on the way");
    await until(() => reused === payload.length / MAX_CHUNK, "every buffer came back");
  },

  async "writeFrame() waits for credit for its whole payload"(transport) {
    const { pair, daemon, manager } = await withStream(transport);
    await using _ = pair;
    await daemon.write(new Uint8Array(STREAM_WINDOW - 100));
    await until(() => manager.buffered === STREAM_WINDOW - 100, "the window was used");
    let sent = false;
    const frame = new Uint8Array(HEADER_SIZE + 1000).fill(7, HEADER_SIZE);
    const writing = daemon.writeFrame(frame, 1000).then(() => sent = true);
    for (let i = 0; i < 10; i++) await turn();
    assert.equal(sent, false, "100 bytes of credit is not enough for 1000");
    await readExactly(manager, STREAM_WINDOW - 100);
    await writing;
    assert.deepEqual(await readExactly(manager, 1000), new Uint8Array(1000).fill(7));
  },

  async "datagrams keep their boundaries"(transport) {
    const { pair, daemon, manager } = await withStream(transport, udp);
    await using _ = pair;
    assert.equal(daemon.isDatagram, true);
    const sent = [pattern(1, 1), pattern(MAX_DATAGRAM, 2), pattern(512, 3), new Uint8Array(0)];
    for (const datagram of sent) assert.equal(await daemon.writeDatagram(datagram), true);
    for (const datagram of sent) assert.deepEqual(await manager.readDatagram(), datagram);
    assert.equal(await manager.writeDatagram(text.encode("answer")), true);
    assert.deepEqual(await daemon.readDatagram(), text.encode("answer"));
  },

  async "a datagram over MAX_DATAGRAM throws instead of being split"(transport) {
    const { pair, daemon, manager } = await withStream(transport, udp);
    await using _ = pair;
    await assert.rejects(
      daemon.writeDatagram(new Uint8Array(MAX_DATAGRAM + 1)),
      (error) => error instanceof TpxError && error.code === "datagram_too_large",
    );
    assert.equal(await daemon.writeDatagram(text.encode("still usable")), true);
    assert.deepEqual(await manager.readDatagram(), text.encode("still usable"));
  },

  async "datagrams beyond the window are dropped, not queued"(transport) {
    const { pair, daemon, manager } = await withStream(transport, udp);
    await using _ = pair;
    const size = 60_000;
    const fits = Math.floor(STREAM_WINDOW / size);
    const results: boolean[] = [];
    for (let i = 0; i < fits + 3; i++) results.push(await daemon.writeDatagram(pattern(size, i)));
    assert.deepEqual(results, [...new Array(fits).fill(true), false, false, false]);
    await until(() => manager.buffered === fits * size, "the datagrams that fit arrived");
    for (let i = 0; i < fits; i++) assert.deepEqual(await manager.readDatagram(), pattern(size, i));
    // Reading returned the credit: datagrams flow again once it arrived.
    let sent = false;
    for (let i = 0; i < 1000 && !sent; i++) {
      sent = await daemon.writeDatagram(pattern(size, 99));
      if (!sent) await turn();
    }
    assert.ok(sent, "credit came back");
    assert.deepEqual(await manager.readDatagram(), pattern(size, 99));
  },
};

/** Reads until the stream fails; returns the error (or null if it ended cleanly). */
async function drain(stream: Stream): Promise<unknown> {
  const buf = new Uint8Array(64 * 1024);
  try {
    while (await stream.read(buf) !== null) { /* discard */ }
    return null;
  } catch (error) {
    return error;
  }
}

for (const transport of transports) {
  for (const [name, fn] of Object.entries(cases)) {
    Deno.test(`${name} (${transport.name})`, () => fn(transport));
  }
}

/** A link that records what a lone stream sends. */
function recordingLink(): StreamLink & { frames: Uint8Array[] } {
  const frames: Uint8Array[] = [];
  return {
    frames,
    send: (frame) => {
      frames.push(frame);
      return Promise.resolve();
    },
    release: () => {},
    growWindow: () => true,
  };
}

Deno.test("writeDatagram() charges an empty datagram one byte of window", async () => {
  const link = recordingLink();
  const stream = new Stream(1, udp, 4, link);
  const results = [];
  for (let i = 0; i < 6; i++) results.push(await stream.writeDatagram(new Uint8Array(0)));
  assert.deepEqual(results, [true, true, true, true, false, false]);
  assert.equal(link.frames.length, 4);
  stream.receiveWindowUpdate(1);
  assert.equal(await stream.writeDatagram(new Uint8Array(0)), true);
});

Deno.test("receiveData() refuses empty datagrams beyond the window", () => {
  const stream = new Stream(2, udp, 4, recordingLink());
  const accepted = [];
  for (let i = 0; i < 5; i++) accepted.push(stream.receiveData(new Uint8Array(0)));
  assert.deepEqual(accepted, [undefined, undefined, undefined, undefined, ResetCode.FlowControl]);
});

Deno.test("read() gives credit back in batches of a quarter window", async () => {
  const link = recordingLink();
  const stream = new Stream(2, tcp, 16, link);
  assert.equal(stream.receiveData(new Uint8Array(16)), undefined);
  assert.equal(
    stream.receiveData(new Uint8Array(1)),
    ResetCode.FlowControl,
    "a full window is full",
  );
  assert.equal(await stream.read(new Uint8Array(3)), 3);
  assert.equal(link.frames.length, 0, "3 bytes is less than a quarter");
  assert.equal(await stream.read(new Uint8Array(1)), 1);
  assert.equal(link.frames.length, 1, "4 bytes is a quarter: one window update");
  assert.equal(stream.receiveData(new Uint8Array(4)), undefined, "the credit is usable again");
  assert.equal(stream.receiveData(new Uint8Array(1)), ResetCode.FlowControl);
});

Deno.test("readChunks() hands over every queued chunk for one window update", async () => {
  const link = recordingLink();
  const stream = new Stream(2, tcp, 16, link);
  for (const size of [4, 5, 6]) assert.equal(stream.receiveData(new Uint8Array(size)), undefined);
  const chunks = await stream.readChunks();
  assert.deepEqual(chunks?.map((c) => c.length), [4, 5, 6]);
  assert.equal(link.frames.length, 1, "one credit for all three");
  const increment = new DataView(link.frames[0]!.buffer, link.frames[0]!.byteOffset).getUint32(
    HEADER_SIZE,
  );
  assert.equal(increment, 15);
  assert.equal(stream.receiveData(new Uint8Array(16)), undefined, "the whole window is free again");
  stream.receiveFin();
  assert.deepEqual((await stream.readChunks())?.map((c) => c.length), [16]);
  assert.equal(await stream.readChunks(), null);
});
