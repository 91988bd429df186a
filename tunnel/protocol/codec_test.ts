import assert from "node:assert/strict";
import { bytes, concat, detach, prng, sampleFrames } from "./_testing.ts";
import { encodeData, encodeFrame, FrameDecoder, writeHeader } from "./codec.ts";
import { daemonCodec } from "./control.ts";
import { ProtocolError } from "./errors.ts";
import {
  type Frame,
  FrameType,
  GoAwayCode,
  HEADER_SIZE,
  MAX_PAYLOAD,
  MAX_REASON_BYTES,
  type RawControl,
  ResetCode,
  Role,
  Transport,
} from "./frame.ts";

/** Every frame type, with its bytes written out by hand from SPEC.md. */
const golden: { name: string; frame: Frame; hex: string }[] = [
  {
    name: "Hello",
    frame: {
      type: FrameType.Hello,
      streamId: 0,
      hello: { role: Role.Daemon, minProtocol: 1, maxProtocol: 1, software: "0.1.0" },
    },
    hex: "01 01 0000 00000000 0000000b  0001 0001 01 05 302e312e30",
  },
  {
    name: "Hello with an empty software version",
    frame: {
      type: FrameType.Hello,
      streamId: 0,
      hello: { role: Role.Manager, minProtocol: 1, maxProtocol: 2, software: "" },
    },
    hex: "01 01 0000 00000000 00000006  0001 0002 03 00",
  },
  {
    name: "Open of a TCP destination",
    frame: {
      type: FrameType.Open,
      streamId: 1,
      destination: { transport: Transport.Tcp, host: "web.shop", port: 80, tag: "" },
    },
    hex: "01 02 0000 00000001 0000000e  01 0050 08 7765622e73686f70 0000",
  },
  {
    name: "Open of a UDP destination with a tag",
    frame: {
      type: FrameType.Open,
      streamId: 2,
      destination: { transport: Transport.Udp, host: "db", port: 5432, tag: "x1" },
    },
    hex: "01 02 0000 00000002 0000000a  02 1538 02 6462 0002 7831",
  },
  {
    name: "Accept",
    frame: { type: FrameType.Accept, streamId: 3 },
    hex: "01 03 0000 00000003 00000000",
  },
  {
    name: "Data",
    frame: { type: FrameType.Data, streamId: 0x01020304, payload: bytes("6869") },
    hex: "01 04 0000 01020304 00000002  6869",
  },
  {
    name: "Data of no bytes",
    frame: { type: FrameType.Data, streamId: 5, payload: new Uint8Array(0) },
    hex: "01 04 0000 00000005 00000000",
  },
  {
    name: "WindowUpdate",
    frame: { type: FrameType.WindowUpdate, streamId: 7, increment: 256 * 1024 },
    hex: "01 05 0000 00000007 00000004  00040000",
  },
  {
    name: "Fin on the highest stream id",
    frame: { type: FrameType.Fin, streamId: 0xffff_ffff },
    hex: "01 06 0000 ffffffff 00000000",
  },
  {
    name: "Reset with a reason",
    frame: { type: FrameType.Reset, streamId: 9, code: ResetCode.Refused, reason: "no" },
    hex: "01 07 0000 00000009 00000004  0002 6e6f",
  },
  {
    name: "Reset without a reason",
    frame: { type: FrameType.Reset, streamId: 4, code: ResetCode.FlowControl, reason: "" },
    hex: "01 07 0000 00000004 00000002  0006",
  },
  {
    name: "Ping",
    frame: { type: FrameType.Ping, streamId: 0, opaque: bytes("0102030405060708") },
    hex: "01 08 0000 00000000 00000008  0102030405060708",
  },
  {
    name: "Pong",
    frame: { type: FrameType.Pong, streamId: 0, opaque: bytes("0102030405060708") },
    hex: "01 09 0000 00000000 00000008  0102030405060708",
  },
  {
    name: "GoAway with a UTF-8 reason",
    frame: {
      type: FrameType.GoAway,
      streamId: 0,
      code: GoAwayCode.VersionMismatch,
      reason: "\u00e9",
    },
    hex: "01 0a 0000 00000000 00000004  0002 c3a9",
  },
  {
    name: "GoAway without a reason",
    frame: { type: FrameType.GoAway, streamId: 0, code: GoAwayCode.Normal, reason: "" },
    hex: "01 0a 0000 00000000 00000002  0000",
  },
  {
    name: "Control with an empty body",
    frame: { type: FrameType.Control, streamId: 0, message: { code: 0x0001, body: {} } },
    hex: "01 0b 0000 00000000 00000004  0001 7b7d",
  },
  {
    name: "Control with a body",
    frame: { type: FrameType.Control, streamId: 0, message: { code: 0x0002, body: { id: 7 } } },
    hex: "01 0b 0000 00000000 0000000a  0002 7b226964223a377d",
  },
];

function decodeAll<C>(decoder: FrameDecoder<C>): Frame<C>[] {
  const frames: Frame<C>[] = [];
  for (let f = decoder.next(); f; f = decoder.next()) frames.push(detach(f));
  return frames;
}

function decodeBytes(input: Uint8Array): Frame[] {
  const decoder = new FrameDecoder();
  decoder.push(input);
  return decodeAll(decoder);
}

function assertMalformed(hex: string | Uint8Array, message?: RegExp): void {
  const input = typeof hex === "string" ? bytes(hex) : hex;
  assert.throws(() => decodeBytes(input), (error: unknown) => {
    assert.ok(error instanceof ProtocolError, `not a ProtocolError: ${error}`);
    if (message) assert.match(error.message, message);
    return true;
  });
}

for (const { name, frame, hex } of golden) {
  Deno.test(`encodeFrame() writes ${name} as pinned`, () => {
    assert.deepEqual(encodeFrame(frame), bytes(hex));
  });
  Deno.test(`decodeFrame() reads ${name} as pinned`, () => {
    assert.deepEqual(decodeBytes(bytes(hex)), [frame]);
  });
}

Deno.test("the golden vectors cover every frame type", () => {
  const covered = new Set(golden.map((g) => g.frame.type));
  assert.deepEqual([...covered].sort(), Object.values(FrameType).sort());
});

Deno.test("encodeFrame() writes a typed control message as pinned", () => {
  const message = daemonCodec.encode({ type: "lookup", id: 3, name: "web" });
  assert.deepEqual(
    encodeFrame({ type: FrameType.Control, streamId: 0, message }),
    bytes(
      "01 0b 0000 00000000 00000017  0102 7b226964223a332c226e616d65223a2277656222 7d",
    ),
  );
});

Deno.test("encodeData() writes the same bytes as encodeFrame()", () => {
  const payload = bytes("00ff10");
  assert.deepEqual(
    encodeData(42, payload),
    encodeFrame({ type: FrameType.Data, streamId: 42, payload }),
  );
});

Deno.test("writeHeader() writes at an offset inside a larger buffer", () => {
  const target = new Uint8Array(20).fill(0xee);
  writeHeader(target.subarray(2), 3, FrameType.Data, 0x0a0b0c0d, 0x10);
  assert.deepEqual(target, bytes("eeee eeeeee 01 04 0000 0a0b0c0d 00000010 eeeeee"));
});

Deno.test("decodeFrame() round-trips every sample frame", () => {
  for (const frame of sampleFrames()) {
    assert.deepEqual(decodeBytes(encodeFrame(frame)), [frame]);
  }
});

Deno.test("decodeFrame() round-trips a Data frame of MAX_PAYLOAD bytes", () => {
  const payload = Uint8Array.from({ length: MAX_PAYLOAD }, (_, i) => i * 7);
  const [frame] = decodeBytes(encodeData(1, payload));
  assert.deepEqual(frame, { type: FrameType.Data, streamId: 1, payload });
});

Deno.test("decodeFrame() ignores the reserved flags field", () => {
  assert.deepEqual(decodeBytes(bytes("01 06 ffff 00000001 00000000")), [
    { type: FrameType.Fin, streamId: 1 },
  ]);
});

Deno.test("decodeFrame() waits on a partial header", () => {
  const decoder = new FrameDecoder();
  decoder.push(bytes("01 04 0000 00000001 000000"));
  assert.equal(decoder.next(), undefined);
  assert.equal(decoder.buffered, HEADER_SIZE - 1);
});

Deno.test("decodeFrame() waits on a partial payload", () => {
  const decoder = new FrameDecoder();
  decoder.push(bytes("01 04 0000 00000001 00000003 6869"));
  assert.equal(decoder.next(), undefined);
  decoder.push(bytes("21"));
  assert.deepEqual(detach(decoder.next()!), {
    type: FrameType.Data,
    streamId: 1,
    payload: bytes("686921"),
  });
  assert.equal(decoder.next(), undefined);
  assert.equal(decoder.buffered, 0);
});

const frames = sampleFrames();
const stream = concat(frames.map(encodeFrame));

Deno.test("decodeFrame() decodes a stream split at every byte boundary", () => {
  for (let cut = 0; cut <= stream.length; cut++) {
    const decoder = new FrameDecoder(undefined, { initialCapacity: 16 });
    decoder.push(stream.subarray(0, cut));
    const decoded = decodeAll(decoder);
    decoder.push(stream.subarray(cut));
    decoded.push(...decodeAll(decoder));
    assert.deepEqual(decoded, frames, `split at byte ${cut}`);
    assert.equal(decoder.buffered, 0);
  }
});

Deno.test("decodeFrame() decodes a stream fed one byte at a time", () => {
  const decoder = new FrameDecoder(undefined, { initialCapacity: 1 });
  const decoded: Frame[] = [];
  for (let i = 0; i < stream.length; i++) {
    decoder.push(stream.subarray(i, i + 1));
    decoded.push(...decodeAll(decoder));
  }
  assert.deepEqual(decoded, frames);
});

Deno.test("decodeFrame() decodes a stream read through reserve() and commit()", () => {
  const random = prng(20261129);
  for (const capacity of [1, 13, 64 * 1024]) {
    for (let round = 0; round < 50; round++) {
      const decoder = new FrameDecoder(undefined, { initialCapacity: capacity });
      const decoded: Frame[] = [];
      for (let at = 0; at < stream.length;) {
        const wanted = 1 + Math.floor(random() * 700);
        const space = decoder.reserve(wanted);
        assert.ok(space.length >= wanted);
        const n = Math.min(wanted, stream.length - at);
        space.set(stream.subarray(at, at + n));
        decoder.commit(n);
        at += n;
        decoded.push(...decodeAll(decoder));
      }
      assert.deepEqual(decoded, frames, `capacity ${capacity}, round ${round}`);
    }
  }
});

Deno.test("decodeFrame() with retainPayloads keeps payload views valid after later input", () => {
  const random = prng(7);
  for (const capacity of [1, 40, 64 * 1024]) {
    for (let round = 0; round < 20; round++) {
      const decoder = new FrameDecoder(undefined, {
        initialCapacity: capacity,
        retainPayloads: true,
      });
      const decoded: Frame[] = [];
      for (let at = 0; at < stream.length;) {
        const n = Math.min(1 + Math.floor(random() * 300), stream.length - at);
        if (random() < 0.5) {
          decoder.push(stream.subarray(at, at + n));
        } else {
          decoder.reserve(n).set(stream.subarray(at, at + n));
          decoder.commit(n);
        }
        at += n;
        for (let f = decoder.next(); f; f = decoder.next()) decoded.push(f); // not detached
      }
      assert.deepEqual(decoded, frames, `capacity ${capacity}, round ${round}`);
    }
  }
});

Deno.test("commit() refuses more bytes than were reserved", () => {
  const decoder = new FrameDecoder(undefined, { initialCapacity: 8 });
  const space = decoder.reserve(4);
  assert.throws(() => decoder.commit(space.length + 1), RangeError);
  assert.throws(() => decoder.commit(-1), RangeError);
});

Deno.test("decodeFrame() returns the frames before malformed input, then throws", () => {
  const decoder = new FrameDecoder();
  decoder.push(concat([encodeFrame({ type: FrameType.Fin, streamId: 1 }), bytes("ff".repeat(12))]));
  assert.deepEqual(decoder.next(), { type: FrameType.Fin, streamId: 1 });
  assert.throws(() => decoder.next(), ProtocolError);
});

Deno.test("decodeFrame() rejects an unknown frame type", () => {
  assertMalformed("01 00 0000 00000000 00000000", /unknown frame type 0x00/);
  assertMalformed("01 0c 0000 00000001 00000000", /unknown frame type 0x0c/);
  assertMalformed("01 ff 0000 00000001 00000000", /unknown frame type 0xff/);
});

Deno.test("decodeFrame() rejects a length over MAX_PAYLOAD from the header alone", () => {
  assertMalformed("01 04 0000 00000001 00040001", /exceeds the maximum 262144/);
  assertMalformed("01 0b 0000 00000000 ffffffff", /exceeds/);
});

Deno.test("decodeFrame() rejects another frame version", () => {
  assertMalformed("00 04 0000 00000001 00000000", /frame version 0/);
  assertMalformed("02 04 0000 00000001 00000000", /frame version 2/);
});

Deno.test("decodeFrame() rejects a session-level frame with a stream id", () => {
  for (const type of ["01", "08", "09", "0a", "0b"]) {
    assertMalformed(`01 ${type} 0000 00000001 00000000`, /must use stream 0/);
  }
});

Deno.test("decodeFrame() rejects a stream frame on stream 0", () => {
  for (const type of ["02", "03", "04", "05", "06", "07"]) {
    assertMalformed(`01 ${type} 0000 00000000 00000000`, /needs a stream id/);
  }
});

Deno.test("decodeFrame() rejects fixed-size payloads of the wrong size", () => {
  assertMalformed("01 03 0000 00000001 00000001 00", /must carry 0 bytes/); // Accept
  assertMalformed("01 06 0000 00000001 00000001 00", /must carry 0 bytes/); // Fin
  assertMalformed("01 05 0000 00000001 00000003 000001", /must carry 4 bytes/);
  assertMalformed("01 05 0000 00000001 00000005 0000000100", /must carry 4 bytes/);
  assertMalformed("01 08 0000 00000000 00000007 01020304050607", /must carry 8 bytes/);
  assertMalformed("01 09 0000 00000000 00000009 010203040506070809", /must carry 8 bytes/);
  assertMalformed("01 09 0000 00000000 00000000", /must carry 8 bytes/);
});

Deno.test("decodeFrame() rejects truncated Reset, GoAway and Control payloads", () => {
  assertMalformed("01 07 0000 00000001 00000000", /truncated/);
  assertMalformed("01 07 0000 00000001 00000001 00", /truncated/);
  assertMalformed("01 0a 0000 00000000 00000001 00", /truncated/);
  assertMalformed("01 0b 0000 00000000 00000000", /truncated/);
  assertMalformed("01 0b 0000 00000000 00000001 00", /truncated/);
});

Deno.test("decodeFrame() rejects a malformed Hello", () => {
  assertMalformed("01 01 0000 00000000 00000005 0001000101", /truncated/);
  assertMalformed("01 01 0000 00000000 00000007 0001 0001 01 02 30", /truncated/);
  assertMalformed("01 01 0000 00000000 00000007 0001 0001 01 00 30", /truncated/);
  assertMalformed("01 01 0000 00000000 00000006 0001 0001 00 00", /unknown role 0/);
  assertMalformed("01 01 0000 00000000 00000006 0001 0001 04 00", /unknown role 4/);
  assertMalformed("01 01 0000 00000000 00000006 0000 0001 01 00", /invalid protocol range 0-1/);
  assertMalformed("01 01 0000 00000000 00000006 0003 0002 01 00", /invalid protocol range 3-2/);
  assertMalformed("01 01 0000 00000000 00000007 0001 0001 01 01 ff", /not valid UTF-8/);
});

Deno.test("decodeFrame() rejects a malformed Open", () => {
  assertMalformed("01 02 0000 00000001 00000005 0100500100", /truncated/);
  assertMalformed("01 02 0000 00000001 00000007 01 0050 05 6162 0000", /truncated/);
  assertMalformed("01 02 0000 00000001 00000006 01 0050 00 0000", /empty host/);
  assertMalformed("01 02 0000 00000001 00000007 00 0050 01 61 0000", /unknown transport 0/);
  assertMalformed("01 02 0000 00000001 00000007 03 0050 01 61 0000", /unknown transport 3/);
  assertMalformed("01 02 0000 00000001 00000008 01 0050 01 61 0000 00", /does not match/);
  assertMalformed("01 02 0000 00000001 00000008 01 0050 01 61 0002 78", /does not match/);
  assertMalformed("01 02 0000 00000001 00000007 01 0050 01 61 0401", /tag is over 1024/);
  assertMalformed("01 02 0000 00000001 00000007 01 0050 01 ff 0000", /host is not valid UTF-8/);
  assertMalformed(
    "01 02 0000 00000001 00000009 01 0050 01 61 0002 c328",
    /tag is not valid UTF-8/,
  );
});

Deno.test("decodeFrame() rejects a window update of 0", () => {
  assertMalformed("01 05 0000 00000001 00000004 00000000", /window update of 0/);
});

Deno.test("decodeFrame() rejects reasons that are not valid UTF-8", () => {
  for (const invalid of ["ff", "c328", "c080", "eda080", "f4908080", "e282"]) {
    const length = (2 + invalid.length / 2).toString(16).padStart(8, "0");
    assertMalformed(`01 07 0000 00000001 ${length} 0001 ${invalid}`, /reason is not valid UTF-8/);
    assertMalformed(`01 0a 0000 00000000 ${length} 0000 ${invalid}`, /reason is not valid UTF-8/);
  }
});

Deno.test("decodeFrame() rejects a reason over MAX_REASON_BYTES", () => {
  const reason = "61".repeat(MAX_REASON_BYTES + 1);
  const length = (2 + MAX_REASON_BYTES + 1).toString(16).padStart(8, "0");
  assertMalformed(`01 0a 0000 00000000 ${length} 0000 ${reason}`, /reason is over 4096/);
});

Deno.test("decodeFrame() rejects unknown reset and go-away codes", () => {
  assertMalformed("01 07 0000 00000001 00000002 0000", /unknown code 0/);
  assertMalformed("01 07 0000 00000001 00000002 000b", /unknown code 11/);
  assertMalformed("01 0a 0000 00000000 00000002 0006", /unknown code 6/);
  assertMalformed("01 0a 0000 00000000 00000002 ffff", /unknown code 65535/);
});

Deno.test("decodeFrame() rejects a control payload that is not JSON in UTF-8", () => {
  assertMalformed("01 0b 0000 00000000 00000002 0001", /not valid JSON/); // no body at all
  assertMalformed("01 0b 0000 00000000 00000003 0001 7b", /not valid JSON/);
  assertMalformed("01 0b 0000 00000000 00000005 0001 7b7d7d", /not valid JSON/);
  assertMalformed("01 0b 0000 00000000 00000004 0001 7bff", /not valid UTF-8/);
});

Deno.test("decodeFrame() hands control messages to the direction's decoder", () => {
  const decoder = new FrameDecoder(daemonCodec.decode);
  decoder.push(bytes("01 0b 0000 00000000 0000000a  0002 7b226964223a377d"));
  assert.deepEqual(decoder.next(), {
    type: FrameType.Control,
    streamId: 0,
    message: { type: "ack", id: 7 },
  });
  decoder.push(bytes("01 0b 0000 00000000 0000000a  0101 7b226964223a377d"));
  assert.throws(() => decoder.next(), ProtocolError);
});

Deno.test("encodeFrame() cuts a long reason at a character boundary", () => {
  const reason = "a" + "\u00e9".repeat(MAX_REASON_BYTES);
  const [frame] = decodeBytes(
    encodeFrame({ type: FrameType.Reset, streamId: 1, code: ResetCode.Internal, reason }),
  );
  assert.ok(frame?.type === FrameType.Reset);
  assert.equal(frame.reason, "a" + "\u00e9".repeat((MAX_REASON_BYTES - 2) / 2));
});

Deno.test("encodeFrame() cuts a long software version to 255 bytes", () => {
  const hello = { role: Role.Agent, minProtocol: 1, maxProtocol: 1, software: "v".repeat(300) };
  const [frame] = decodeBytes(encodeFrame({ type: FrameType.Hello, streamId: 0, hello }));
  assert.ok(frame?.type === FrameType.Hello);
  assert.equal(frame.hello.software, "v".repeat(255));
});

Deno.test("encodeFrame() refuses what the decoder would reject", () => {
  const tcp = { transport: Transport.Tcp, host: "web", port: 80, tag: "" };
  const hello = { role: Role.Daemon, minProtocol: 1, maxProtocol: 1, software: "" };
  const invalid: unknown[] = [
    { type: FrameType.Data, streamId: 1, payload: new Uint8Array(MAX_PAYLOAD + 1) },
    { type: FrameType.Data, streamId: 0, payload: new Uint8Array(1) },
    { type: FrameType.Fin, streamId: 2 ** 32 },
    { type: FrameType.Fin, streamId: 1.5 },
    { type: FrameType.Ping, streamId: 1, opaque: new Uint8Array(8) },
    { type: FrameType.Ping, streamId: 0, opaque: new Uint8Array(7) },
    { type: FrameType.Open, streamId: 1, destination: { ...tcp, host: "" } },
    { type: FrameType.Open, streamId: 1, destination: { ...tcp, host: "h".repeat(256) } },
    { type: FrameType.Open, streamId: 1, destination: { ...tcp, tag: "t".repeat(1025) } },
    { type: FrameType.Open, streamId: 1, destination: { ...tcp, port: 65536 } },
    { type: FrameType.Open, streamId: 1, destination: { ...tcp, transport: 3 } },
    { type: FrameType.WindowUpdate, streamId: 1, increment: 0 },
    { type: FrameType.WindowUpdate, streamId: 1, increment: 2 ** 32 },
    { type: FrameType.Reset, streamId: 1, code: 0, reason: "" },
    { type: FrameType.GoAway, streamId: 0, code: 6, reason: "" },
    { type: FrameType.Hello, streamId: 0, hello: { ...hello, minProtocol: 0 } },
    { type: FrameType.Hello, streamId: 0, hello: { ...hello, minProtocol: 2 } },
    { type: FrameType.Hello, streamId: 0, hello: { ...hello, role: 9 } },
    { type: FrameType.Control, streamId: 0, message: { code: 0x10000, body: {} } },
    {
      type: FrameType.Control,
      streamId: 0,
      message: { code: 1, body: { s: "x".repeat(MAX_PAYLOAD) } },
    },
  ];
  for (const frame of invalid) {
    assert.throws(() => encodeFrame(frame as Frame<RawControl>), RangeError, Deno.inspect(frame));
  }
  assert.throws(() => encodeData(0, new Uint8Array(1)), RangeError);
  assert.throws(() => encodeData(1, new Uint8Array(MAX_PAYLOAD + 1)), RangeError);
});
