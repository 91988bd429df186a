import assert from "node:assert/strict";
import {
  FRAME_VERSION,
  FrameType,
  GoAwayCode,
  HEADER_SIZE,
  INITIAL_WINDOW,
  MAX_DATAGRAM,
  MAX_HOST_LENGTH,
  MAX_PAYLOAD,
  MAX_REASON_BYTES,
  MAX_TAG_LENGTH,
  PING_SIZE,
  ResetCode,
  Role,
  Transport,
  WINDOW_UPDATE_SIZE,
} from "./frame.ts";

// These tables are SPEC.md's; a change here is a wire change and needs a protocol version bump.

Deno.test("frame types keep their wire codes", () => {
  assert.deepEqual(FrameType, {
    Hello: 0x01,
    Open: 0x02,
    Accept: 0x03,
    Data: 0x04,
    WindowUpdate: 0x05,
    Fin: 0x06,
    Reset: 0x07,
    Ping: 0x08,
    Pong: 0x09,
    GoAway: 0x0a,
    Control: 0x0b,
  });
});

Deno.test("reset codes keep their wire codes", () => {
  assert.deepEqual(ResetCode, {
    Cancelled: 1,
    Refused: 2,
    Unreachable: 3,
    Timeout: 4,
    ProtocolError: 5,
    FlowControl: 6,
    TooLarge: 7,
    SessionClosed: 8,
    NotAllowed: 9,
    Internal: 10,
  });
});

Deno.test("go-away codes keep their wire codes", () => {
  assert.deepEqual(GoAwayCode, {
    Normal: 0,
    ProtocolError: 1,
    VersionMismatch: 2,
    KeepaliveTimeout: 3,
    Internal: 4,
    Refused: 5,
  });
});

Deno.test("roles and transports keep their wire codes", () => {
  assert.deepEqual(Role, { Daemon: 1, Agent: 2, Manager: 3 });
  assert.deepEqual(Transport, { Tcp: 1, Udp: 2 });
});

Deno.test("frame limits keep their values", () => {
  assert.deepEqual(
    {
      FRAME_VERSION,
      HEADER_SIZE,
      MAX_PAYLOAD,
      INITIAL_WINDOW,
      MAX_DATAGRAM,
      PING_SIZE,
      WINDOW_UPDATE_SIZE,
      MAX_HOST_LENGTH,
      MAX_TAG_LENGTH,
      MAX_REASON_BYTES,
    },
    {
      FRAME_VERSION: 1,
      HEADER_SIZE: 12,
      MAX_PAYLOAD: 262_144,
      INITIAL_WINDOW: 262_144,
      MAX_DATAGRAM: 65_507,
      PING_SIZE: 8,
      WINDOW_UPDATE_SIZE: 4,
      MAX_HOST_LENGTH: 255,
      MAX_TAG_LENGTH: 1024,
      MAX_REASON_BYTES: 4096,
    },
  );
});

Deno.test("a full UDP datagram fits in one frame and one window", () => {
  assert.ok(MAX_DATAGRAM <= MAX_PAYLOAD && MAX_DATAGRAM <= INITIAL_WINDOW);
});
