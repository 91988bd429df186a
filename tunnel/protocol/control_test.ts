import assert from "node:assert/strict";
import {
  agentMessages,
  daemonMessages,
  managerToAgentMessages,
  managerToDaemonMessages,
} from "./_testing.ts";
import { encodeFrame, FrameDecoder } from "./codec.ts";
import {
  agentCodec,
  type ControlCodec,
  type ControlMessage,
  ControlMessages,
  daemonCodec,
  type DaemonToManager,
  managerAgentCodec,
  managerDaemonCodec,
  type ManagerToDaemon,
} from "./control.ts";
import { ProtocolError, TpxError } from "./errors.ts";
import { FrameType, type RawControl } from "./frame.ts";

/** SPEC.md's table of control messages. A change here is a wire change. */
const pinned = {
  heartbeat: { code: 0x0001, from: ["daemon", "agent"] },
  ack: { code: 0x0002, from: ["manager"] },
  failure: { code: 0x0003, from: ["manager"] },
  arrive: { code: 0x0101, from: ["daemon"] },
  lookup: { code: 0x0102, from: ["daemon"] },
  createIntercept: { code: 0x0103, from: ["daemon"] },
  removeIntercept: { code: 0x0104, from: ["daemon"] },
  depart: { code: 0x0105, from: ["daemon"] },
  restoreWorkloads: { code: 0x0106, from: ["daemon"] },
  interceptEnvironment: { code: 0x0107, from: ["daemon"] },
  listAgents: { code: 0x0108, from: ["daemon"] },
  welcome: { code: 0x0201, from: ["manager"] },
  lookupResult: { code: 0x0202, from: ["manager"] },
  interceptResult: { code: 0x0203, from: ["manager"] },
  interceptsChanged: { code: 0x0204, from: ["manager"] },
  restoreResult: { code: 0x0205, from: ["manager"] },
  environment: { code: 0x0206, from: ["manager"] },
  agents: { code: 0x0207, from: ["manager"] },
  agentArrive: { code: 0x0301, from: ["agent"] },
  agentWelcome: { code: 0x0401, from: ["manager"] },
  agentIntercepts: { code: 0x0402, from: ["manager"] },
};

type AnyCodec = ControlCodec<ControlMessage, ControlMessage>;

/** Samples of the restore messages, beside the shared ones of `_testing.ts`. */
const restoreRequests: readonly DaemonToManager[] = [
  { type: "removeIntercept", id: 8, name: "web-alice", restore: true },
  { type: "restoreWorkloads", id: 9, namespace: "shop", workload: "web" },
  { type: "restoreWorkloads", id: 10, all: true },
  { type: "interceptEnvironment", id: 12, name: "web" },
  { type: "listAgents", id: 13 },
  { type: "restoreWorkloads", id: 11, all: true, namespace: "shop" },
];
const restoreReplies: readonly ManagerToDaemon[] = [
  { type: "restoreResult", id: 9, restored: [], refused: [] },
  { type: "environment", id: 12, env: { GREETING: "hi" }, mounts: ["/config"], pod: "web-0" },
  {
    type: "agents",
    id: 13,
    agents: [{
      namespace: "shop",
      workload: "web",
      workloadKind: "Deployment",
      pod: "web-0",
      dormantUntil: "2026-11-29T12:00:00.000Z",
    }],
  },
  {
    type: "restoreResult",
    id: 10,
    restored: [{ kind: "Deployment", namespace: "shop", workload: "web" }],
    refused: [{
      kind: "StatefulSet",
      namespace: "shop",
      workload: "db",
      error: {
        code: "workload_in_use",
        category: "user",
        message: 'Cannot restore statefulset/db: intercept "db" of "bob@desk" uses it',
        retryable: false,
        hint: 'ask bob@desk to run "tpx leave db"',
      },
    }, {
      namespace: "shop",
      workload: "gone",
      error: { code: "workload_not_found", category: "user", message: "gone", retryable: false },
    }],
  },
];

/** Each direction: who encodes, who decodes, what it carries. */
const directions: {
  name: string;
  sender: AnyCodec;
  receiver: AnyCodec;
  receives: string[];
  samples: readonly ControlMessage[];
}[] = [
  {
    name: "daemon to manager",
    sender: daemonCodec as AnyCodec,
    receiver: managerDaemonCodec as AnyCodec,
    receives: [
      "heartbeat",
      "arrive",
      "lookup",
      "createIntercept",
      "removeIntercept",
      "depart",
      "restoreWorkloads",
      "interceptEnvironment",
      "listAgents",
    ],
    samples: [...daemonMessages, ...restoreRequests],
  },
  {
    name: "manager to daemon",
    sender: managerDaemonCodec as AnyCodec,
    receiver: daemonCodec as AnyCodec,
    receives: [
      "ack",
      "failure",
      "welcome",
      "lookupResult",
      "interceptResult",
      "interceptsChanged",
      "restoreResult",
      "environment",
      "agents",
    ],
    samples: [...managerToDaemonMessages, ...restoreReplies],
  },
  {
    name: "agent to manager",
    sender: agentCodec as AnyCodec,
    receiver: managerAgentCodec as AnyCodec,
    receives: ["heartbeat", "agentArrive"],
    samples: agentMessages,
  },
  {
    name: "manager to agent",
    sender: managerAgentCodec as AnyCodec,
    receiver: agentCodec as AnyCodec,
    receives: ["ack", "failure", "agentWelcome", "agentIntercepts"],
    samples: managerToAgentMessages,
  },
];

function overTheWire(sender: AnyCodec, receiver: AnyCodec, message: ControlMessage) {
  const decoder = new FrameDecoder(receiver.decode);
  decoder.push(
    encodeFrame({ type: FrameType.Control, streamId: 0, message: sender.encode(message) }),
  );
  const frame = decoder.next();
  assert.ok(frame?.type === FrameType.Control);
  return frame.message;
}

function assertInvalid(codec: AnyCodec, raw: RawControl, message: RegExp): void {
  assert.throws(() => codec.decode(raw), (error: unknown) => {
    assert.ok(error instanceof ProtocolError, `not a ProtocolError: ${error}`);
    assert.match(error.message, message);
    return true;
  });
}

Deno.test("control messages keep their wire codes and senders", () => {
  const actual = Object.fromEntries(
    Object.entries(ControlMessages).map(([name, m]) => [name, { code: m.code, from: m.from }]),
  );
  assert.deepEqual(actual, pinned);
});

Deno.test("control message codes are unique", () => {
  const codes = Object.values(ControlMessages).map((m) => m.code);
  assert.equal(new Set(codes).size, codes.length);
});

for (const { name, sender, receiver, receives, samples } of directions) {
  Deno.test(`the ${name} samples cover every message of that direction`, () => {
    assert.deepEqual([...new Set(samples.map((m) => m.type))].sort(), [...receives].sort());
  });

  Deno.test(`control messages from ${name} round-trip through a frame`, () => {
    for (const message of samples) {
      assert.deepEqual(overTheWire(sender, receiver, message), message);
    }
  });

  Deno.test(`the ${name} decoder refuses every other message`, () => {
    for (const [other, { code }] of Object.entries(pinned)) {
      if (receives.includes(other)) continue;
      assertInvalid(receiver, { code, body: {} }, /is not expected here/);
    }
    assertInvalid(receiver, { code: 0x0fff, body: {} }, /0xfff is not expected here/);
  });
}

Deno.test("a message decoded by the wrong direction's codec is a ProtocolError", () => {
  const welcome = managerDaemonCodec.encode(managerToDaemonMessages[3]!);
  assertInvalid(agentCodec as AnyCodec, welcome, /0x201 is not expected here/);
  const arrive = daemonCodec.encode(daemonMessages[1]!);
  assertInvalid(managerAgentCodec as AnyCodec, arrive, /0x101 is not expected here/);
  assertInvalid(daemonCodec as AnyCodec, arrive, /0x101 is not expected here/);
  const agentArrive = agentCodec.encode(agentMessages[1]!);
  assertInvalid(managerDaemonCodec as AnyCodec, agentArrive, /0x301 is not expected here/);
});

Deno.test("decode() names the missing field", () => {
  assertInvalid(
    managerDaemonCodec as AnyCodec,
    { code: 0x0102, body: { id: 1 } },
    /lookup\.name must be a string/,
  );
  assertInvalid(
    daemonCodec as AnyCodec,
    { code: 0x0002, body: {} },
    /ack\.id must be an integer from 1 to 4294967295/,
  );
});

Deno.test("decode() names a field of the wrong type", () => {
  assertInvalid(
    managerDaemonCodec as AnyCodec,
    { code: 0x0102, body: { id: "1", name: "web" } },
    /lookup\.id must be an integer/,
  );
  assertInvalid(
    daemonCodec as AnyCodec,
    { code: 0x0201, body: { id: 1, sessionId: "s", leaseMs: 1, resumed: "no", intercepts: [] } },
    /welcome\.resumed must be a boolean/,
  );
  assertInvalid(
    managerAgentCodec as AnyCodec,
    { code: 0x0301, body: { ...agentMessages[1]!, env: { HOME: 1 } } },
    /agentArrive\.env\.HOME must be a string/,
  );
});

Deno.test("decode() names a field with a value outside its enum", () => {
  const lookupResult = { id: 1, kind: "cname", addresses: [], ports: [], ttl: 1 };
  assertInvalid(
    daemonCodec as AnyCodec,
    { code: 0x0202, body: lookupResult },
    /lookupResult\.kind must be one of "service", "headless", "pod", "none"/,
  );
  const filter = { on: "cookie", match: "exact", value: "x" };
  assertInvalid(
    managerDaemonCodec as AnyCodec,
    {
      code: 0x0103,
      body: { id: 1, spec: { name: "a", namespace: "b", workload: "c", filters: [filter] } },
    },
    /createIntercept\.spec\.filters\[0\]\.on must be one of "header", "path"/,
  );
});

Deno.test("decode() names an overlong string", () => {
  assertInvalid(
    managerDaemonCodec as AnyCodec,
    { code: 0x0102, body: { id: 1, name: "a".repeat(254) } },
    /lookup\.name is longer than 253 characters/,
  );
});

Deno.test("decode() refuses a body that is not an object", () => {
  for (const body of [null, [], "x", 1, true]) {
    assertInvalid(daemonCodec as AnyCodec, { code: 0x0002, body }, /ack must be an object/);
  }
});

Deno.test("decode() refuses null for an optional field", () => {
  assertInvalid(
    managerDaemonCodec as AnyCodec,
    { code: 0x0101, body: { id: 1, user: "a", host: "b", namespaces: [], resume: null } },
    /arrive\.resume must be a string/,
  );
});

Deno.test("decode() accepts unknown extra fields", () => {
  const decoded = daemonCodec.decode({ code: 0x0002, body: { id: 5, since: "v2", x: [1] } });
  assert.equal(decoded.type, "ack");
  assert.ok(decoded.type === "ack");
  assert.equal(decoded.id, 5);
});

Deno.test("decode() keeps the message name when the body has a field named type", () => {
  const decoded = daemonCodec.decode({ code: 0x0002, body: { id: 5, type: "welcome" } });
  assert.equal(decoded.type, "ack");
});

Deno.test("encode() leaves the message name out of the body", () => {
  assert.deepEqual(daemonCodec.encode({ type: "lookup", id: 3, name: "web" }), {
    code: 0x0102,
    body: { id: 3, name: "web" },
  });
});

Deno.test("encode() refuses a body the peer would reject, as the sender's own error", () => {
  assert.throws(
    () => daemonCodec.encode({ type: "lookup", id: 1, name: "x".repeat(300) }),
    (error: unknown) =>
      error instanceof TpxError && !(error instanceof ProtocolError) &&
      error.code === "invalid_message" && /lookup\.name/.test(error.message),
  );
});

Deno.test("removeIntercept without restore keeps its protocol 1 body", () => {
  // An older manager ignores the optional field; the body without it is byte for byte the old one.
  assert.deepEqual(daemonCodec.encode({ type: "removeIntercept", id: 6, name: "web" }), {
    code: 0x0104,
    body: { id: 6, name: "web" },
  });
  const decoded = managerDaemonCodec.decode({ code: 0x0104, body: { id: 6, name: "web" } });
  assert.ok(decoded.type === "removeIntercept");
  assert.equal(decoded.restore, undefined);
});

Deno.test("decode() names a restore field of the wrong type", () => {
  assertInvalid(
    managerDaemonCodec as AnyCodec,
    { code: 0x0104, body: { id: 1, name: "web", restore: "yes" } },
    /removeIntercept\.restore must be a boolean/,
  );
  assertInvalid(
    daemonCodec as AnyCodec,
    { code: 0x0205, body: { id: 1, restored: [{ kind: "Pod", namespace: "a", workload: "b" }] } },
    /restoreResult\.restored\[0\]\.kind must be one of/,
  );
});
