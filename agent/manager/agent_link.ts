/**
 * One traffic-agent's tunnel, on the manager's side: registration, the intercepts pushed to
 * it, and the intercepted connections it hands over.
 *
 * @module
 */
import type { Logger } from "../../tunnel/log.ts";
import {
  type AgentToManager,
  managerAgentCodec,
  type ManagerToAgent,
  Role,
  toWireError,
} from "../../tunnel/protocol/mod.ts";
import { type IncomingStream, Session } from "../../tunnel/session.ts";
import { managerHello } from "./hello.ts";
import type { AgentInfo, ManagerState } from "./state/mod.ts";

/** An agent's tunnel. */
export type AgentSession = Session<ManagerToAgent, AgentToManager>;

/** What an agent link needs. */
export interface AgentLinkDeps {
  state: ManagerState;
  logger: Logger;
  /** The agent registered on this tunnel. */
  attached(agent: AgentInfo, tunnel: AgentSession): void;
  /** The agent's tunnel is gone. */
  detached(agent: AgentInfo): void;
  /** An intercepted connection the agent hands over. */
  route(incoming: IncomingStream): void;
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
}

/**
 * Serves one agent's connection until it ends.
 *
 * @param conn the accepted connection
 * @param deps state and callbacks
 */
export async function serveAgent(conn: Deno.TcpConn, deps: AgentLinkDeps): Promise<void> {
  const { state, logger } = deps;
  let agent: AgentInfo | undefined;
  let tunnel: AgentSession;
  const handle = async (message: AgentToManager): Promise<void> => {
    if (message.type !== "agentArrive") return;
    try {
      const { type: _type, id, ...arrival } = message;
      agent = state.agentArrive(arrival);
      deps.attached(agent, tunnel);
      logger.info("agent arrived", {
        agent: agent.id,
        workload: `${agent.namespace}/${agent.workload}`,
        pod: agent.pod,
      });
      await tunnel.send({ type: "agentWelcome", id, agentId: agent.id });
      await tunnel.send({
        type: "agentIntercepts",
        intercepts: state.interceptsOfWorkload(agent.namespace, agent.workload),
      });
    } catch (error) {
      await tunnel.send({ type: "failure", id: message.id, error: toWireError(error) })
        .catch(() => {});
    }
  };
  try {
    tunnel = await Session.connect(conn, {
      side: "acceptor",
      hello: managerHello(),
      codec: managerAgentCodec,
      logger,
      vetPeer: (peer) =>
        peer.role === Role.Agent
          ? undefined
          : "this port serves agents; daemons use the daemon port",
      onMessage: (message) => {
        handle(message).catch((error) => logger.error("agent message failed", { error }));
      },
      onStream: (incoming) => deps.route(incoming),
      ...(deps.keepaliveIntervalMs !== undefined
        ? { keepaliveIntervalMs: deps.keepaliveIntervalMs }
        : {}),
      ...(deps.keepaliveTimeoutMs !== undefined
        ? { keepaliveTimeoutMs: deps.keepaliveTimeoutMs }
        : {}),
    });
  } catch (error) {
    logger.info("agent handshake failed", { error });
    return;
  }
  const end = await tunnel.closed;
  if (agent) {
    state.agentDepart(agent.id);
    deps.detached(agent);
    logger.info("agent tunnel closed", { agent: agent.id, reason: end.reason });
  }
}
