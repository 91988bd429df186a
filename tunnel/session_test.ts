import assert from "node:assert/strict";
import { memoryChannelPair } from "./channel.ts";
import { FakeClock } from "./clock.ts";
import { MemoryLogger } from "./log.ts";
import {
  daemonCodec,
  type Destination,
  encodeFrame,
  FrameType,
  GoAwayCode,
  type Hello,
  managerDaemonCodec,
  ResetCode,
  Role,
  TpxError,
  Transport,
} from "./protocol/mod.ts";
import { Session, STREAM_WINDOW } from "./session.ts";
import type { Stream } from "./stream.ts";
import { SessionClosedError, StreamResetError } from "./stream_errors.ts";
import {
  AcceptQueue,
  daemonHello,
  dialerAgainstRaw,
  managerHello,
  pattern,
  RawPeer,
  readAll,
  readExactly,
  sameBytes,
  sessionPair,
  type TransportCase,
  transports,
  turn,
  until,
} from "./_test_pairs.ts";

const text = new TextEncoder();
const web: Destination = { transport: Transport.Tcp, host: "web.shop", port: 80, tag: "" };

/** The cases every transport runs. */
const cases: Record<string, (transport: TransportCase) => Promise<void>> = {
  async "connect() gives both sides the peer's hello and the negotiated protocol"(transport) {
    await using pair = await sessionPair(transport, {
      daemon: { hello: daemonHello({ minProtocol: 1, maxProtocol: 2, software: "0.2.0" }) },
      manager: { hello: managerHello({ minProtocol: 1, maxProtocol: 3, software: "0.3.0" }) },
    });
    assert.deepEqual(pair.daemon.peer, managerHello({ maxProtocol: 3, software: "0.3.0" }));
    assert.deepEqual(pair.manager.peer, daemonHello({ maxProtocol: 2, software: "0.2.0" }));
    assert.equal(pair.daemon.protocol, 2);
    assert.equal(pair.manager.protocol, 2);
  },

  async "connect() rejects on both sides when no protocol is common, naming both versions and the fix"(
    transport,
  ) {
    const [daemon, manager] = await connectBoth(transport, {
      daemon: daemonHello({ minProtocol: 2, maxProtocol: 3, software: "0.3.0" }),
      manager: managerHello({ minProtocol: 1, maxProtocol: 1, software: "0.1.0" }),
    });
    for (const result of [daemon, manager]) {
      assert.equal(result.status, "rejected");
      const error = result.reason;
      assert.ok(error instanceof TpxError, `${error}`);
      assert.equal(error.category, "config");
      assert.match(error.message, /protocol 1\b/);
      assert.match(error.message, /protocol 2-3/);
      assert.match(error.message, /upgrade the manager/);
      assert.match(error.message, /tpx manager upgrade/);
    }
  },

  async "connect() rejects on both sides when vetPeer refuses the peer"(transport) {
    const [daemon, manager] = await connectBoth(transport, {
      vetPeer: (peer) => peer.role === Role.Agent ? undefined : "only agents connect on this port",
    });
    for (const result of [daemon, manager]) {
      assert.equal(result.status, "rejected");
      assert.ok(result.reason instanceof TpxError, `${result.reason}`);
      assert.match(result.reason.message, /only agents connect on this port/);
    }
  },

  async "a vetPeer that throws refuses the peer instead of escaping"(transport) {
    const [daemon, manager] = await connectBoth(transport, {
      vetPeer: () => {
        throw new Error("lookup failed");
      },
    });
    for (const result of [daemon, manager]) {
      assert.equal(result.status, "rejected");
      assert.ok(result.reason instanceof TpxError, `${result.reason}`);
      assert.match(result.reason.message, /the peer could not be checked/);
    }
  },

  async "a frame other than hello before the handshake closes the peer with a protocol error"(
    transport,
  ) {
    await using channels = await transport.pair();
    const raw = new RawPeer(channels.dialer);
    const logger = new MemoryLogger();
    const connecting = Session.connect(channels.acceptor, {
      side: "acceptor",
      hello: managerHello(),
      codec: managerDaemonCodec,
      logger,
    });
    await raw.send({ type: FrameType.Ping, streamId: 0, opaque: new Uint8Array(8) });
    await assert.rejects(connecting, SessionClosedError);
    const goAway = await raw.nextOf(FrameType.GoAway);
    assert.equal(goAway?.code, GoAwayCode.ProtocolError);
    assert.match(goAway?.reason ?? "", /before the hello/);
    assert.equal(await raw.next(), undefined, "the session closed the connection");
  },

  async "onStream receives the destination as opened, TCP and UDP"(transport) {
    const accepted = new AcceptQueue();
    await using pair = await sessionPair(transport, { manager: { onStream: accepted.onStream } });
    const destinations: Destination[] = [
      { transport: Transport.Tcp, host: "web.shop.svc.cluster.local", port: 8080, tag: "" },
      { transport: Transport.Udp, host: "10.96.0.10", port: 53, tag: "intercept-7/ü" },
      { transport: Transport.Tcp, host: "h", port: 0, tag: "x".repeat(1024) },
    ];
    for (const destination of destinations) {
      const stream = await pair.daemon.open(destination);
      assert.deepEqual(stream.destination, destination);
      assert.deepEqual((await accepted.next()).destination, destination);
    }
    assert.deepEqual(accepted.destinations, destinations);
  },

  async "open() resolves once the peer accepts, with ids of the opener's parity"(transport) {
    const managerAccepts = new AcceptQueue();
    const daemonAccepts = new AcceptQueue();
    await using pair = await sessionPair(transport, {
      daemon: { onStream: daemonAccepts.onStream },
      manager: { onStream: managerAccepts.onStream },
    });
    const fromDaemon = await pair.daemon.open(web);
    const fromManager = await pair.manager.open(web);
    assert.equal(fromDaemon.id % 2, 1, "the dialer opens odd ids");
    assert.equal(fromManager.id % 2, 0, "the acceptor opens even ids");
    assert.equal((await managerAccepts.next()).id, fromDaemon.id);
    assert.equal((await daemonAccepts.next()).id, fromManager.id);
    assert.equal(pair.daemon.streamCount, 2);
    assert.equal(pair.manager.streamCount, 2);
  },

  async "open() rejects with the peer's reset code and reason"(transport) {
    await using pair = await sessionPair(transport, {
      manager: {
        onStream: (incoming) => incoming.reset(ResetCode.Refused, "connection refused by web:80"),
      },
    });
    const error = await pair.daemon.open(web).then(
      () => assert.fail("open() resolved"),
      (error: unknown) => error,
    );
    assert.ok(error instanceof StreamResetError, `${error}`);
    assert.equal(error.resetCode, ResetCode.Refused);
    assert.equal(error.byPeer, true);
    assert.match(error.message, /connection refused by web:80/);
    assert.equal(pair.manager.streamCount, 0, "a refused stream is forgotten");
  },

  async "open() is refused as not allowed when the peer has no stream handler"(transport) {
    await using pair = await sessionPair(transport);
    await assert.rejects(
      pair.daemon.open(web),
      (error) => error instanceof StreamResetError && error.resetCode === ResetCode.NotAllowed,
    );
  },

  async "open() is reset as internal when the stream handler throws"(transport) {
    await using pair = await sessionPair(transport, {
      manager: {
        onStream: () => {
          throw new Error("handler bug");
        },
      },
    });
    await assert.rejects(
      pair.daemon.open(web),
      (error) => error instanceof StreamResetError && error.resetCode === ResetCode.Internal,
    );
    assert.ok(pair.managerLog.messages("error").includes("stream handler failed"));
    // The session goes on.
    assert.equal(typeof await pair.daemon.ping(), "number");
  },

  async "control messages arrive typed, daemon to manager and back"(transport) {
    const atManager: unknown[] = [];
    const atDaemon: unknown[] = [];
    await using pair = await sessionPair(transport, {
      daemon: { onMessage: (message) => atDaemon.push(message) },
      manager: { onMessage: (message) => atManager.push(message) },
    });
    await pair.daemon.send({
      type: "arrive",
      id: 1,
      user: "ana",
      host: "laptop",
      namespaces: ["shop"],
    });
    await until(() => atManager.length === 1, "the manager got the message");
    assert.deepEqual(atManager, [{
      type: "arrive",
      id: 1,
      user: "ana",
      host: "laptop",
      namespaces: ["shop"],
    }]);
    await pair.manager.send({
      type: "welcome",
      id: 1,
      sessionId: "s-1",
      leaseMs: 15_000,
      resumed: false,
      intercepts: [],
    });
    await until(() => atDaemon.length === 1, "the daemon got the message");
    assert.deepEqual(atDaemon, [{
      type: "welcome",
      id: 1,
      sessionId: "s-1",
      leaseMs: 15_000,
      resumed: false,
      intercepts: [],
    }]);
  },

  async "ping() measures a positive round trip and records it"(transport) {
    await using pair = await sessionPair(transport);
    assert.equal(pair.daemon.rttMs, undefined);
    const rtt = await pair.daemon.ping();
    assert.ok(rtt > 0 && Number.isFinite(rtt), `rtt ${rtt}`);
    assert.equal(pair.daemon.rttMs, rtt);
    const [a, b] = await Promise.all([pair.manager.ping(), pair.manager.ping()]);
    assert.ok(a > 0 && b > 0);
  },

  async "keepalive closes a silent peer with KeepaliveTimeout"(transport) {
    const clock = new FakeClock();
    await using channels = await transport.pair();
    const { session, raw } = await dialerAgainstRaw(channels, {
      logger: new MemoryLogger(),
      clock,
      keepaliveIntervalMs: 10_000,
      keepaliveTimeoutMs: 30_000,
    });
    try {
      clock.advance(10_000);
      assert.equal((await raw.next())?.type, FrameType.Ping, "the session pings when idle");
      clock.advance(19_999);
      await turn();
      assert.equal(session.isClosed, false, "not yet: 29.999 s of silence");
      clock.advance(1);
      const end = await session.closed;
      assert.equal(end.code, GoAwayCode.KeepaliveTimeout);
      assert.equal(end.byPeer, false);
      const goAway = await raw.nextOf(FrameType.GoAway);
      assert.equal(goAway?.code, GoAwayCode.KeepaliveTimeout);
      assert.equal(await raw.next(), undefined, "the session closed the connection");
      assert.equal(clock.pending, 0, "no timer left behind");
    } finally {
      await session.close();
    }
  },

  async "connect() gives up on a peer that never says hello, after the keepalive timeout"(
    transport,
  ) {
    const clock = new FakeClock();
    await using channels = await transport.pair();
    const raw = new RawPeer(channels.acceptor);
    let settled = false;
    const connecting = assert.rejects(
      Session.connect(channels.dialer, {
        side: "dialer",
        hello: daemonHello(),
        codec: daemonCodec,
        logger: new MemoryLogger(),
        clock,
        keepaliveTimeoutMs: 5_000,
      }).finally(() => settled = true),
      (error) => error instanceof SessionClosedError && /no hello/.test(error.message),
    );
    assert.equal((await raw.next())?.type, FrameType.Hello);
    clock.advance(4_999);
    await turn();
    assert.equal(settled, false, "still waiting at 4.999 s");
    clock.advance(1);
    await connecting;
    assert.equal((await raw.nextOf(FrameType.GoAway))?.code, GoAwayCode.KeepaliveTimeout);
    assert.equal(clock.pending, 0, "no timer left behind");
  },

  async "keepalive keeps a session whose peer answers"(transport) {
    const clock = new FakeClock();
    await using pair = await sessionPair(transport, {
      clock,
      daemon: { keepaliveIntervalMs: 10_000, keepaliveTimeoutMs: 30_000 },
      manager: { keepaliveIntervalMs: 0 },
    });
    for (let i = 0; i < 10; i++) {
      const received = pair.daemon.bytes.in;
      clock.advance(10_000);
      // The manager's keepalive is off: what the daemon receives now is its pong.
      await until(() => pair.daemon.bytes.in > received, "the pong arrived");
    }
    assert.ok(pair.daemon.rttMs !== undefined);
    assert.equal(pair.daemon.isClosed, false);
    assert.equal(pair.manager.isClosed, false);
  },

  async "close() tells the peer the code and reason, and ends every stream on both sides"(
    transport,
  ) {
    const accepted = new AcceptQueue();
    await using pair = await sessionPair(transport, { manager: { onStream: accepted.onStream } });
    const daemonStreams = [await pair.daemon.open(web), await pair.daemon.open(web)];
    const managerStreams = [await accepted.next(), await accepted.next()];
    // Handlers attached now: the rejections come while close() is awaited.
    const readsFail = [...daemonStreams, managerStreams[0]!].map((s) =>
      assert.rejects(s.read(new Uint8Array(10)), SessionClosedError)
    );
    // Nobody reads this one: its writer waits for credit when the session closes.
    const writeFails = assert.rejects(
      daemonStreams[1]!.write(new Uint8Array(STREAM_WINDOW_PLUS)),
      SessionClosedError,
    );

    await pair.daemon.close(GoAwayCode.Normal, "tpx quit");

    assert.deepEqual(await pair.daemon.closed, {
      code: GoAwayCode.Normal,
      reason: "tpx quit",
      byPeer: false,
    });
    assert.deepEqual(await pair.manager.closed, {
      code: GoAwayCode.Normal,
      reason: "tpx quit",
      byPeer: true,
    });
    await Promise.all([...readsFail, writeFails]);
    await assert.rejects(managerStreams[1]!.read(new Uint8Array(10)), SessionClosedError);
    for (const stream of [...daemonStreams, ...managerStreams]) {
      await assert.rejects(stream.write(new Uint8Array(1)), SessionClosedError);
    }
    await assert.rejects(pair.daemon.open(web), SessionClosedError);
    await assert.rejects(pair.manager.open(web), SessionClosedError);
    await assert.rejects(pair.manager.ping(), SessionClosedError);
    assert.equal(pair.daemon.streamCount, 0);
    assert.equal(pair.manager.streamCount, 0);
  },

  async "close() sends its go-away after the frames already queued"(transport) {
    const accepted = new AcceptQueue();
    await using pair = await sessionPair(transport, { manager: { onStream: accepted.onStream } });
    const daemonStream = await pair.daemon.open(web);
    const managerStream = await accepted.next();
    await managerStream.closeWrite();
    assert.equal(await daemonStream.read(new Uint8Array(1)), null);
    // A window of bulk on another stream keeps the connection busy, so what follows is still
    // queued when close() is called: it must not be overtaken by the go-away.
    const bulk = await pair.daemon.open(web);
    await bulk.write(new Uint8Array(STREAM_WINDOW));
    await daemonStream.write(text.encode("last words"));
    await daemonStream.closeWrite();
    await pair.daemon.close(GoAwayCode.Normal, "done");
    assert.deepEqual(await readAll(managerStream), text.encode("last words"));
    assert.equal((await pair.manager.closed).reason, "done");
  },

  async "both sides closing at once each end with their own code"(transport) {
    await using pair = await sessionPair(transport);
    await Promise.all([
      pair.daemon.close(GoAwayCode.Normal, "daemon quits"),
      pair.manager.close(GoAwayCode.Normal, "manager quits"),
    ]);
    const [daemonEnd, managerEnd] = await Promise.all([pair.daemon.closed, pair.manager.closed]);
    assert.equal(daemonEnd.code, GoAwayCode.Normal);
    assert.equal(managerEnd.code, GoAwayCode.Normal);
    await pair.daemon.close(); // again: harmless
  },

  async "close() rejects an open() still waiting for the peer's answer"(transport) {
    await using pair = await sessionPair(transport, {
      manager: { onStream: () => {/* never answers */} },
    });
    const opening = assert.rejects(pair.daemon.open(web), /restarting/);
    await until(() => pair.manager.streamCount === 1, "the manager saw the open");
    await pair.manager.close(GoAwayCode.Normal, "restarting");
    await opening;
  },

  async "a dropped connection ends every stream on both sides and resolves closed"(transport) {
    const accepted = new AcceptQueue();
    await using pair = await sessionPair(transport, { manager: { onStream: accepted.onStream } });
    const daemonStream = await pair.daemon.open(web);
    const managerStream = await accepted.next();
    await daemonStream.write(new Uint8Array([1, 2, 3]));
    await readExactly(managerStream, 3);
    const readsFail = [daemonStream, managerStream].map((s) =>
      assert.rejects(s.read(new Uint8Array(10)), SessionClosedError)
    );

    pair.channels.dialer.close(); // the connection goes away under the daemon

    const [daemonEnd, managerEnd] = await Promise.all([pair.daemon.closed, pair.manager.closed]);
    assert.equal(daemonEnd.byPeer, true);
    assert.equal(managerEnd.byPeer, true);
    await Promise.all(readsFail);
    await assert.rejects(daemonStream.write(new Uint8Array(1)), SessionClosedError);
    await assert.rejects(managerStream.write(new Uint8Array(1)), SessionClosedError);
    await assert.rejects(pair.daemon.open(web), SessionClosedError);
  },

  async "malformed input mid-session gets a protocol-error go-away and closes only that peer"(
    transport,
  ) {
    await using channels = await transport.pair();
    const logger = new MemoryLogger();
    const { session, raw } = await dialerAgainstRaw(channels, { logger });
    try {
      const garbage = new Uint8Array(64).fill(0xee);
      await raw.writeBytes(garbage);
      const goAway = await raw.nextOf(FrameType.GoAway);
      assert.equal(goAway?.code, GoAwayCode.ProtocolError);
      const end = await session.closed;
      assert.equal(end.code, GoAwayCode.ProtocolError);
      assert.equal(end.byPeer, false);
      assert.ok(logger.messages("warn").includes("closing a peer that sent malformed input"));
    } finally {
      await session.close();
    }
  },

  async "a control message the direction does not allow is a protocol error"(transport) {
    await using channels = await transport.pair();
    const { session, raw } = await dialerAgainstRaw(channels, { logger: new MemoryLogger() });
    try {
      // "lookup" is the daemon's to send, never the manager's.
      await raw.writeBytes(encodeFrame({
        type: FrameType.Control,
        streamId: 0,
        message: { code: 0x0102, body: { id: 1, name: "web" } },
      }));
      assert.equal((await raw.nextOf(FrameType.GoAway))?.code, GoAwayCode.ProtocolError);
      assert.equal((await session.closed).code, GoAwayCode.ProtocolError);
    } finally {
      await session.close();
    }
  },

  async "the peer learns the go-away reason even while both sides are sending"(transport) {
    const accepted = new AcceptQueue();
    await using pair = await sessionPair(transport, { manager: { onStream: accepted.onStream } });
    const streams: Stream[] = [];
    for (let i = 0; i < 4; i++) {
      streams.push(await pair.daemon.open(web));
      streams.push(await accepted.next());
    }
    // Every stream writes without end and nobody reads: both directions are full.
    const writes = streams.map((s) => s.write(pattern(2 * STREAM_WINDOW)).catch(() => {}));
    await until(() => streams.every((s) => s.buffered === STREAM_WINDOW), "the windows filled");
    await pair.manager.close(GoAwayCode.Normal, "manager shutting down");
    const end = await pair.daemon.closed;
    assert.deepEqual(end, {
      code: GoAwayCode.Normal,
      reason: "manager shutting down",
      byPeer: true,
    });
    await Promise.all(writes);
  },

  async "data beyond the window resets the stream with FlowControl"(transport) {
    await using channels = await transport.pair();
    const accepted = new AcceptQueue();
    const { session, raw } = await dialerAgainstRaw(channels, {
      logger: new MemoryLogger(),
      onStream: accepted.onStream,
    });
    try {
      await raw.send({ type: FrameType.Open, streamId: 2, destination: web });
      assert.equal((await raw.nextOf(FrameType.Accept))?.streamId, 2);
      const stream = await accepted.next(); // and nobody reads it
      const chunk = new Uint8Array(64 * 1024);
      for (let sent = 0; sent <= STREAM_WINDOW; sent += chunk.length) {
        await raw.send({ type: FrameType.Data, streamId: 2, payload: chunk });
      }
      const reset = await raw.nextOf(FrameType.Reset);
      assert.equal(reset?.streamId, 2);
      assert.equal(reset?.code, ResetCode.FlowControl);
      await assert.rejects(
        readAll(stream),
        (error) => error instanceof StreamResetError && error.resetCode === ResetCode.FlowControl,
      );
      assert.equal(session.isClosed, false, "only the stream is reset");
    } finally {
      await session.close();
    }
  },

  async "an open with the peer's own stream id parity is a protocol error"(transport) {
    await using channels = await transport.pair();
    const { session, raw } = await dialerAgainstRaw(channels, {
      logger: new MemoryLogger(),
      onStream: (incoming) => void incoming.accept(),
    });
    try {
      await raw.send({ type: FrameType.Open, streamId: 1, destination: web });
      assert.equal((await raw.nextOf(FrameType.GoAway))?.code, GoAwayCode.ProtocolError);
      assert.equal((await session.closed).code, GoAwayCode.ProtocolError);
    } finally {
      await session.close();
    }
  },

  async "200 concurrent streams of 256 KiB arrive intact"(transport) {
    const size = 256 * 1024;
    const count = 200;
    const results: Promise<boolean>[] = [];
    await using pair = await sessionPair(transport, {
      manager: {
        onStream: (incoming) => {
          const stream = incoming.accept();
          results.push((async () => {
            const got = await readAll(stream);
            await stream.closeWrite();
            return sameBytes(got, pattern(size, Number(incoming.destination.tag)));
          })());
        },
      },
    });
    const senders = Array.from({ length: count }, async (_, i) => {
      const stream = await pair.daemon.open({ ...web, tag: String(i + 1) });
      await stream.write(pattern(size, i + 1));
      await stream.closeWrite();
      assert.equal(await stream.read(new Uint8Array(1)), null);
    });
    await Promise.all(senders);
    assert.equal(results.length, count);
    assert.deepEqual(await Promise.all(results), new Array(count).fill(true));
    await until(() => pair.daemon.streamCount === 0, "the daemon released every stream");
    await until(() => pair.manager.streamCount === 0, "the manager released every stream");
  },
};

/** More than a stream's window, so a writer with no reader waits. */
const STREAM_WINDOW_PLUS = 300 * 1024;

/** Connects a daemon and a manager that may refuse each other; both outcomes settled. */
async function connectBoth(
  transport: TransportCase,
  options: {
    daemon?: Hello;
    manager?: Hello;
    vetPeer?: (peer: Hello) => string | undefined;
  },
): Promise<[PromiseSettledResult<unknown>, PromiseSettledResult<unknown>]> {
  await using channels = await transport.pair();
  const results = await Promise.allSettled([
    Session.connect(channels.dialer, {
      side: "dialer",
      hello: options.daemon ?? daemonHello(),
      codec: daemonCodec,
      logger: new MemoryLogger(),
    }),
    Session.connect(channels.acceptor, {
      side: "acceptor",
      hello: options.manager ?? managerHello(),
      codec: managerDaemonCodec,
      logger: new MemoryLogger(),
      ...(options.vetPeer ? { vetPeer: options.vetPeer } : {}),
    }),
  ]);
  for (const result of results) {
    if (result.status === "fulfilled") await (result.value as Session<unknown, unknown>).close();
  }
  return results;
}

for (const transport of transports) {
  for (const [name, fn] of Object.entries(cases)) {
    Deno.test(`${name} (${transport.name})`, () => fn(transport));
  }
}

Deno.test("a peer's go-away before the handshake rejects connect() with its reason", async () => {
  const [dialer, acceptor] = memoryChannelPair();
  const raw = new RawPeer(acceptor);
  try {
    const connecting = Session.connect(dialer, {
      side: "dialer",
      hello: daemonHello(),
      codec: daemonCodec,
      logger: new MemoryLogger(),
    });
    await raw.next();
    await raw.send({ type: FrameType.GoAway, streamId: 0, code: GoAwayCode.Internal, reason: "x" });
    await assert.rejects(connecting, /x/);
  } finally {
    dialer.close();
    acceptor.close();
  }
});
