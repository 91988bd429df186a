import assert from "node:assert/strict";
import { wireErrorSchema } from "./control.ts";
import {
  ErrorCategory,
  MAX_ERROR_CODE_LENGTH,
  MAX_ERROR_TEXT_LENGTH,
  ProtocolError,
  toWireError,
  TpxError,
  type WireError,
} from "./errors.ts";

Deno.test("toWire() and fromWire() round-trip an error with a hint", () => {
  const error = new TpxError("user", 'Cannot intercept "web": deployment has no port 8080', {
    code: "no_such_port",
    hint: 'run "tpx list -n shop"',
    retryable: true,
  });
  const wire = error.toWire();
  assert.deepEqual(wire, {
    code: "no_such_port",
    category: "user",
    message: 'Cannot intercept "web": deployment has no port 8080',
    retryable: true,
    hint: 'run "tpx list -n shop"',
  });
  const back = TpxError.fromWire(JSON.parse(JSON.stringify(wire)));
  assert.ok(back instanceof TpxError);
  assert.deepEqual(back.toWire(), wire);
});

Deno.test("toWire() leaves out an absent hint", () => {
  const wire = new TpxError("cluster", "API server unreachable").toWire();
  assert.deepEqual(wire, {
    code: "cluster",
    category: "cluster",
    message: "API server unreachable",
    retryable: false,
  });
  assert.equal("hint" in wire, false);
  assert.equal("hint" in TpxError.fromWire(wire).toWire(), false);
});

Deno.test("toWireError() of a plain Error is internal", () => {
  assert.deepEqual(toWireError(new TypeError("x is undefined")), {
    code: "internal",
    category: "internal",
    message: "x is undefined",
    retryable: false,
  });
  assert.deepEqual(toWireError("thrown string"), {
    code: "internal",
    category: "internal",
    message: "thrown string",
    retryable: false,
  });
});

Deno.test("toWireError() keeps a TpxError as it is", () => {
  const error = new TpxError("config", "bad kubeconfig", { hint: "check KUBECONFIG" });
  assert.deepEqual(toWireError(error), error.toWire());
});

Deno.test("a ProtocolError is an internal TpxError with its own code", () => {
  const error = new ProtocolError("unknown frame type 0x0c");
  assert.ok(error instanceof TpxError);
  assert.equal(error.name, "ProtocolError");
  assert.deepEqual(toWireError(error), {
    code: "protocol_error",
    category: ErrorCategory.Internal,
    message: "unknown frame type 0x0c",
    retryable: false,
  });
});

Deno.test("toWire() cuts long texts to what the receiver accepts", () => {
  const long = "x".repeat(MAX_ERROR_TEXT_LENGTH + 10);
  const error = new TpxError("cluster", long, { code: "c".repeat(100), hint: long });
  const wire = error.toWire();
  assert.equal(wire.code.length, MAX_ERROR_CODE_LENGTH);
  assert.equal(wire.message.length, MAX_ERROR_TEXT_LENGTH);
  assert.equal(wire.hint?.length, MAX_ERROR_TEXT_LENGTH);
  assert.equal(toWireError(new Error(long)).message.length, MAX_ERROR_TEXT_LENGTH);
  assert.equal(wireErrorSchema.check(wire, "error"), undefined);
});

Deno.test("toWire() never cuts a surrogate pair in half", () => {
  const message = "x".repeat(MAX_ERROR_TEXT_LENGTH - 1) + "\u{1f600}";
  const wire = new TpxError("user", message).toWire();
  assert.equal(wire.message, "x".repeat(MAX_ERROR_TEXT_LENGTH - 1));
});

Deno.test("every wire error satisfies the wire schema", () => {
  const errors: WireError[] = [
    toWireError(new Error("e")),
    new TpxError("user", "u", { hint: "h" }).toWire(),
    new ProtocolError("p").toWire(),
  ];
  for (const wire of errors) assert.equal(wireErrorSchema.check(wire, "error"), undefined);
});
