import assert from "node:assert/strict";
import { FakeClock } from "../../tunnel/clock.ts";
import { MemoryLogger } from "../../tunnel/log.ts";
import { type Destination, ResetCode, Transport } from "../../tunnel/protocol/mod.ts";
import type { IncomingStream } from "../../tunnel/session.ts";
import type { Stream } from "../../tunnel/stream.ts";
import { StreamResetError } from "../../tunnel/stream_errors.ts";
import { routeIntercepted } from "./intercept_router.ts";
import { Metrics } from "./state/metrics.ts";

/** An agent's stream that records how it was refused. */
function incoming(): IncomingStream & { resets: [ResetCode, string][] } {
  const resets: [ResetCode, string][] = [];
  return {
    resets,
    destination: { transport: Transport.Tcp, host: "10.0.0.7", port: 8080, tag: "i-1" },
    accept: () => assert.fail("the stream should not be accepted"),
    reset: (code, reason) => void resets.push([code, reason]),
  };
}

function deps(clock: FakeClock, open?: (destination: Destination) => Promise<Stream>) {
  return {
    ownerOf: (id: string) => id === "i-1" ? "s-1" : undefined,
    tunnelOf: (session: string) => session === "s-1" && open ? { open } : undefined,
    metrics: new Metrics(),
    logger: new MemoryLogger(),
    clock,
  };
}

Deno.test("routeIntercepted() refuses at once when the owning daemon's tunnel is down", async () => {
  const stream = incoming();
  await routeIntercepted(stream, deps(new FakeClock()));
  assert.deepEqual(stream.resets, [[ResetCode.SessionClosed, "the developer's tunnel is down"]]);
});

Deno.test("routeIntercepted() lets the app serve when the daemon's tunnel does not answer in 3 s", async () => {
  const clock = new FakeClock();
  let opened: (stream: Stream) => void = () => {};
  const stream = incoming();
  const d = deps(clock, () => new Promise((resolve) => opened = resolve));
  const routing = routeIntercepted(stream, d);
  clock.advance(2_999);
  await Promise.resolve();
  assert.deepEqual(stream.resets, []);
  clock.advance(1);
  await routing;
  assert.equal(stream.resets.length, 1);
  assert.equal(stream.resets[0]![0], ResetCode.SessionClosed, "the agent falls back to the app");
  assert.match(stream.resets[0]![1], /did not answer within 3000 ms/);
  assert.equal(clock.pending, 0);
  // The daemon answers after all: its stream is dropped, not left open.
  const lateResets: ResetCode[] = [];
  opened({ reset: (code: ResetCode) => void lateResets.push(code) } as unknown as Stream);
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(lateResets, [ResetCode.Cancelled]);
});

Deno.test("routeIntercepted() passes the daemon's refusal on and leaves no timer", async () => {
  const clock = new FakeClock();
  const stream = incoming();
  const refused = new StreamResetError(ResetCode.Refused, "nothing listens on 8080", true);
  await routeIntercepted(stream, deps(clock, () => Promise.reject(refused)));
  assert.deepEqual(stream.resets.map(([code]) => code), [ResetCode.Refused]);
  assert.equal(clock.pending, 0);
});
