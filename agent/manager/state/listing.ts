/**
 * The JSON-able snapshot of the manager's state that the admin API serves, and the counts
 * that metrics report.
 *
 * @module
 */
import type { InterceptInfo } from "../../../tunnel/protocol/mod.ts";
import type { AgentInfo, AgentPort, WorkloadKind } from "./agents.ts";
import type { InterceptState } from "./intercept_record.ts";
import type { SessionInfo } from "./sessions.ts";

/** A session in the listing. */
export interface SessionListing {
  id: string;
  user: string;
  host: string;
  version: string;
  namespaces: string[];
  attached: boolean;
  /** ISO 8601. */
  leaseExpiresAt: string;
}

/** An agent in the listing; its environment is left out, as it may hold secrets. */
export interface AgentListing {
  id: string;
  namespace: string;
  workload: string;
  workloadKind: WorkloadKind;
  pod: string;
  podIp: string;
  container: string;
  ports: AgentPort[];
  /** ISO 8601. */
  arrivedAt: string;
  /** While its workload has no intercepts: when it will be reported idle, ISO 8601. */
  dormantUntil?: string;
}

/** Everything the manager holds. */
export interface ManagerListing {
  sessions: SessionListing[];
  agents: AgentListing[];
  intercepts: InterceptInfo[];
}

/** The sizes of the state, for gauges. */
export interface StateCounts {
  sessions: number;
  agents: number;
  intercepts: Record<InterceptState, number>;
}

/**
 * A session as listed.
 *
 * @param session the session
 * @param wall maps clock readings to epoch milliseconds
 * @returns its listing
 */
export function sessionListing(
  session: SessionInfo,
  wall: (reading: number) => number,
): SessionListing {
  return {
    id: session.id,
    user: session.user,
    host: session.host,
    version: session.version,
    namespaces: [...session.namespaces],
    attached: session.attached,
    leaseExpiresAt: iso(wall(session.leaseExpiresAt)),
  };
}

/**
 * An agent as listed.
 *
 * @param agent the agent
 * @param dormantUntil when its workload's dormant period ends, as a clock reading, if one runs
 * @param wall maps clock readings to epoch milliseconds
 * @returns its listing
 */
export function agentListing(
  agent: AgentInfo,
  dormantUntil: number | undefined,
  wall: (reading: number) => number,
): AgentListing {
  const listing: AgentListing = {
    id: agent.id,
    namespace: agent.namespace,
    workload: agent.workload,
    workloadKind: agent.workloadKind,
    pod: agent.pod,
    podIp: agent.podIp,
    container: agent.container,
    ports: agent.ports.map((p) => ({ ...p })),
    arrivedAt: iso(wall(agent.arrivedAt)),
  };
  if (dormantUntil !== undefined) listing.dormantUntil = iso(wall(dormantUntil));
  return listing;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
