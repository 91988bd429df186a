/**
 * Fixtures shared by the protocol tests: one sample of every frame and control message, byte
 * helpers and a seeded random generator. Only `*_test.ts` files in this folder import it.
 *
 * @module
 */
import type {
  AgentToManager,
  DaemonToManager,
  InterceptInfo,
  ManagerToAgent,
  ManagerToDaemon,
} from "./control.ts";
import {
  type Frame,
  FrameType,
  GoAwayCode,
  type RawControl,
  ResetCode,
  Role,
  Transport,
} from "./frame.ts";

/**
 * Bytes from hex text; spaces and line breaks are ignored.
 *
 * @param text such as `"01 0b 0000"`
 * @returns the bytes
 */
export function bytes(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, "");
  if (digits.length % 2 !== 0 || /[^0-9a-f]/i.test(digits)) throw new Error(`bad hex ${text}`);
  return Uint8Array.from(digits.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/**
 * Concatenation of byte arrays.
 *
 * @param parts the arrays
 * @returns one array
 */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A decoded frame with its byte views copied, so it outlives the decoder's buffer.
 *
 * @param frame as `FrameDecoder.next()` returned it
 * @returns a frame that owns its bytes
 */
export function detach<C>(frame: Frame<C>): Frame<C> {
  switch (frame.type) {
    case FrameType.Data:
      return { ...frame, payload: frame.payload.slice() };
    case FrameType.Ping:
    case FrameType.Pong:
      return { ...frame, opaque: frame.opaque.slice() };
    default:
      return frame;
  }
}

/**
 * A small, seeded pseudo-random generator (mulberry32), so that a failing case can be replayed.
 *
 * @param seed any 32-bit integer
 * @returns a function giving floats in [0, 1)
 */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const intercept: InterceptInfo = {
  id: "icp-1",
  spec: {
    name: "web-alice",
    namespace: "shop",
    workload: "web",
    servicePort: "http",
    filters: [{ on: "header", name: "x-dev", match: "exact", value: "alice" }],
  },
  owner: { sessionId: "s-1", user: "alice", host: "laptop" },
  since: "2026-11-29T20:00:00.000Z",
  state: "active",
  agentPort: 9900,
};

/** One of every message a daemon sends. */
export const daemonMessages: readonly DaemonToManager[] = [
  { type: "heartbeat" },
  { type: "arrive", id: 1, user: "alice", host: "laptop", namespaces: ["shop", "default"] },
  { type: "arrive", id: 2, user: "alice", host: "laptop", namespaces: [], resume: "s-1" },
  { type: "lookup", id: 3, name: "web.shop" },
  { type: "createIntercept", id: 4, spec: intercept.spec },
  {
    type: "createIntercept",
    id: 5,
    spec: { name: "db", namespace: "shop", workload: "db", filters: [] },
  },
  { type: "removeIntercept", id: 6, name: "web-alice" },
  { type: "depart" },
];

/** One of every message the manager sends to a daemon. */
export const managerToDaemonMessages: readonly ManagerToDaemon[] = [
  { type: "ack", id: 6 },
  {
    type: "failure",
    id: 4,
    error: {
      code: "intercept_conflict",
      category: "user",
      message: 'Cannot intercept "web": bob holds it',
      retryable: false,
      hint: 'run "tpx list -n shop"',
    },
  },
  {
    type: "failure",
    id: 1,
    error: { code: "internal", category: "internal", message: "boom", retryable: true },
  },
  { type: "welcome", id: 1, sessionId: "s-1", leaseMs: 30_000, resumed: false, intercepts: [] },
  {
    type: "lookupResult",
    id: 3,
    canonical: "web.shop.svc.cluster.local",
    kind: "service",
    addresses: ["10.96.0.12"],
    ports: [{ name: "http", port: 80, protocol: "TCP" }, { port: 53, protocol: "UDP" }],
    ttl: 30,
  },
  { type: "lookupResult", id: 7, kind: "none", addresses: [], ports: [], ttl: 0 },
  { type: "interceptResult", id: 4, intercept },
  {
    type: "interceptsChanged",
    intercepts: [intercept, { ...intercept, id: "icp-2", state: "failed", detail: "no agent" }],
  },
];

/** One of every message an agent sends. */
export const agentMessages: readonly AgentToManager[] = [
  { type: "heartbeat" },
  {
    type: "agentArrive",
    id: 1,
    namespace: "shop",
    workload: "web",
    workloadKind: "Deployment",
    pod: "web-5d9c7-abcde",
    podIp: "10.244.0.7",
    container: "web",
    ports: [{ name: "http", appPort: 8080, agentPort: 9900, protocol: "TCP" }],
    env: { HOME: "/root", GREETING: "h\u00e9llo" },
    mounts: ["/var/run/secrets/kubernetes.io/serviceaccount"],
  },
];

/** One of every message the manager sends to an agent. */
export const managerToAgentMessages: readonly ManagerToAgent[] = [
  { type: "ack", id: 2 },
  {
    type: "failure",
    id: 1,
    error: { code: "no_workload", category: "cluster", message: "gone", retryable: true },
  },
  { type: "agentWelcome", id: 1, agentId: "a-1" },
  { type: "agentIntercepts", intercepts: [intercept] },
];

/** At least one frame of every type, with edge values (stream ids, empty and full fields). */
export function sampleFrames(): Frame<RawControl>[] {
  return [
    {
      type: FrameType.Hello,
      streamId: 0,
      hello: { role: Role.Daemon, minProtocol: 1, maxProtocol: 3, software: "0.1.0" },
    },
    {
      type: FrameType.Hello,
      streamId: 0,
      hello: { role: Role.Manager, minProtocol: 65535, maxProtocol: 65535, software: "" },
    },
    {
      type: FrameType.Open,
      streamId: 1,
      destination: { transport: Transport.Tcp, host: "web.shop", port: 80, tag: "" },
    },
    {
      type: FrameType.Open,
      streamId: 0xffff_fffe,
      destination: { transport: Transport.Udp, host: "h".repeat(255), port: 65535, tag: "icp-1" },
    },
    { type: FrameType.Accept, streamId: 1 },
    { type: FrameType.Data, streamId: 1, payload: new TextEncoder().encode("GET / HTTP/1.1\r\n") },
    { type: FrameType.Data, streamId: 3, payload: new Uint8Array(0) },
    { type: FrameType.Data, streamId: 5, payload: Uint8Array.from({ length: 3000 }, (_, i) => i) },
    { type: FrameType.WindowUpdate, streamId: 2, increment: 1 },
    { type: FrameType.WindowUpdate, streamId: 2, increment: 0xffff_ffff },
    { type: FrameType.Fin, streamId: 0xffff_ffff },
    { type: FrameType.Reset, streamId: 7, code: ResetCode.Refused, reason: "connection refused" },
    { type: FrameType.Reset, streamId: 9, code: ResetCode.Internal, reason: "" },
    { type: FrameType.Ping, streamId: 0, opaque: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
    { type: FrameType.Pong, streamId: 0, opaque: new Uint8Array(8) },
    { type: FrameType.GoAway, streamId: 0, code: GoAwayCode.Normal, reason: "" },
    { type: FrameType.GoAway, streamId: 0, code: GoAwayCode.ProtocolError, reason: "\u00e9 bad" },
    { type: FrameType.Control, streamId: 0, message: { code: 0x0002, body: { id: 7 } } },
    { type: FrameType.Control, streamId: 0, message: { code: 0x0001, body: {} } },
  ];
}
