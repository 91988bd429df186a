/**
 * The Kubernetes port-forward WebSocket protocol, one port per connection, as the kubelet (or
 * the container runtime's streaming server) speaks it behind
 * `/api/v1/namespaces/{ns}/pods/{pod}/portforward?ports={port}`:
 *
 * - subprotocol `v4.channel.k8s.io` (binary); the base64 variant is not used;
 * - every message, both ways, starts with one byte naming the channel: for the i-th port,
 *   channel 2i carries its data (both ways) and 2i+1 its errors (server to client only);
 * - the server's first message on each channel is the port as an unsigned 16-bit
 *   little-endian integer;
 * - a failure to forward (nothing listens, the pod's network namespace is gone) arrives as
 *   text on the error channel, `error forwarding port P to pod SANDBOX, uid U: REASON`, and
 *   the server then closes the WebSocket;
 * - v4 has no per-channel close: the end of the pod's connection closes the WebSocket.
 *
 * Pure: no I/O, so the state machine is tested byte by byte.
 *
 * @module
 */

/** The subprotocol tpx asks for. */
export const PORT_FORWARD_PROTOCOL = "v4.channel.k8s.io";

/** Channel numbers of the one forwarded port. */
export const PortForwardChannel = { Data: 0, Error: 1 } as const;

/** What one server message meant. */
export type PortForwardEvent =
  | { kind: "ready" }
  | { kind: "data"; bytes: Uint8Array }
  | { kind: "none" };

/** A message the protocol does not allow: the peer is not a port-forward endpoint. */
export class PortForwardProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PortForwardProtocolError";
  }
}

/**
 * Follows the server's side of one forwarded port: the two port frames, then data and error
 * text.
 *
 * @example
 * ```ts
 * const reader = new PortForwardReader(8081);
 * reader.receive(new Uint8Array([0, 0x91, 0x1f])); // { kind: "none" }
 * reader.receive(new Uint8Array([1, 0x91, 0x1f])); // { kind: "ready" }
 * ```
 */
export class PortForwardReader {
  readonly #port: number;
  #dataPortSeen = false;
  #errorPortSeen = false;
  #errorText = "";

  /** @param port the port that was asked for; the server must name the same one */
  constructor(port: number) {
    this.#port = port;
  }

  /** Whether both port frames arrived. */
  get ready(): boolean {
    return this.#dataPortSeen && this.#errorPortSeen;
  }

  /** The error text received so far; empty while the forward is fine. */
  get errorText(): string {
    return this.#errorText;
  }

  /**
   * Takes one binary message from the server.
   *
   * @param message the whole message, channel byte first
   * @returns `ready` when the second port frame arrived, `data` for bytes of the pod's
   *   connection (a view into `message`), otherwise `none`
   * @throws {PortForwardProtocolError} for an unknown channel or a wrong port frame
   */
  receive(message: Uint8Array): PortForwardEvent {
    if (message.length === 0) return { kind: "none" };
    const channel = message[0];
    const payload = message.subarray(1);
    if (channel !== PortForwardChannel.Data && channel !== PortForwardChannel.Error) {
      throw new PortForwardProtocolError(`message on unknown channel ${channel}`);
    }
    const isData = channel === PortForwardChannel.Data;
    if (isData ? !this.#dataPortSeen : !this.#errorPortSeen) {
      this.#checkPortFrame(payload);
      if (isData) this.#dataPortSeen = true;
      else this.#errorPortSeen = true;
      return this.ready ? { kind: "ready" } : { kind: "none" };
    }
    if (isData) return payload.length > 0 ? { kind: "data", bytes: payload } : { kind: "none" };
    this.#errorText += new TextDecoder().decode(payload);
    return { kind: "none" };
  }

  #checkPortFrame(payload: Uint8Array): void {
    if (payload.length !== 2) {
      throw new PortForwardProtocolError(`port frame of ${payload.length} bytes, not 2`);
    }
    const port = payload[0]! | (payload[1]! << 8);
    if (port !== this.#port) {
      throw new PortForwardProtocolError(`the server forwards port ${port}, not ${this.#port}`);
    }
  }
}

/**
 * A data message for the pod's connection.
 *
 * @param bytes what to send
 * @returns a new message: the data channel's byte, then a copy of `bytes`
 */
export function dataMessage(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const message = new Uint8Array(bytes.length + 1);
  message[0] = PortForwardChannel.Data;
  message.set(bytes, 1);
  return message;
}

/**
 * The reason in a kubelet's error text, without the sandbox id and uid it starts with.
 *
 * @param text what arrived on the error channel
 * @returns the part after `uid …: `, or the whole text when it has another shape
 * @example
 * ```ts
 * kubeletReason("error forwarding port 1 to pod abc, uid : connection refused"); // "connection refused"
 * ```
 */
export function kubeletReason(text: string): string {
  const match = text.match(/^error forwarding port \d+ to pod [^,]*, uid [^:]*: ([\s\S]*)$/);
  return (match?.[1] ?? text).trim();
}
