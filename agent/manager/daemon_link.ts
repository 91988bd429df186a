/**
 * One daemon's tunnel, on the manager's side: its control messages drive the state, and the
 * streams it opens are dialed inside the cluster.
 *
 * @module
 */
import { TpxError } from "../../tunnel/protocol/mod.ts";
import type { Logger } from "../../tunnel/log.ts";
import type { Outbound } from "../../tunnel/outbound.ts";
import {
  type DaemonToManager,
  managerDaemonCodec,
  type ManagerToDaemon,
  Role,
  toWireError,
} from "../../tunnel/protocol/mod.ts";
import { Session } from "../../tunnel/session.ts";
import type { Restorer } from "./kube/restorer.ts";
import type { NameLookup } from "./lookup.ts";
import type { ManagerState } from "./state/mod.ts";
import { managerHello } from "./hello.ts";

/** A daemon's tunnel, once it arrived. */
export type DaemonSession = Session<ManagerToDaemon, DaemonToManager>;

/** What a daemon link needs. */
export interface DaemonLinkDeps {
  state: ManagerState;
  outbound: Outbound;
  lookup: NameLookup;
  /** Restores workloads on request (`removeIntercept` with `restore`, `restoreWorkloads`). */
  restorer: Restorer;
  /** The namespaces this manager may change; absent: every one. */
  managedNamespaces?: readonly string[];
  /** The manager's own namespace, for the hint that adds a namespace. */
  managerNamespace?: string;
  logger: Logger;
  /** The session arrived (or resumed) on this tunnel. */
  attached(sessionId: string, tunnel: DaemonSession): void;
  /** This tunnel, which carried `sessionId`, is gone. */
  detached(sessionId: string, tunnel: DaemonSession): void;
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
}

/**
 * Serves one daemon's connection until it ends.
 *
 * @param conn the accepted connection
 * @param deps state, dialer and callbacks
 */
export async function serveDaemon(conn: Deno.TcpConn, deps: DaemonLinkDeps): Promise<void> {
  const { state, logger } = deps;
  let sessionId: string | undefined;
  let attachment: number | undefined;
  let tunnel: DaemonSession;
  const reply = (message: ManagerToDaemon) => tunnel.send(message).catch(() => {});
  const fail = (id: number, error: unknown) =>
    reply({ type: "failure", id, error: toWireError(error) });

  const handle = async (message: DaemonToManager): Promise<void> => {
    if (message.type === "arrive") {
      try {
        const welcome = state.arrive({
          user: message.user,
          host: message.host,
          version: tunnel.peer.software,
          namespaces: message.namespaces,
          ...(message.resume ? { resume: message.resume } : {}),
        });
        sessionId = welcome.session.id;
        attachment = welcome.attachment;
        deps.attached(sessionId, tunnel);
        logger.info("daemon arrived", {
          session: sessionId,
          who: `${message.user}@${message.host}`,
          resumed: welcome.resumed,
        });
        await reply({
          type: "welcome",
          id: message.id,
          sessionId,
          leaseMs: welcome.leaseMs,
          resumed: welcome.resumed,
          intercepts: welcome.intercepts,
        });
      } catch (error) {
        await fail(message.id, error);
      }
      return;
    }
    if (sessionId === undefined) {
      if ("id" in message) await fail(message.id, new Error("arrive first"));
      return;
    }
    switch (message.type) {
      case "heartbeat":
        try {
          state.heartbeat(sessionId);
        } catch (error) {
          // The lease ran out while the tunnel was up (a long stall): the daemon must arrive anew.
          logger.warn("heartbeat for an ended session; closing its tunnel", { error });
          await tunnel.close();
        }
        return;
      case "lookup":
        try {
          await reply({ type: "lookupResult", id: message.id, ...await deps.lookup(message.name) });
        } catch (error) {
          await fail(message.id, error);
        }
        return;
      case "createIntercept":
        try {
          refuseUnmanaged(message.spec.namespace, deps.managedNamespaces, deps.managerNamespace);
          const intercept = state.createIntercept(sessionId, message.spec);
          await reply({ type: "interceptResult", id: message.id, intercept });
        } catch (error) {
          await fail(message.id, error);
        }
        return;
      case "listAgents":
        try {
          const agents = state.listing().agents.map((a) => ({
            namespace: a.namespace,
            workload: a.workload,
            workloadKind: a.workloadKind,
            pod: a.pod,
            ...(a.dormantUntil === undefined ? {} : { dormantUntil: a.dormantUntil }),
          }));
          await reply({ type: "agents", id: message.id, agents });
        } catch (error) {
          await fail(message.id, error);
        }
        return;
      case "interceptEnvironment":
        try {
          const agent = agentOf(state, sessionId, message.name);
          await reply({
            type: "environment",
            id: message.id,
            env: agent.env,
            mounts: agent.mounts,
            pod: agent.pod,
          });
        } catch (error) {
          await fail(message.id, error);
        }
        return;
      case "removeIntercept":
        try {
          const left = state.removeIntercept(sessionId, message.name);
          if (!message.restore) {
            await reply({ type: "ack", id: message.id });
            return;
          }
          // Answered only once the workload is restored (or refused), never before.
          const outcome = await deps.restorer.afterLeave(left);
          await reply({ type: "restoreResult", id: message.id, ...outcome });
        } catch (error) {
          await fail(message.id, error);
        }
        return;
      case "restoreWorkloads":
        try {
          const { type: _type, id, ...target } = message;
          const outcome = await deps.restorer.restore(sessionId, target);
          await reply({ type: "restoreResult", id, ...outcome });
        } catch (error) {
          await fail(message.id, error);
        }
        return;
      case "depart":
        state.depart(sessionId);
        return;
    }
  };

  try {
    tunnel = await Session.connect(conn, {
      side: "acceptor",
      hello: managerHello(),
      codec: managerDaemonCodec,
      logger,
      vetPeer: (peer) =>
        peer.role === Role.Daemon
          ? undefined
          : "this port serves daemons; agents use the agent port",
      onMessage: (message) => {
        handle(message).catch((error) => logger.error("daemon message failed", { error }));
      },
      onStream: (incoming) => deps.outbound.handle(incoming),
      ...(deps.keepaliveIntervalMs !== undefined
        ? { keepaliveIntervalMs: deps.keepaliveIntervalMs }
        : {}),
      ...(deps.keepaliveTimeoutMs !== undefined
        ? { keepaliveTimeoutMs: deps.keepaliveTimeoutMs }
        : {}),
    });
  } catch (error) {
    logger.info("daemon handshake failed", { error });
    return;
  }
  const end = await tunnel.closed;
  if (sessionId !== undefined) {
    state.detach(sessionId, attachment);
    deps.detached(sessionId, tunnel);
    logger.info("daemon tunnel closed", { session: sessionId, reason: end.reason });
  }
}

/**
 * An intercept outside the manager's namespaces would only fail later, at the API server,
 * with an RBAC message about the manager's service account; say what it is instead.
 */
function refuseUnmanaged(
  namespace: string,
  managed: readonly string[] | undefined,
  managerNamespace = "MANAGER_NAMESPACE",
): void {
  if (managed === undefined || managed.includes(namespace)) return;
  const all = [...managed, namespace].join(",");
  throw new TpxError(
    "user",
    `Cannot intercept in namespace "${namespace}": this manager manages only ` +
      managed.map((n) => `"${n}"`).join(", "),
    {
      code: "namespace_not_managed",
      hint: `"tpx manager upgrade -n ${managerNamespace} --namespaces ${all}" adds it`,
    },
  );
}

/** An agent behind the session's intercept `name`, whose container environment it read. */
function agentOf(state: ManagerState, sessionId: string, name: string) {
  const intercept = state.interceptsOfSession(sessionId).find((i) => i.spec.name === name);
  if (intercept === undefined) {
    throw new TpxError("user", `There is no intercept "${name}" in this session`, {
      code: "no_such_intercept",
    });
  }
  const { namespace, workload } = intercept.spec;
  const [agent] = state.agentsOfWorkload(namespace, workload);
  if (agent === undefined) {
    throw new TpxError("cluster", `No agent of "${workload}" in "${namespace}" has arrived yet`, {
      code: "agent_not_arrived",
      retryable: true,
      hint: "wait until the intercept is active",
    });
  }
  return agent;
}
