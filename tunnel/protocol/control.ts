/**
 * Control messages: what travels in Control frames, with an explicit wire code each and the
 * directions in which it may be sent. A peer decodes only the messages of the direction it
 * receives, so a side cannot send, or be sent, the wrong kind.
 *
 * @module
 */
import { MAX_ERROR_CODE_LENGTH, MAX_ERROR_TEXT_LENGTH, ProtocolError, TpxError } from "./errors.ts";
import type { RawControl } from "./frame.ts";
import { arr, bool, type Infer, int, obj, oneOf, opt, record, type Schema, str } from "./schema.ts";

const requestId = int(1, 2 ** 32 - 1);

/** An error as it crosses the wire (see errors.ts). */
export const wireErrorSchema = obj({
  code: str(MAX_ERROR_CODE_LENGTH),
  category: oneOf("user", "config", "cluster", "internal"),
  message: str(MAX_ERROR_TEXT_LENGTH),
  retryable: bool(),
  hint: opt(str(MAX_ERROR_TEXT_LENGTH)),
});

/** One HTTP condition of a personal intercept. */
export const filterSchema = obj({
  on: oneOf("header", "path"),
  /** Header name; absent for path filters. */
  name: opt(str(256)),
  match: oneOf("exact", "prefix", "regex"),
  value: str(4096),
});
export type InterceptFilter = Infer<typeof filterSchema>;

/** What a daemon asks to intercept. */
export const interceptSpecSchema = obj({
  name: str(253),
  namespace: str(63),
  workload: str(253),
  /** The service port (number or name) whose traffic is taken; absent: the only one. */
  servicePort: opt(str(63)),
  service: opt(str(63)),
  /** Empty: a global intercept. Otherwise a personal one: every filter must match. */
  filters: arr(filterSchema, 32),
});
export type InterceptSpec = Infer<typeof interceptSpecSchema>;

/** An intercept as the manager holds it. */
export const interceptInfoSchema = obj({
  id: str(64),
  spec: interceptSpecSchema,
  owner: obj({ sessionId: str(64), user: str(256), host: str(256) }),
  /** When it was created, ISO 8601. */
  since: str(64),
  state: oneOf("waiting", "active", "failed"),
  /** Why it is waiting or failed. */
  detail: opt(str(4096)),
  /** The agent port that carries it, once known. */
  agentPort: opt(int(1, 65535)),
});
export type InterceptInfo = Infer<typeof interceptInfoSchema>;

/** A port an agent fronts. */
export const agentPortSchema = obj({
  name: opt(str(63)),
  appPort: int(1, 65535),
  agentPort: int(1, 65535),
  protocol: oneOf("TCP", "UDP"),
});

/** A port of a cluster service, as a lookup returns it. */
export const servicePortSchema = obj({
  name: opt(str(63)),
  port: int(1, 65535),
  protocol: oneOf("TCP", "UDP"),
});

/** The kinds of workload tpx injects an agent into. */
export const workloadKindSchema = oneOf("Deployment", "StatefulSet", "ReplicaSet");

/** A workload the manager restored (took its agent out of, with its Services). */
export const restoredWorkloadSchema = obj({
  kind: workloadKindSchema,
  namespace: str(63),
  workload: str(253),
});
export type RestoredWorkload = Infer<typeof restoredWorkloadSchema>;

/** A workload the manager did not restore, and why. */
export const refusedWorkloadSchema = obj({
  /** Absent when the workload could not be read. */
  kind: opt(workloadKindSchema),
  namespace: str(63),
  workload: str(253),
  error: wireErrorSchema,
});
export type RefusedWorkload = Infer<typeof refusedWorkloadSchema>;

/**
 * Every control message: its code, its body and who may send it. Codes are explicit and never
 * reused; `control_test.ts` pins them.
 */
export const ControlMessages = {
  heartbeat: { code: 0x0001, from: ["daemon", "agent"], body: obj({}) },
  ack: { code: 0x0002, from: ["manager"], body: obj({ id: requestId }) },
  failure: {
    code: 0x0003,
    from: ["manager"],
    body: obj({ id: requestId, error: wireErrorSchema }),
  },
  arrive: {
    code: 0x0101,
    from: ["daemon"],
    body: obj({
      id: requestId,
      user: str(256),
      host: str(256),
      namespaces: arr(str(63), 1024),
      /** A session to resume after a reconnect. */
      resume: opt(str(64)),
    }),
  },
  lookup: { code: 0x0102, from: ["daemon"], body: obj({ id: requestId, name: str(253) }) },
  createIntercept: {
    code: 0x0103,
    from: ["daemon"],
    body: obj({ id: requestId, spec: interceptSpecSchema }),
  },
  removeIntercept: {
    code: 0x0104,
    from: ["daemon"],
    body: obj({
      id: requestId,
      name: str(253),
      /**
       * Restore the workload at once when no other intercept uses its agent; the manager then
       * answers `restoreResult` once it is restored. Absent or false: `ack`.
       */
      restore: opt(bool()),
    }),
  },
  depart: { code: 0x0105, from: ["daemon"], body: obj({}) },
  restoreWorkloads: {
    code: 0x0106,
    from: ["daemon"],
    body: obj({
      id: requestId,
      /** With `workload`: its namespace. With `all`: only this namespace. */
      namespace: opt(str(63)),
      /** One workload to restore (requires `namespace`). */
      workload: opt(str(253)),
      /** Every injected workload of the manager's scope, found in the cluster. */
      all: opt(bool()),
    }),
  },
  interceptEnvironment: {
    code: 0x0107,
    from: ["daemon"],
    /** The environment of the container behind an intercept of this session. */
    body: obj({ id: requestId, name: str(253) }),
  },
  listAgents: {
    code: 0x0108,
    from: ["daemon"],
    /** The agents the manager knows, for `tpx status`. */
    body: obj({ id: requestId }),
  },
  welcome: {
    code: 0x0201,
    from: ["manager"],
    body: obj({
      id: requestId,
      sessionId: str(64),
      leaseMs: int(1),
      resumed: bool(),
      intercepts: arr(interceptInfoSchema),
    }),
  },
  lookupResult: {
    code: 0x0202,
    from: ["manager"],
    body: obj({
      id: requestId,
      /** The name as the cluster knows it, such as `web.shop.svc.cluster.local`. */
      canonical: opt(str(253)),
      kind: oneOf("service", "headless", "pod", "none"),
      addresses: arr(str(64), 256),
      ports: arr(servicePortSchema, 256),
      ttl: int(0, 86_400),
    }),
  },
  interceptResult: {
    code: 0x0203,
    from: ["manager"],
    body: obj({ id: requestId, intercept: interceptInfoSchema }),
  },
  interceptsChanged: {
    code: 0x0204,
    from: ["manager"],
    body: obj({ intercepts: arr(interceptInfoSchema) }),
  },
  restoreResult: {
    code: 0x0205,
    from: ["manager"],
    body: obj({
      id: requestId,
      restored: arr(restoredWorkloadSchema),
      refused: arr(refusedWorkloadSchema),
    }),
  },
  environment: {
    code: 0x0206,
    from: ["manager"],
    body: obj({
      id: requestId,
      /** The app container's variables, as its agent read them (values resolved). */
      env: record(str(65_536)),
      /** The app container's mount paths, which the agent has read-only. */
      mounts: arr(str(4096), 256),
      /** The pod the environment was read in. */
      pod: str(253),
    }),
  },
  agents: {
    code: 0x0207,
    from: ["manager"],
    body: obj({
      id: requestId,
      agents: arr(
        obj({
          namespace: str(63),
          workload: str(253),
          workloadKind: workloadKindSchema,
          pod: str(253),
          /** Set while its workload has no intercept: when it is removed, ISO 8601. */
          dormantUntil: opt(str(64)),
        }),
        4096,
      ),
    }),
  },
  agentArrive: {
    code: 0x0301,
    from: ["agent"],
    body: obj({
      id: requestId,
      namespace: str(63),
      workload: str(253),
      workloadKind: workloadKindSchema,
      pod: str(253),
      podIp: str(64),
      container: str(253),
      ports: arr(agentPortSchema, 64),
      env: record(str(65_536)),
      mounts: arr(str(4096), 256),
    }),
  },
  agentWelcome: {
    code: 0x0401,
    from: ["manager"],
    body: obj({ id: requestId, agentId: str(64) }),
  },
  agentIntercepts: {
    code: 0x0402,
    from: ["manager"],
    body: obj({ intercepts: arr(interceptInfoSchema) }),
  },
} as const satisfies Record<
  string,
  { code: number; from: readonly ("daemon" | "agent" | "manager")[]; body: Schema<unknown> }
>;

type Catalog = typeof ControlMessages;
type Name = keyof Catalog;
type Sender = Catalog[Name]["from"][number];

/** One control message: its name in `type` and its body's fields. */
export type ControlMessage<N extends Name = Name> = N extends Name
  ? { type: N } & Infer<Catalog[N]["body"]>
  : never;

/** Names of the messages `S` may send; the peer's receiving side is narrowed the same way. */
type SentBy<S extends Sender> = {
  [N in Name]: S extends Catalog[N]["from"][number] ? N : never;
}[Name];

/** Messages a daemon sends to the manager. */
export type DaemonToManager = ControlMessage<SentBy<"daemon">>;
/** Messages an agent sends to the manager. */
export type AgentToManager = ControlMessage<SentBy<"agent">>;
/** Messages the manager sends to a daemon. */
export type ManagerToDaemon = ControlMessage<
  | "ack"
  | "failure"
  | "welcome"
  | "lookupResult"
  | "interceptResult"
  | "interceptsChanged"
  | "restoreResult"
  | "environment"
  | "agents"
>;
/** Messages the manager sends to an agent. */
export type ManagerToAgent = ControlMessage<"ack" | "failure" | "agentWelcome" | "agentIntercepts">;

/** Encodes and decodes the control messages of one direction. */
export interface ControlCodec<Out, In> {
  encode(message: Out): RawControl;
  /** @throws {ProtocolError} for a code outside the direction or an invalid body */
  decode(raw: RawControl): In;
}

function codec<Out extends ControlMessage, In extends ControlMessage>(
  receives: readonly Name[],
): ControlCodec<Out, In> {
  const byCode = new Map<number, Name>(receives.map((n) => [ControlMessages[n].code, n]));
  return {
    encode(message) {
      const { type, ...body } = message;
      // Checked here too: a value the peer would reject must fail on this side, as an error
      // of the caller, not close the peer's whole connection as a protocol error.
      const problem = ControlMessages[type].body.check(body, type);
      if (problem) {
        throw new TpxError("internal", `Cannot send control message: ${problem}`, {
          code: "invalid_message",
        });
      }
      return { code: ControlMessages[type].code, body };
    },
    decode(raw) {
      const name = byCode.get(raw.code);
      if (name === undefined) {
        throw new ProtocolError(`control message 0x${raw.code.toString(16)} is not expected here`);
      }
      const problem = ControlMessages[name].body.check(raw.body, name);
      if (problem) throw new ProtocolError(`invalid control message: ${problem}`);
      // `type` last: a body field named "type" must not replace the checked message name.
      return { ...(raw.body as object), type: name } as In;
    },
  };
}

const fromManagerToDaemon = [
  "ack",
  "failure",
  "welcome",
  "lookupResult",
  "interceptResult",
  "interceptsChanged",
  "restoreResult",
  "environment",
  "agents",
] as const satisfies readonly ManagerToDaemon["type"][];
const fromManagerToAgent = [
  "ack",
  "failure",
  "agentWelcome",
  "agentIntercepts",
] as const satisfies readonly ManagerToAgent["type"][];

function sentBy(sender: Sender): Name[] {
  return (Object.keys(ControlMessages) as Name[]).filter((n) =>
    (ControlMessages[n].from as readonly string[]).includes(sender)
  );
}

/** The daemon's codec: sends {@link DaemonToManager}, receives {@link ManagerToDaemon}. */
export const daemonCodec: ControlCodec<DaemonToManager, ManagerToDaemon> = codec(
  fromManagerToDaemon,
);
/** The agent's codec: sends {@link AgentToManager}, receives {@link ManagerToAgent}. */
export const agentCodec: ControlCodec<AgentToManager, ManagerToAgent> = codec(fromManagerToAgent);
/** The manager's codec towards daemons. */
export const managerDaemonCodec: ControlCodec<ManagerToDaemon, DaemonToManager> = codec(
  sentBy("daemon"),
);
/** The manager's codec towards agents. */
export const managerAgentCodec: ControlCodec<ManagerToAgent, AgentToManager> = codec(
  sentBy("agent"),
);
