import assert from "node:assert/strict";
import { MemoryLogger } from "./log.ts";
import {
  type Destination,
  FrameType,
  GoAwayCode,
  MAX_DATAGRAM,
  ResetCode,
  Transport,
} from "./protocol/mod.ts";
import { SessionClosedError, StreamResetError } from "./stream_errors.ts";
import {
  AcceptQueue,
  dialerAgainstRaw,
  memoryTransport,
  readAll,
  sessionPair,
} from "./_test_pairs.ts";

// What a session does when its peer breaks a rule of SPEC.md §7, §9 and §10, played by a
// hand-driven peer. The logic does not depend on the transport, so memory is enough.

/** A daemon session against a raw peer, logging to memory, sending no keepalive pings. */
function quietDialer(
  channels: Parameters<typeof dialerAgainstRaw>[0],
  options: Partial<Parameters<typeof dialerAgainstRaw>[1]> = {},
): ReturnType<typeof dialerAgainstRaw> {
  return dialerAgainstRaw(channels, {
    logger: new MemoryLogger(),
    keepaliveIntervalMs: 0,
    ...options,
  });
}

const web: Destination = { transport: Transport.Tcp, host: "web.shop", port: 80, tag: "" };

/** A daemon session against a raw peer that has opened stream 2, which the daemon accepted. */
async function withAcceptedStream(
  run: (
    raw: Awaited<ReturnType<typeof dialerAgainstRaw>>["raw"],
    stream: Awaited<ReturnType<AcceptQueue["next"]>>,
    session: Awaited<ReturnType<typeof dialerAgainstRaw>>["session"],
  ) => Promise<void>,
): Promise<void> {
  await using channels = await memoryTransport.pair();
  const accepted = new AcceptQueue();
  const { session, raw } = await quietDialer(channels, {
    onStream: accepted.onStream,
  });
  try {
    await raw.send({ type: FrameType.Open, streamId: 2, destination: web });
    assert.equal((await raw.nextOf(FrameType.Accept))?.streamId, 2);
    await run(raw, await accepted.next(), session);
  } finally {
    await session.close();
  }
}

function isReset(code: ResetCode): (error: unknown) => boolean {
  return (error) => error instanceof StreamResetError && error.resetCode === code;
}

Deno.test("a window update that takes the window over 2^32-1 resets the stream with FlowControl", async () => {
  await withAcceptedStream(async (raw, stream, session) => {
    await raw.send({ type: FrameType.WindowUpdate, streamId: 2, increment: 0xffff_ffff });
    const reset = await raw.nextOf(FrameType.Reset);
    assert.equal(reset?.streamId, 2);
    assert.equal(reset?.code, ResetCode.FlowControl);
    await assert.rejects(stream.write(new Uint8Array(1)), isReset(ResetCode.FlowControl));
    assert.equal(session.isClosed, false, "only the stream is reset");
  });
});

Deno.test("data after the peer's fin resets the stream with ProtocolError", async () => {
  await withAcceptedStream(async (raw, stream, session) => {
    await raw.send({ type: FrameType.Fin, streamId: 2 });
    await raw.send({ type: FrameType.Data, streamId: 2, payload: new Uint8Array([1, 2]) });
    const reset = await raw.nextOf(FrameType.Reset);
    assert.equal(reset?.streamId, 2);
    assert.equal(reset?.code, ResetCode.ProtocolError);
    await assert.rejects(stream.write(new Uint8Array(1)), isReset(ResetCode.ProtocolError));
    assert.equal(session.isClosed, false, "only the stream is reset");
  });
});

Deno.test("a datagram over MAX_DATAGRAM resets the UDP stream with TooLarge", async () => {
  await using channels = await memoryTransport.pair();
  const accepted = new AcceptQueue();
  const { session, raw } = await quietDialer(channels, {
    onStream: accepted.onStream,
  });
  try {
    const dns = { transport: Transport.Udp, host: "dns.shop", port: 53, tag: "" } as const;
    await raw.send({ type: FrameType.Open, streamId: 2, destination: dns });
    assert.equal((await raw.nextOf(FrameType.Accept))?.streamId, 2);
    const stream = await accepted.next();
    await raw.send({ type: FrameType.Data, streamId: 2, payload: new Uint8Array(MAX_DATAGRAM) });
    await raw.send({
      type: FrameType.Data,
      streamId: 2,
      payload: new Uint8Array(MAX_DATAGRAM + 1),
    });
    const reset = await raw.nextOf(FrameType.Reset);
    assert.equal(reset?.streamId, 2);
    assert.equal(reset?.code, ResetCode.TooLarge);
    await assert.rejects(stream.readDatagram(), isReset(ResetCode.TooLarge));
    assert.equal(session.isClosed, false, "only the stream is reset");
  } finally {
    await session.close();
  }
});

for (const frame of ["data", "fin"] as const) {
  Deno.test(`${frame} before accept resets the stream and fails open() with ProtocolError`, async () => {
    await using channels = await memoryTransport.pair();
    const { session, raw } = await quietDialer(channels);
    try {
      const opening = session.open(web);
      const open = await raw.nextOf(FrameType.Open);
      assert.equal(open?.streamId, 1);
      await raw.send(
        frame === "data"
          ? { type: FrameType.Data, streamId: 1, payload: new Uint8Array([1]) }
          : { type: FrameType.Fin, streamId: 1 },
      );
      await assert.rejects(opening, isReset(ResetCode.ProtocolError));
      const reset = await raw.nextOf(FrameType.Reset);
      assert.equal(reset?.streamId, 1);
      assert.equal(reset?.code, ResetCode.ProtocolError);
      // A late Accept for the stream changes nothing: the session goes on.
      await raw.send({ type: FrameType.Accept, streamId: 1 });
      assert.equal(session.streamCount, 0);
      assert.equal(session.isClosed, false);
    } finally {
      await session.close();
    }
  });
}

Deno.test("open() after the last stream id sends go-away Normal and rejects", async () => {
  await using channels = await memoryTransport.pair();
  const { session, raw } = await quietDialer(channels, {
    firstStreamId: 0xffff_ffff,
  });
  try {
    const last = session.open(web);
    assert.equal((await raw.nextOf(FrameType.Open))?.streamId, 0xffff_ffff);
    await raw.send({ type: FrameType.Accept, streamId: 0xffff_ffff });
    const stream = await last;
    await assert.rejects(session.open(web), SessionClosedError);
    const goAway = await raw.nextOf(FrameType.GoAway);
    assert.equal(goAway?.code, GoAwayCode.Normal);
    assert.match(goAway?.reason ?? "", /stream ids used up/);
    const end = await session.closed;
    assert.equal(end.code, GoAwayCode.Normal);
    await assert.rejects(readAll(stream), SessionClosedError);
  } finally {
    await session.close();
  }
});

Deno.test("malformed input ends only that peer's session, with the reason in its go-away", async () => {
  await using channels = await memoryTransport.pair();
  const { session, raw } = await quietDialer(channels);
  await using other = await sessionPair(memoryTransport);
  try {
    await raw.writeBytes(new Uint8Array(64).fill(0xee));
    const goAway = await raw.nextOf(FrameType.GoAway);
    assert.equal(goAway?.code, GoAwayCode.ProtocolError);
    assert.match(goAway?.reason ?? "", /frame version 238/);
    assert.equal((await session.closed).code, GoAwayCode.ProtocolError);
    // Another connection of the same process goes on.
    assert.ok(await other.daemon.ping() >= 0);
    assert.equal(other.daemon.isClosed || other.manager.isClosed, false);
  } finally {
    await session.close();
  }
});
