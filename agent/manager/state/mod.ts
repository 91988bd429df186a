/**
 * The traffic-manager's state: daemon sessions with leases, traffic-agents with idle timers,
 * and intercepts with their conflict rules, behind {@link ManagerState}; plus the
 * {@link Metrics} registry that the manager's HTTP API renders.
 *
 * Pure logic on an injected clock: the wiring feeds it what arrives on tunnels and acts on its
 * events.
 *
 * @example
 * ```ts
 * import { ManagerState } from "./mod.ts";
 * import { systemClock } from "../../../tunnel/clock.ts";
 *
 * const state = new ManagerState({ clock: systemClock, logger });
 * state.on((event) => {
 *   if (event.type === "interceptsChanged") pushIntercepts(event.sessionIds, event.workloads);
 *   if (event.type === "agentIdle") removeAgent(event.namespace, event.workload);
 * });
 * const welcome = state.arrive({ user: "ann", host: "laptop", version, namespaces: ["shop"] });
 * ```
 *
 * @module
 */
export type { AgentArrival, AgentInfo, AgentPort, WorkloadKind } from "./agents.ts";
export { DEFAULT_AGENT_IDLE_MS } from "./dormancy.ts";
export type * from "./events.ts";
export type { InterceptState } from "./intercept_record.ts";
export type * from "./listing.ts";
export * from "./manager_state.ts";
export * from "./metrics.ts";
export * from "./ports.ts";
export {
  DEFAULT_LEASE_MS,
  type SessionArrival,
  type SessionArrived,
  type SessionInfo,
} from "./sessions.ts";
