import assert from "node:assert/strict";
import {
  dataMessage,
  kubeletReason,
  PortForwardProtocolError,
  PortForwardReader,
} from "./protocol.ts";

Deno.test("PortForwardReader is ready once both channels named the port, little-endian", () => {
  const reader = new PortForwardReader(8081); // 0x1f91
  assert.deepEqual(reader.receive(new Uint8Array([0, 0x91, 0x1f])), { kind: "none" });
  assert.equal(reader.ready, false);
  assert.deepEqual(reader.receive(new Uint8Array([1, 0x91, 0x1f])), { kind: "ready" });
  assert.equal(reader.ready, true);
});

Deno.test("PortForwardReader hands out data after the port frame, as a view", () => {
  const reader = new PortForwardReader(80);
  reader.receive(new Uint8Array([1, 80, 0]));
  reader.receive(new Uint8Array([0, 80, 0]));
  const message = new Uint8Array([0, 1, 2, 3]);
  const event = reader.receive(message);
  assert.equal(event.kind, "data");
  assert.deepEqual(event.kind === "data" && [...event.bytes], [1, 2, 3]);
  assert.equal(event.kind === "data" && event.bytes.buffer, message.buffer);
  assert.deepEqual(reader.receive(new Uint8Array([0])), { kind: "none" });
  assert.deepEqual(reader.receive(new Uint8Array([])), { kind: "none" });
});

Deno.test("PortForwardReader collects the error channel's text", () => {
  const reader = new PortForwardReader(80);
  reader.receive(new Uint8Array([0, 80, 0]));
  reader.receive(new Uint8Array([1, 80, 0]));
  assert.equal(reader.errorText, "");
  reader.receive(new Uint8Array([1, ...new TextEncoder().encode("error forwarding")]));
  reader.receive(new Uint8Array([1, ...new TextEncoder().encode(" port")]));
  assert.equal(reader.errorText, "error forwarding port");
});

Deno.test("PortForwardReader refuses another port, a short port frame and unknown channels", () => {
  assert.throws(
    () => new PortForwardReader(8081).receive(new Uint8Array([0, 0x1f, 0x91])),
    new PortForwardProtocolError("the server forwards port 37151, not 8081"),
  );
  assert.throws(
    () => new PortForwardReader(80).receive(new Uint8Array([0, 80])),
    PortForwardProtocolError,
  );
  assert.throws(
    () => new PortForwardReader(80).receive(new Uint8Array([2, 80, 0])),
    new PortForwardProtocolError("message on unknown channel 2"),
  );
});

Deno.test("dataMessage() prefixes the data channel and copies", () => {
  const bytes = new Uint8Array([7, 8]);
  const message = dataMessage(bytes);
  assert.deepEqual([...message], [0, 7, 8]);
  bytes[0] = 9;
  assert.equal(message[1], 7);
});

Deno.test("kubeletReason() drops the sandbox id and uid, and keeps other text whole", () => {
  assert.equal(
    kubeletReason(
      "error forwarding port 8099 to pod 3fa1c, uid : failed to connect: connection refused",
    ),
    "failed to connect: connection refused",
  );
  assert.equal(kubeletReason(" something else "), "something else");
});
