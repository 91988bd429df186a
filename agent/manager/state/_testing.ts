/**
 * Fixtures for the state's tests: a state on a fake clock that records its events.
 *
 * @module
 */
import { FakeClock } from "../../../tunnel/clock.ts";
import { MemoryLogger } from "../../../tunnel/log.ts";
import type { InterceptFilter, InterceptSpec } from "../../../tunnel/protocol/mod.ts";
import type { AgentArrival, AgentPort } from "./agents.ts";
import type { ManagerEvent } from "./events.ts";
import { ManagerState, type ManagerStateOptions } from "./manager_state.ts";
import type { SessionArrival } from "./sessions.ts";

/** 2026-03-01T12:00:00.000Z, the wall time at which fixtures start. */
export const EPOCH = Date.UTC(2026, 2, 1, 12);

/** A state under test, with its clock, log and events. */
export interface Fixture extends Disposable {
  state: ManagerState;
  clock: FakeClock;
  logger: MemoryLogger;
  events: ManagerEvent[];
}

/** A state on a fake clock; disposing closes it. */
export function fixture(options: Partial<ManagerStateOptions> = {}): Fixture {
  const clock = new FakeClock();
  const logger = new MemoryLogger();
  const state = new ManagerState({ clock, logger, epochMs: EPOCH, ...options });
  const events: ManagerEvent[] = [];
  state.on((event) => events.push(event));
  return { state, clock, logger, events, [Symbol.dispose]: () => state.close() };
}

/** A daemon's arrival. */
export function daemon(user = "ann", host = "laptop", more: Partial<SessionArrival> = {}) {
  return { user, host, version: "0.1.0", namespaces: ["shop"], ...more };
}

/** An intercept spec: global on deployment "web" in "shop" unless overridden. */
export function spec(more: Partial<InterceptSpec> = {}): InterceptSpec {
  return { name: "web", namespace: "shop", workload: "web", filters: [], ...more };
}

/** A header filter. */
export function header(name: string, value: string, match: "exact" | "regex" = "exact") {
  return { on: "header", name, match, value } satisfies InterceptFilter;
}

/** A port fronted by an agent. */
export function port(appPort: number, name?: string, agentPort = appPort + 1000): AgentPort {
  return name === undefined
    ? { appPort, agentPort, protocol: "TCP" }
    : { name, appPort, agentPort, protocol: "TCP" };
}

/** An agent's arrival: a pod of deployment "web" in "shop" with port "http" unless overridden. */
export function agent(more: Partial<AgentArrival> = {}): AgentArrival {
  return {
    namespace: "shop",
    workload: "web",
    workloadKind: "Deployment",
    pod: "web-7d9f-abcde",
    podIp: "10.1.0.7",
    container: "web",
    ports: [port(8080, "http")],
    env: { SECRET: "s3cret" },
    mounts: [],
    ...more,
  };
}

/** The events of one type. */
export function eventsOf<T extends ManagerEvent["type"]>(
  events: readonly ManagerEvent[],
  type: T,
): Extract<ManagerEvent, { type: T }>[] {
  return events.filter((e): e is Extract<ManagerEvent, { type: T }> => e.type === type);
}
