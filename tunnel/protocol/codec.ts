/**
 * Encoding and decoding of frames. Decoding is incremental: partial input waits for more and
 * malformed input throws {@link ProtocolError}, never anything else.
 *
 * @module
 */
import { ProtocolError } from "./errors.ts";
import {
  type Destination,
  type Frame,
  FRAME_VERSION,
  FrameType,
  GoAwayCode,
  HEADER_SIZE,
  type Hello,
  MAX_HOST_LENGTH,
  MAX_PAYLOAD,
  MAX_REASON_BYTES,
  MAX_TAG_LENGTH,
  PING_SIZE,
  type RawControl,
  ResetCode,
  Role,
  Transport,
  WINDOW_UPDATE_SIZE,
} from "./frame.ts";

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const knownTypes = new Set<number>(Object.values(FrameType));
const knownResets = new Set<number>(Object.values(ResetCode));
const knownGoAways = new Set<number>(Object.values(GoAwayCode));
const knownRoles = new Set<number>(Object.values(Role));
const knownTransports = new Set<number>(Object.values(Transport));
const sessionLevel = new Set<number>([
  FrameType.Hello,
  FrameType.Ping,
  FrameType.Pong,
  FrameType.GoAway,
  FrameType.Control,
]);

/**
 * Writes a frame header into `target` at `offset`.
 *
 * @param target where to write; needs {@link HEADER_SIZE} bytes from `offset`
 * @param offset first byte of the header
 * @param type the frame type
 * @param streamId the stream, 0 for session-level frames
 * @param length payload length in bytes
 */
export function writeHeader(
  target: Uint8Array,
  offset: number,
  type: FrameType,
  streamId: number,
  length: number,
): void {
  target[offset] = FRAME_VERSION;
  target[offset + 1] = type;
  target[offset + 2] = 0;
  target[offset + 3] = 0;
  const view = new DataView(target.buffer, target.byteOffset + offset, HEADER_SIZE);
  view.setUint32(4, streamId);
  view.setUint32(8, length);
}

/**
 * A data frame in one buffer: the header followed by a copy of `payload`.
 *
 * @param streamId the stream
 * @param payload at most {@link MAX_PAYLOAD} bytes
 * @returns the encoded frame
 * @throws {RangeError} when the payload is too long or the stream id is not 1 to 2^32-1
 */
export function encodeData(streamId: number, payload: Uint8Array): Uint8Array {
  checkPayload(payload.length);
  checkStream(FrameType.Data, streamId);
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  writeHeader(out, 0, FrameType.Data, streamId, payload.length);
  out.set(payload, HEADER_SIZE);
  return out;
}

function withPayload(type: FrameType, streamId: number, payload: Uint8Array): Uint8Array {
  checkPayload(payload.length);
  checkStream(type, streamId);
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  writeHeader(out, 0, type, streamId, payload.length);
  out.set(payload, HEADER_SIZE);
  return out;
}

function checkPayload(length: number): void {
  if (length > MAX_PAYLOAD) {
    throw new RangeError(`frame payload of ${length} bytes exceeds ${MAX_PAYLOAD}`);
  }
}

// The encoder refuses what the decoder would reject, so a bug shows up on the side that has it.
function checkStream(type: FrameType, streamId: number): void {
  if (sessionLevel.has(type)) {
    if (streamId !== 0) throw new RangeError(`frame type 0x${hex(type)} must use stream 0`);
  } else if (!isUint(streamId, 1, 0xffff_ffff)) {
    throw new RangeError(`stream id ${streamId} is not an integer from 1 to ${0xffff_ffff}`);
  }
}

function checkCode(what: string, code: number, known: Set<number>): void {
  if (!known.has(code)) throw new RangeError(`unknown ${what} code ${code}`);
}

function isUint(n: number, min: number, max: number): boolean {
  return Number.isInteger(n) && n >= min && n <= max;
}

function codeAndReason(code: number, reason: string): Uint8Array {
  const text = truncateUtf8(reason, MAX_REASON_BYTES);
  const out = new Uint8Array(2 + text.length);
  new DataView(out.buffer).setUint16(0, code);
  out.set(text, 2);
  return out;
}

/** Encodes `text` as UTF-8, cut at a character boundary so it fits in `maxBytes`. */
function truncateUtf8(text: string, maxBytes: number): Uint8Array {
  const bytes = utf8.encode(text);
  if (bytes.length <= maxBytes) return bytes;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

function encodeDestination(d: Destination): Uint8Array {
  const host = utf8.encode(d.host);
  const tag = utf8.encode(d.tag);
  if (host.length === 0 || host.length > MAX_HOST_LENGTH) {
    throw new RangeError(`destination host must be 1 to ${MAX_HOST_LENGTH} bytes`);
  }
  if (tag.length > MAX_TAG_LENGTH) throw new RangeError(`tag over ${MAX_TAG_LENGTH} bytes`);
  if (!isUint(d.port, 0, 0xffff)) throw new RangeError(`port ${d.port} is not 0 to 65535`);
  checkCode("transport", d.transport, knownTransports);
  const out = new Uint8Array(1 + 2 + 1 + host.length + 2 + tag.length);
  const view = new DataView(out.buffer);
  out[0] = d.transport;
  view.setUint16(1, d.port);
  out[3] = host.length;
  out.set(host, 4);
  view.setUint16(4 + host.length, tag.length);
  out.set(tag, 6 + host.length);
  return out;
}

function encodeHello(h: Hello): Uint8Array {
  if (!isUint(h.minProtocol, 1, 0xffff) || !isUint(h.maxProtocol, h.minProtocol, 0xffff)) {
    throw new RangeError(`invalid protocol range ${h.minProtocol}-${h.maxProtocol}`);
  }
  checkCode("role", h.role, knownRoles);
  const software = truncateUtf8(h.software, 255);
  const out = new Uint8Array(6 + software.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, h.minProtocol);
  view.setUint16(2, h.maxProtocol);
  out[4] = h.role;
  out[5] = software.length;
  out.set(software, 6);
  return out;
}

/**
 * Encodes any frame. Control messages must already be in their raw form (see control.ts).
 *
 * @param frame the frame to encode
 * @returns its bytes
 * @throws {RangeError} when a field does not fit the wire format
 */
export function encodeFrame(frame: Frame<RawControl>): Uint8Array {
  switch (frame.type) {
    case FrameType.Hello:
      return withPayload(frame.type, frame.streamId, encodeHello(frame.hello));
    case FrameType.Open:
      return withPayload(frame.type, frame.streamId, encodeDestination(frame.destination));
    case FrameType.Accept:
    case FrameType.Fin:
      return withPayload(frame.type, frame.streamId, new Uint8Array(0));
    case FrameType.Data:
      return withPayload(frame.type, frame.streamId, frame.payload);
    case FrameType.WindowUpdate: {
      if (!isUint(frame.increment, 1, 0xffff_ffff)) {
        throw new RangeError(`window increment ${frame.increment} is not 1 to ${0xffff_ffff}`);
      }
      const payload = new Uint8Array(WINDOW_UPDATE_SIZE);
      new DataView(payload.buffer).setUint32(0, frame.increment);
      return withPayload(frame.type, frame.streamId, payload);
    }
    case FrameType.Reset:
      checkCode("reset", frame.code, knownResets);
      return withPayload(frame.type, frame.streamId, codeAndReason(frame.code, frame.reason));
    case FrameType.Ping:
    case FrameType.Pong:
      if (frame.opaque.length !== PING_SIZE) throw new RangeError("ping opaque must be 8 bytes");
      return withPayload(frame.type, frame.streamId, frame.opaque);
    case FrameType.GoAway:
      checkCode("go-away", frame.code, knownGoAways);
      return withPayload(frame.type, frame.streamId, codeAndReason(frame.code, frame.reason));
    case FrameType.Control: {
      if (!isUint(frame.message.code, 0, 0xffff)) {
        throw new RangeError(`control code ${frame.message.code} is not 0 to 65535`);
      }
      const body = utf8.encode(JSON.stringify(frame.message.body));
      const payload = new Uint8Array(2 + body.length);
      new DataView(payload.buffer).setUint16(0, frame.message.code);
      payload.set(body, 2);
      return withPayload(frame.type, frame.streamId, payload);
    }
  }
}

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /** Bytes of the first buffer (and, when retaining, of every new one). Default 64 KiB. */
  initialCapacity?: number;
  /**
   * Never reuse bytes once a frame was decoded from them, so payload views stay valid after
   * later input: a receiver can keep them instead of copying. Costs a new buffer each time
   * one fills up.
   */
  retainPayloads?: boolean;
}

/** Turns a raw control message into the typed message of one direction, or throws. */
export type ControlDecoder<C> = (raw: RawControl) => C;

/**
 * Incremental frame decoder.
 *
 * Feed bytes with {@link push}, or read straight into {@link reserve} and {@link commit};
 * take frames with {@link next} until it returns `undefined` ("need more"). Payload views of
 * returned frames stay valid until the next `push`/`reserve`, or for good with
 * {@link FrameDecoderOptions.retainPayloads}.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder();
 * decoder.push(bytes);
 * for (let f = decoder.next(); f; f = decoder.next()) handle(f);
 * ```
 */
export class FrameDecoder<C = RawControl> {
  #buf: Uint8Array;
  #start = 0;
  #end = 0;
  readonly #decodeControl: ControlDecoder<C>;
  readonly #capacity: number;
  readonly #retain: boolean;

  constructor(decodeControl?: ControlDecoder<C>, options: FrameDecoderOptions = {}) {
    this.#capacity = options.initialCapacity ?? 64 * 1024;
    this.#retain = options.retainPayloads ?? false;
    this.#buf = new Uint8Array(this.#capacity);
    this.#decodeControl = decodeControl ?? ((raw) => raw as C);
  }

  /** Bytes received but not yet decoded. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /**
   * Appends input.
   *
   * @param chunk bytes as they arrived; copied
   */
  push(chunk: Uint8Array): void {
    this.reserve(chunk.length).set(chunk);
    this.#end += chunk.length;
  }

  /**
   * Space for at least `min` more bytes, to read into directly; then call {@link commit}.
   *
   * @param min the least number of bytes wanted
   * @returns a view of the free space
   */
  reserve(min: number): Uint8Array {
    if (!this.#retain && this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#buf.length - this.#end < min) {
      const used = this.#end - this.#start;
      if (!this.#retain && this.#buf.length >= used + min) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        // Retaining: a fresh buffer, since views of the old one may still be in use.
        const size = this.#retain ? this.#capacity : this.#buf.length * 2;
        const grown = new Uint8Array(Math.max(size, used + min));
        grown.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = grown;
      }
      this.#start = 0;
      this.#end = used;
    }
    return this.#buf.subarray(this.#end);
  }

  /**
   * Marks `n` bytes written into the last {@link reserve} view as received.
   *
   * @param n bytes written
   * @throws {RangeError} when `n` is more than the reserved space
   */
  commit(n: number): void {
    if (!isUint(n, 0, this.#buf.length - this.#end)) {
      throw new RangeError(`cannot commit ${n} bytes: more than reserved`);
    }
    this.#end += n;
  }

  /**
   * The next complete frame.
   *
   * @returns the frame, or `undefined` when more input is needed
   * @throws {ProtocolError} on malformed input; the decoder is then unusable
   */
  next(): Frame<C> | undefined {
    const available = this.#end - this.#start;
    if (available < HEADER_SIZE) return undefined;
    const buf = this.#buf;
    const at = this.#start;
    const view = new DataView(buf.buffer, buf.byteOffset + at, HEADER_SIZE);
    const version = buf[at]!;
    const type = buf[at + 1]!;
    const streamId = view.getUint32(4);
    const length = view.getUint32(8);
    if (version !== FRAME_VERSION) {
      throw new ProtocolError(`frame version ${version} is not the supported ${FRAME_VERSION}`);
    }
    if (!knownTypes.has(type)) throw new ProtocolError(`unknown frame type 0x${hex(type)}`);
    if (length > MAX_PAYLOAD) {
      throw new ProtocolError(`frame length ${length} exceeds the maximum ${MAX_PAYLOAD}`);
    }
    if (sessionLevel.has(type) !== (streamId === 0)) {
      throw new ProtocolError(
        `frame type 0x${hex(type)} ${streamId === 0 ? "needs a stream id" : "must use stream 0"}`,
      );
    }
    if (available < HEADER_SIZE + length) return undefined;
    const payload = buf.subarray(at + HEADER_SIZE, at + HEADER_SIZE + length);
    this.#start = at + HEADER_SIZE + length;
    return this.#decodePayload(type as FrameType, streamId, payload);
  }

  #decodePayload(type: FrameType, streamId: number, p: Uint8Array): Frame<C> {
    switch (type) {
      case FrameType.Hello:
        return { type, streamId: 0, hello: decodeHello(p) };
      case FrameType.Open:
        return { type, streamId, destination: decodeDestination(p) };
      case FrameType.Accept:
      case FrameType.Fin:
        expectLength(type, p, 0);
        return { type, streamId };
      case FrameType.Data:
        return { type, streamId, payload: p };
      case FrameType.WindowUpdate: {
        expectLength(type, p, WINDOW_UPDATE_SIZE);
        const increment = view(p).getUint32(0);
        if (increment === 0) throw new ProtocolError("window update of 0 bytes");
        return { type, streamId, increment };
      }
      case FrameType.Reset: {
        const [code, reason] = decodeCodeAndReason(type, p, knownResets);
        return { type, streamId, code: code as ResetCode, reason };
      }
      case FrameType.Ping:
      case FrameType.Pong:
        expectLength(type, p, PING_SIZE);
        return { type, streamId: 0, opaque: p };
      case FrameType.GoAway: {
        const [code, reason] = decodeCodeAndReason(type, p, knownGoAways);
        return { type, streamId: 0, code: code as GoAwayCode, reason };
      }
      case FrameType.Control:
        return { type, streamId: 0, message: this.#decodeControl(decodeRawControl(p)) };
    }
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}

function view(p: Uint8Array): DataView {
  return new DataView(p.buffer, p.byteOffset, p.byteLength);
}

function expectLength(type: FrameType, p: Uint8Array, length: number): void {
  if (p.length !== length) {
    throw new ProtocolError(
      `frame type 0x${hex(type)} must carry ${length} bytes, not ${p.length}`,
    );
  }
}

function text(p: Uint8Array, what: string): string {
  try {
    return strictUtf8.decode(p);
  } catch {
    throw new ProtocolError(`${what} is not valid UTF-8`);
  }
}

function decodeCodeAndReason(
  type: FrameType,
  p: Uint8Array,
  known: Set<number>,
): [number, string] {
  if (p.length < 2) throw new ProtocolError(`frame type 0x${hex(type)} is truncated`);
  if (p.length > 2 + MAX_REASON_BYTES) {
    throw new ProtocolError(`frame type 0x${hex(type)} reason is over ${MAX_REASON_BYTES} bytes`);
  }
  const code = view(p).getUint16(0);
  if (!known.has(code)) {
    throw new ProtocolError(`frame type 0x${hex(type)} has unknown code ${code}`);
  }
  return [code, text(p.subarray(2), "reason")];
}

function decodeHello(p: Uint8Array): Hello {
  if (p.length < 6 || p.length !== 6 + p[5]!) throw new ProtocolError("hello is truncated");
  const v = view(p);
  const role = p[4]!;
  if (!knownRoles.has(role)) throw new ProtocolError(`hello has unknown role ${role}`);
  const minProtocol = v.getUint16(0);
  const maxProtocol = v.getUint16(2);
  if (minProtocol === 0 || minProtocol > maxProtocol) {
    throw new ProtocolError(`hello has an invalid protocol range ${minProtocol}-${maxProtocol}`);
  }
  return { role: role as Role, minProtocol, maxProtocol, software: text(p.subarray(6), "hello") };
}

function decodeDestination(p: Uint8Array): Destination {
  if (p.length < 6) throw new ProtocolError("open is truncated");
  const v = view(p);
  const transport = p[0]!;
  if (!knownTransports.has(transport)) {
    throw new ProtocolError(`open has unknown transport ${transport}`);
  }
  const port = v.getUint16(1);
  const hostLength = p[3]!;
  if (hostLength === 0) throw new ProtocolError("open has an empty host");
  if (p.length < 6 + hostLength) throw new ProtocolError("open is truncated");
  const tagLength = v.getUint16(4 + hostLength);
  if (tagLength > MAX_TAG_LENGTH) throw new ProtocolError(`open tag is over ${MAX_TAG_LENGTH}`);
  if (p.length !== 6 + hostLength + tagLength) {
    throw new ProtocolError("open length does not match its fields");
  }
  return {
    transport: transport as Transport,
    port,
    host: text(p.subarray(4, 4 + hostLength), "open host"),
    tag: text(p.subarray(6 + hostLength), "open tag"),
  };
}

function decodeRawControl(p: Uint8Array): RawControl {
  if (p.length < 2) throw new ProtocolError("control message is truncated");
  const code = view(p).getUint16(0);
  let body: unknown;
  try {
    body = JSON.parse(text(p.subarray(2), "control message"));
  } catch (error) {
    if (error instanceof ProtocolError) throw error;
    throw new ProtocolError(`control message 0x${code.toString(16)} is not valid JSON`);
  }
  return { code, body };
}
