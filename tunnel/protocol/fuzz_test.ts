import assert from "node:assert/strict";
import {
  agentMessages,
  concat,
  managerToAgentMessages,
  managerToDaemonMessages,
  prng,
  sampleFrames,
} from "./_testing.ts";
import { encodeFrame, FrameDecoder } from "./codec.ts";
import { daemonCodec, managerAgentCodec, managerDaemonCodec } from "./control.ts";
import { ProtocolError } from "./errors.ts";
import { type Frame, FrameType, HEADER_SIZE, type RawControl } from "./frame.ts";

/** Cases per run; each is one input fed to a fresh decoder. */
const CASES = 100_000;

/** The seed of a run; set TPX_FUZZ_SEED to replay a failure or to explore other inputs. */
const SEED = seedFromEnv() ?? 0x7e57_5eed;

function seedFromEnv(): number | undefined {
  const permission = Deno.permissions.querySync({ name: "env", variable: "TPX_FUZZ_SEED" });
  if (permission.state !== "granted") return undefined;
  const text = Deno.env.get("TPX_FUZZ_SEED");
  return text === undefined ? undefined : Number(text) >>> 0;
}

/** Valid encoded frames the mutations start from, control messages of every direction included. */
const pool: Uint8Array[] = [
  ...sampleFrames().map(encodeFrame),
  ...managerToDaemonMessages.map((m) => control(managerDaemonCodec.encode(m))),
  ...managerToAgentMessages.map((m) => control(managerAgentCodec.encode(m))),
  ...agentMessages.map((m) => control({ code: 0x0301, body: m })),
];

function control(message: RawControl): Uint8Array {
  return encodeFrame({ type: FrameType.Control, streamId: 0, message });
}

type Random = () => number;

function below(random: Random, n: number): number {
  return Math.floor(random() * n);
}

function randomBytes(random: Random, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => below(random, 256));
}

/** Random bytes, mostly behind a plausible header so that the payload decoders get exercised. */
function garbage(random: Random): Uint8Array {
  const body = randomBytes(random, below(random, 160));
  if (random() < 0.2) return body;
  const header = new Uint8Array(HEADER_SIZE);
  const view = new DataView(header.buffer);
  header[0] = random() < 0.95 ? 1 : below(random, 256);
  header[1] = below(random, 14);
  view.setUint16(2, random() < 0.8 ? 0 : below(random, 0x10000));
  view.setUint32(
    4,
    random() < 0.5 ? 0 : random() < 0.8 ? below(random, 8) : below(random, 2 ** 32),
  );
  view.setUint32(
    8,
    random() < 0.9 ? Math.min(body.length, below(random, 170)) : below(random, 2 ** 32),
  );
  return concat([header, body]);
}

/** Valid frames, then one to four mutations: flips, overwrites, truncations, splices. */
function mutant(random: Random): Uint8Array {
  const pick = () => pool[below(random, pool.length)]!;
  let input = concat(Array.from({ length: 1 + below(random, 4) }, pick));
  for (let n = 1 + below(random, 4); n > 0; n--) {
    const at = below(random, input.length + 1);
    switch (below(random, 6)) {
      case 0: // flip bits of one byte
        if (at < input.length) input[at]! ^= 1 + below(random, 255);
        break;
      case 1: // overwrite a header field with an edge value
        if (at < input.length) input[at] = [0x00, 0x01, 0x7f, 0x80, 0xff][below(random, 5)]!;
        break;
      case 2: // truncate
        input = input.slice(0, at);
        break;
      case 3: // splice part of another frame in
        {
          const other = pick();
          const from = below(random, other.length);
          const part = other.subarray(from, from + 1 + below(random, other.length - from));
          input = concat([input.subarray(0, at), part, input.subarray(at)]);
        }
        break;
      case 4: // cut a range out
        input = concat([input.subarray(0, at), input.subarray(at + 1 + below(random, 24))]);
        break;
      case 5: // insert random bytes
        input = concat([
          input.subarray(0, at),
          randomBytes(random, 1 + below(random, 16)),
          input.subarray(at),
        ]);
        break;
    }
  }
  return input;
}

/** What a decoded frame must satisfy: it re-encodes to a frame that decodes to itself. */
function checkFrame(frame: Frame<unknown>): void {
  if (frame.type === FrameType.Control) {
    const message = managerDaemonCodec.encode(frame.message as never);
    const again = new FrameDecoder(daemonCodec.decode);
    again.push(control(message));
    const decoded = again.next();
    assert.ok(decoded?.type === FrameType.Control);
    assert.equal(JSON.stringify(decoded.message), JSON.stringify(frame.message));
    return;
  }
  const again = new FrameDecoder();
  again.push(encodeFrame(frame));
  assert.deepEqual(again.next(), frame);
}

/**
 * Feeds `input` to a daemon-side decoder in random chunks, through `push` or `reserve`/`commit`.
 *
 * @returns how the input ended: frames and then "need more", or a ProtocolError; the types of
 *   the frames decoded on the way are added to `seen`
 */
function feed(
  random: Random,
  input: Uint8Array,
  seen: Set<number>,
): "need more" | "protocol error" {
  const decoder = new FrameDecoder(daemonCodec.decode, {
    initialCapacity: 1 + below(random, 512),
    retainPayloads: random() < 0.5,
  });
  // Every frame takes at least a header, so more frames than this would mean a loop.
  const maxFrames = Math.floor(input.length / HEADER_SIZE);
  let frames = 0;
  for (let at = 0; at < input.length;) {
    const n = Math.min(input.length - at, 1 + below(random, 300));
    if (random() < 0.5) {
      decoder.push(input.subarray(at, at + n));
    } else {
      decoder.reserve(n).set(input.subarray(at, at + n));
      decoder.commit(n);
    }
    at += n;
    for (;;) {
      let frame;
      try {
        frame = decoder.next();
      } catch (error) {
        if (error instanceof ProtocolError) return "protocol error";
        throw error;
      }
      if (frame === undefined) break;
      assert.ok(++frames <= maxFrames, `${frames} frames from ${input.length} bytes`);
      checkFrame(frame);
      seen.add(frame.type);
    }
  }
  return "need more";
}

function hex(input: Uint8Array): string {
  const text = Array.from(input.subarray(0, 512), (b) => b.toString(16).padStart(2, "0")).join("");
  return input.length > 512 ? `${text}…` : text;
}

Deno.test(`FrameDecoder ends every one of ${CASES} fuzzed inputs in frames or a ProtocolError`, () => {
  const outcomes = { "need more": 0, "protocol error": 0 };
  const seen = new Set<number>();
  for (let i = 0; i < CASES; i++) {
    const caseSeed = (SEED ^ Math.imul(i + 1, 0x9e37_79b9)) >>> 0;
    const random = prng(caseSeed);
    const input = random() < 0.3 ? garbage(random) : mutant(random);
    try {
      outcomes[feed(random, input, seen)]++;
    } catch (error) {
      assert.fail(
        `fuzz case ${i} failed (TPX_FUZZ_SEED=${SEED}, case seed ${caseSeed}): ${
          error instanceof Error ? error.stack : error
        }\ninput: ${hex(input)}`,
      );
    }
  }
  assert.deepEqual([...seen].sort(), Object.values(FrameType).sort(), "frame types decoded");
  // Both outcomes must be common, or the generators have stopped reaching the decoders.
  assert.ok(outcomes["need more"] > CASES / 20, `seed ${SEED}: ${JSON.stringify(outcomes)}`);
  assert.ok(outcomes["protocol error"] > CASES / 20, `seed ${SEED}: ${JSON.stringify(outcomes)}`);
});
