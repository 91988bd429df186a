import assert from "node:assert/strict";
import { MemoryLogger } from "./log.ts";
import {
  daemonCodec,
  managerDaemonCodec,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  Role,
  Transport,
} from "./protocol/mod.ts";
import { Session } from "./session.ts";
import { websocketChannel } from "./websocket_channel.ts";

const hello = (role: Role) => ({
  role,
  minProtocol: MIN_PROTOCOL_VERSION,
  maxProtocol: PROTOCOL_VERSION,
  software: "test",
});

Deno.test("a session runs over a WebSocket and moves 2 MiB through a stream intact", async () => {
  const logger = new MemoryLogger();
  const payload = crypto.getRandomValues(new Uint8Array(64 * 1024));
  const serverSide = Promise.withResolvers<Session<unknown, unknown>>();
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const { socket, response } = Deno.upgradeWebSocket(req);
    websocketChannel(socket).then((channel) =>
      Session.connect(channel, {
        side: "acceptor",
        hello: hello(Role.Manager),
        codec: managerDaemonCodec,
        logger,
        keepaliveIntervalMs: 0,
        onStream: (incoming) => {
          const stream = incoming.accept();
          (async () => {
            // Echo everything back, then half-close.
            for (let c = await stream.readChunk(); c; c = await stream.readChunk()) {
              await stream.write(c);
            }
            await stream.closeWrite();
          })().catch(() => {});
        },
      })
    ).then(serverSide.resolve as (s: unknown) => void, serverSide.reject);
    return response;
  });
  const channel = await websocketChannel(new WebSocket(`ws://127.0.0.1:${server.addr.port}/`));
  const client = await Session.connect(channel, {
    side: "dialer",
    hello: hello(Role.Daemon),
    codec: daemonCodec,
    logger,
    keepaliveIntervalMs: 0,
  });
  const far = await serverSide.promise;
  try {
    const stream = await client.open({ transport: Transport.Tcp, host: "echo", port: 1, tag: "" });
    const received: Uint8Array[] = [];
    const reading = (async () => {
      for (let c = await stream.readChunk(); c; c = await stream.readChunk()) received.push(c);
    })();
    for (let i = 0; i < 32; i++) await stream.write(payload);
    await stream.closeWrite();
    await reading;
    const total = received.reduce((n, c) => n + c.length, 0);
    assert.equal(total, 32 * payload.length);
    let offset = 0;
    for (const chunk of received) {
      for (let i = 0; i < chunk.length; i++) {
        if (chunk[i] !== payload[(offset + i) % payload.length]) assert.fail(`byte ${offset + i}`);
      }
      offset += chunk.length;
    }
  } finally {
    await client.close();
    await far.closed;
  }
});
