/**
 * The traffic-agents connected to the manager. The replicas of one workload are all its
 * agents, keyed by `namespace/workload`.
 *
 * @module
 */
import type { Clock } from "../../../tunnel/clock.ts";
import type { Logger } from "../../../tunnel/log.ts";
import type { ControlMessage } from "../../../tunnel/protocol/mod.ts";
import { randomId } from "./_time.ts";
import type { WorkloadRef } from "./events.ts";

/** What an agent says when it arrives: the `agentArrive` message without its request id. */
export type AgentArrival = Omit<ControlMessage<"agentArrive">, "type" | "id">;

/** A port an agent fronts. */
export type AgentPort = AgentArrival["ports"][number];

/** The kinds of workload an agent can be injected into. */
export type WorkloadKind = AgentArrival["workloadKind"];

/** An agent as the state holds it. */
export interface AgentInfo extends AgentArrival {
  readonly id: string;
  /** When it arrived, as a clock reading. */
  readonly arrivedAt: number;
}

/**
 * The key of a workload in maps.
 *
 * @param ref the workload
 * @returns `namespace/workload`
 */
export function workloadKey(ref: WorkloadRef): string {
  return `${ref.namespace}/${ref.workload}`;
}

/** The agents of the manager, by id and by workload. */
export class Agents {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #byId = new Map<string, AgentInfo>();
  readonly #byWorkload = new Map<string, Set<string>>();
  /** The last kind seen per workload, kept after its agents leave, for messages. */
  readonly #kinds = new Map<string, WorkloadKind>();

  constructor(clock: Clock, logger: Logger) {
    this.#clock = clock;
    this.#logger = logger;
  }

  /** How many agents there are. */
  get size(): number {
    return this.#byId.size;
  }

  /**
   * Adds an agent.
   *
   * @param arrival what the agent said
   * @returns the agent with its new id
   */
  arrive(arrival: AgentArrival): AgentInfo {
    const agent: AgentInfo = {
      ...structuredClone(arrival),
      id: randomId(),
      arrivedAt: this.#clock.now(),
    };
    const key = workloadKey(agent);
    this.#byId.set(agent.id, agent);
    this.#byWorkload.set(key, (this.#byWorkload.get(key) ?? new Set()).add(agent.id));
    this.#kinds.set(key, agent.workloadKind);
    this.#logger.info("agent arrived", { agentId: agent.id, workload: key, pod: agent.pod });
    return agent;
  }

  /**
   * Removes an agent whose tunnel dropped.
   *
   * @param id the agent
   * @returns the agent, or undefined if it was not known
   */
  depart(id: string): AgentInfo | undefined {
    const agent = this.#byId.get(id);
    if (!agent) return undefined;
    const key = workloadKey(agent);
    this.#byId.delete(id);
    const ids = this.#byWorkload.get(key);
    ids?.delete(id);
    if (ids?.size === 0) this.#byWorkload.delete(key);
    this.#logger.info("agent departed", { agentId: id, workload: key, pod: agent.pod });
    return agent;
  }

  /**
   * Forgets the agents of a workload whose agent was taken out: their pods are being replaced,
   * so they must not serve a new intercept while they wind down. Their tunnels' later departs
   * find nothing.
   *
   * @param ref the workload
   * @returns the agents forgotten
   */
  forgetWorkload(ref: WorkloadRef): AgentInfo[] {
    const agents = this.ofWorkload(ref);
    for (const agent of agents) this.#byId.delete(agent.id);
    this.#byWorkload.delete(workloadKey(ref));
    if (agents.length > 0) {
      this.#logger.info("agents of a restored workload forgotten", {
        workload: workloadKey(ref),
        agentIds: agents.map((a) => a.id),
      });
    }
    return agents;
  }

  /** The agent `id`, if it is connected. */
  get(id: string): AgentInfo | undefined {
    return this.#byId.get(id);
  }

  /** The connected agents of a workload, oldest first. */
  ofWorkload(ref: WorkloadRef): AgentInfo[] {
    const ids = this.#byWorkload.get(workloadKey(ref)) ?? [];
    return [...ids].map((id) => this.#byId.get(id)).filter((a) => a !== undefined);
  }

  /** The kind of a workload, if an agent of it was ever seen. */
  kindOf(ref: WorkloadRef): WorkloadKind | undefined {
    return this.#kinds.get(workloadKey(ref));
  }

  /** Every agent, oldest first. */
  list(): AgentInfo[] {
    return [...this.#byId.values()];
  }

  /** Forgets every agent. */
  clear(): void {
    this.#byId.clear();
    this.#byWorkload.clear();
  }
}

/**
 * The distinct ports of some agents (the replicas of a workload usually front the same ones).
 *
 * @param agents the agents
 * @returns their ports, each once, in order of appearance
 */
export function portsOf(agents: readonly AgentInfo[]): AgentPort[] {
  const seen = new Map<string, AgentPort>();
  for (const port of agents.flatMap((a) => a.ports)) {
    seen.set(`${port.name ?? ""}|${port.appPort}|${port.agentPort}|${port.protocol}`, port);
  }
  return [...seen.values()];
}
