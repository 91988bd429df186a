/**
 * Frame layout: the constants of the wire and the encoding of every frame type.
 * SPEC.md beside this file documents the same bytes for people; `frame_test.ts` pins the codes
 * and `codec_test.ts` the bytes.
 *
 * @module
 */

/** The frame format version carried in byte 0 of every header. */
export const FRAME_VERSION = 1;

/** Bytes in a frame header. */
export const HEADER_SIZE = 12;

/** The largest payload a frame may carry; a larger length is a protocol error. */
export const MAX_PAYLOAD = 256 * 1024;

/**
 * The flow-control window each stream starts with, in each direction: the bytes of Data a sender
 * may have in flight before the receiver grants more with a WindowUpdate.
 */
export const INITIAL_WINDOW = 256 * 1024;

/** The largest UDP datagram a stream carries (the IPv4 UDP payload maximum). */
export const MAX_DATAGRAM = 65_507;

/** Frame types, with their wire codes. */
export const FrameType = {
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
} as const;
export type FrameType = typeof FrameType[keyof typeof FrameType];

/** Transport of a stream's destination. */
export const Transport = { Tcp: 1, Udp: 2 } as const;
export type Transport = typeof Transport[keyof typeof Transport];

/** The role a peer announces in its hello. */
export const Role = { Daemon: 1, Agent: 2, Manager: 3 } as const;
export type Role = typeof Role[keyof typeof Role];

/** Why a stream was reset. */
export const ResetCode = {
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
} as const;
export type ResetCode = typeof ResetCode[keyof typeof ResetCode];

/** Why a whole connection is being closed. */
export const GoAwayCode = {
  Normal: 0,
  ProtocolError: 1,
  VersionMismatch: 2,
  KeepaliveTimeout: 3,
  Internal: 4,
  Refused: 5,
} as const;
export type GoAwayCode = typeof GoAwayCode[keyof typeof GoAwayCode];

/** Where a stream goes. `tag` is opaque to the tunnel (an intercept id, for example). */
export interface Destination {
  transport: Transport;
  host: string;
  port: number;
  tag: string;
}

/** What a peer says first. */
export interface Hello {
  role: Role;
  minProtocol: number;
  maxProtocol: number;
  software: string;
}

/** A control message as the frame layer sees it: a code and a JSON body. */
export interface RawControl {
  code: number;
  body: unknown;
}

/** A decoded frame; `C` is the control message type of the direction being decoded. */
export type Frame<C = RawControl> =
  | { type: typeof FrameType.Hello; streamId: 0; hello: Hello }
  | { type: typeof FrameType.Open; streamId: number; destination: Destination }
  | { type: typeof FrameType.Accept; streamId: number }
  | { type: typeof FrameType.Data; streamId: number; payload: Uint8Array }
  | { type: typeof FrameType.WindowUpdate; streamId: number; increment: number }
  | { type: typeof FrameType.Fin; streamId: number }
  | { type: typeof FrameType.Reset; streamId: number; code: ResetCode; reason: string }
  | { type: typeof FrameType.Ping; streamId: 0; opaque: Uint8Array }
  | { type: typeof FrameType.Pong; streamId: 0; opaque: Uint8Array }
  | { type: typeof FrameType.GoAway; streamId: 0; code: GoAwayCode; reason: string }
  | { type: typeof FrameType.Control; streamId: 0; message: C };

/** Byte lengths of the fields whose size is fixed. */
export const PING_SIZE = 8;
export const WINDOW_UPDATE_SIZE = 4;
/** Longest host name in an open (a DNS name is at most 253 characters). */
export const MAX_HOST_LENGTH = 255;
/** Longest tag in an open. */
export const MAX_TAG_LENGTH = 1024;
/** Longest reason in a reset or go-away. */
export const MAX_REASON_BYTES = 4096;
