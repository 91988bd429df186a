/**
 * The traffic-manager's state: sessions, agents and intercepts, with their timers, behind one
 * facade that the wiring drives and whose events it acts on.
 *
 * @module
 */
import type { Clock } from "../../../tunnel/clock.ts";
import type { Logger } from "../../../tunnel/log.ts";
import { type InterceptInfo, type InterceptSpec, TpxError } from "../../../tunnel/protocol/mod.ts";
import { wallTime } from "./_time.ts";
import { type AgentArrival, type AgentInfo, Agents, portsOf, type WorkloadKind } from "./agents.ts";
import { DEFAULT_AGENT_IDLE_MS, Dormancy } from "./dormancy.ts";
import { Emitter, type ManagerListener, type WorkloadRef } from "./events.ts";
import { interceptInfo, type InterceptRecord, workloadsOf } from "./intercept_record.ts";
import { Intercepts } from "./intercepts.ts";
import { agentListing, type ManagerListing, sessionListing, type StateCounts } from "./listing.ts";
import { type PortResolver, resolveAgentPort } from "./ports.ts";
import {
  DEFAULT_LEASE_MS,
  type SessionArrival,
  type SessionArrived,
  type SessionInfo,
  Sessions,
} from "./sessions.ts";

/** Options of {@link ManagerState}. */
export interface ManagerStateOptions {
  clock: Clock;
  logger: Logger;
  /** How long a session outlives its last heartbeat; default 15 s. */
  leaseMs?: number;
  /** How long agents stay dormant after their workload's last intercept; default 10 min. */
  agentIdleMs?: number;
  /** Picks the port an intercept takes; default {@link resolveAgentPort}. */
  resolvePort?: PortResolver;
  /** The wall time, in epoch ms, at the clock's current reading; default `Date.now()`. */
  epochMs?: number;
}

/** The outcome of {@link ManagerState.arrive}: what the `welcome` message needs. */
export interface Welcome extends SessionArrived {
  leaseMs: number;
  /** The intercepts the session holds (those it kept, when resumed). */
  intercepts: InterceptInfo[];
}

/**
 * The manager's state. Every change happens synchronously in one call; events follow it.
 *
 * @example
 * ```ts
 * const state = new ManagerState({ clock: new FakeClock(), logger: silentLogger });
 * state.on((event) => { if (event.type === "agentIdle") removeAgent(event) });
 * const { session } = state.arrive({ user: "ann", host: "lap", version: "0.1.0", namespaces: [] });
 * state.createIntercept(session.id, { name: "web", namespace: "shop", workload: "web", filters: [] });
 * state.close();
 * ```
 */
export class ManagerState {
  readonly #logger: Logger;
  readonly #wall: (reading: number) => number;
  readonly #emitter: Emitter;
  readonly #sessions: Sessions;
  readonly #agents: Agents;
  readonly #intercepts: Intercepts;
  readonly #dormancy: Dormancy;
  #closed = false;

  constructor(options: ManagerStateOptions) {
    const { clock, logger } = options;
    this.#logger = logger;
    this.#wall = wallTime(clock, options.epochMs ?? Date.now());
    this.#emitter = new Emitter(logger);
    this.#sessions = new Sessions({
      clock,
      logger,
      leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
      onEnded: (session, reason) => {
        this.#released(this.#intercepts.removeAllOf(session.id));
        this.#emitter.emit({ type: "sessionEnded", sessionId: session.id, reason });
      },
    });
    this.#agents = new Agents(clock, logger);
    this.#intercepts = new Intercepts({
      clock,
      logger,
      resolvePort: options.resolvePort ?? resolveAgentPort,
      wall: this.#wall,
    });
    this.#dormancy = new Dormancy({
      clock,
      idleMs: options.agentIdleMs ?? DEFAULT_AGENT_IDLE_MS,
      onIdle: (ref) => {
        this.#logger.info("agents idle", { workload: `${ref.namespace}/${ref.workload}` });
        this.#emitter.emit({ type: "agentIdle", ...ref });
      },
    });
  }

  /**
   * Listens to the state's events.
   *
   * @param listener called synchronously after each change
   * @returns a function that stops listening
   */
  on(listener: ManagerListener): () => void {
    return this.#emitter.on(listener);
  }

  /**
   * A daemon arrived: starts its session, or resumes the one it names.
   *
   * @param arrival what the daemon said
   * @returns what the `welcome` message carries, and the attachment for {@link detach}
   */
  arrive(arrival: SessionArrival): Welcome {
    this.#open();
    const arrived = this.#sessions.arrive(arrival);
    return {
      ...arrived,
      leaseMs: this.#sessions.leaseMs,
      intercepts: this.interceptsOfSession(arrived.session.id),
    };
  }

  /**
   * Renews a session's lease.
   *
   * @throws {TpxError} `session_unknown` when the session has ended
   */
  heartbeat(sessionId: string): SessionInfo {
    this.#open();
    return this.#sessions.heartbeat(sessionId);
  }

  /**
   * A session's tunnel dropped; the lease keeps running. Stale or unknown ids are ignored.
   *
   * @param sessionId the session
   * @param attachment the attachment {@link arrive} returned for this tunnel
   */
  detach(sessionId: string, attachment?: number): void {
    this.#sessions.detach(sessionId, attachment);
  }

  /**
   * Ends a session at once, releasing its intercepts.
   *
   * @returns whether there was such a session
   */
  depart(sessionId: string): boolean {
    return this.#sessions.depart(sessionId);
  }

  /** The session `id`, if alive. */
  session(id: string): SessionInfo | undefined {
    return this.#sessions.get(id);
  }

  /**
   * An agent arrived: the waiting intercepts of its workload become active (or failed). The
   * wiring answers `agentWelcome`, then sends it {@link interceptsOfWorkload}.
   *
   * @param arrival what the agent said
   * @returns the agent, with its id for `agentWelcome`
   */
  agentArrive(arrival: AgentArrival): AgentInfo {
    this.#open();
    const agent = this.#agents.arrive(arrival);
    const ports = portsOf(this.#agents.ofWorkload(agent));
    const changed = this.#intercepts.activate(agent, agent.workloadKind, ports);
    if (this.#intercepts.ofWorkload(agent).length === 0) this.#dormancy.start(agent);
    this.#changed(changed);
    return agent;
  }

  /**
   * An agent's tunnel dropped. Intercepts stay; the workload's next agent serves them.
   *
   * @returns the agent, if it was known
   */
  agentDepart(agentId: string): AgentInfo | undefined {
    const agent = this.#agents.depart(agentId);
    if (agent && this.#agents.ofWorkload(agent).length === 0) this.#dormancy.forgetReport(agent);
    return agent;
  }

  /**
   * The workload's agent was taken out of it (restored on request, or idle): its agents are
   * forgotten, since their pods are being replaced, and no idle timer runs for it any more.
   * An intercept created from now on waits for a new agent.
   *
   * @param ref the workload
   * @returns the agents forgotten
   */
  agentRemoved(ref: WorkloadRef): AgentInfo[] {
    this.#open();
    const forgotten = this.#agents.forgetWorkload(ref);
    // Its idle timer has nothing left to remove; new agents of it start a new one.
    this.#dormancy.cancel(ref);
    return forgotten;
  }

  /** The agent `id`, if connected. */
  agent(id: string): AgentInfo | undefined {
    return this.#agents.get(id);
  }

  /** The connected agents of a workload. */
  agentsOfWorkload(namespace: string, workload: string): AgentInfo[] {
    return this.#agents.ofWorkload({ namespace, workload });
  }

  /**
   * Creates an intercept for a session; idempotent for the same name and spec.
   *
   * @param sessionId the session that asks
   * @param spec what it asks for
   * @param kind the workload's kind, if the caller knows it (for the waiting message)
   * @returns the intercept: active, or waiting for the workload's agent
   * @throws {TpxError} `session_unknown`, `invalid_intercept`, `intercept_exists`,
   *   `intercept_conflict`, `port_not_found`, `port_ambiguous`
   */
  createIntercept(sessionId: string, spec: InterceptSpec, kind?: WorkloadKind): InterceptInfo {
    this.#open();
    const session = this.#sessions.require(sessionId);
    const agents = this.#agents.ofWorkload(spec);
    const { record, created } = this.#intercepts.create(
      { sessionId, user: session.user, host: session.host },
      spec,
      {
        kind: agents[0]?.workloadKind ?? kind ?? this.#agents.kindOf(spec),
        ports: agents.length > 0 ? portsOf(agents) : undefined,
      },
    );
    if (created) {
      this.#dormancy.cancel(spec);
      this.#changed([record]);
    }
    return this.#info(record);
  }

  /**
   * Fails the intercepts waiting for a workload's agent, when the agent cannot come (its
   * injection failed); their owners learn it through `interceptsChanged`.
   *
   * @param ref the workload
   * @param detail why, as the owners will read it
   * @returns the intercepts that failed
   */
  failWaiting(ref: WorkloadRef, detail: string): InterceptInfo[] {
    this.#open();
    const failed = this.#intercepts.failWaiting(ref, detail);
    this.#changed(failed);
    return failed.map((r) => this.#info(r));
  }

  /**
   * Removes an intercept of a session by name.
   *
   * @returns the removed intercept
   * @throws {TpxError} `session_unknown`, `intercept_not_owned`, `intercept_not_found`
   */
  removeIntercept(sessionId: string, name: string): InterceptInfo {
    this.#open();
    this.#sessions.require(sessionId);
    const record = this.#intercepts.remove(sessionId, name);
    this.#released([record]);
    return this.#info(record);
  }

  /** The intercept `id`. */
  intercept(id: string): InterceptInfo | undefined {
    const record = this.#intercepts.get(id);
    return record && this.#info(record);
  }

  /** The intercepts of a workload, in every state; an agent routes only the `active` ones. */
  interceptsOfWorkload(namespace: string, workload: string): InterceptInfo[] {
    return this.#intercepts.ofWorkload({ namespace, workload }).map((r) => this.#info(r));
  }

  /** The intercepts a session holds. */
  interceptsOfSession(sessionId: string): InterceptInfo[] {
    return this.#intercepts.ofSession(sessionId).map((r) => this.#info(r));
  }

  /** A JSON-able snapshot of everything, for the admin API. */
  listing(): ManagerListing {
    return {
      sessions: this.#sessions.list().map((s) => sessionListing(s, this.#wall)),
      agents: this.#agents.list().map((a) => agentListing(a, this.#dormancy.until(a), this.#wall)),
      intercepts: this.#intercepts.list().map((r) => this.#info(r)),
    };
  }

  /** How many sessions, agents and intercepts (per state) there are. */
  counts(): StateCounts {
    return {
      sessions: this.#sessions.size,
      agents: this.#agents.size,
      intercepts: this.#intercepts.countByState(),
    };
  }

  /** Stops every timer and listener; later changes throw. Emits nothing. */
  close(): void {
    this.#closed = true;
    this.#sessions.close();
    this.#dormancy.close();
    this.#agents.clear();
    this.#intercepts.clear();
    this.#emitter.clear();
  }

  #info(record: InterceptRecord): InterceptInfo {
    return interceptInfo(record, this.#wall);
  }

  /** After intercepts were removed: workloads left without any go dormant. */
  #released(removed: readonly InterceptRecord[]): void {
    for (const ref of workloadsOf(removed)) {
      if (this.#intercepts.ofWorkload(ref).length === 0) this.#dormancy.start(ref);
    }
    this.#changed(removed);
  }

  #changed(records: readonly InterceptRecord[]): void {
    if (records.length === 0) return;
    const owners = new Set(records.map((r) => r.owner.sessionId));
    const sessionIds = [...owners].filter((id) => this.#sessions.get(id) !== undefined);
    this.#emitter.emit({ type: "interceptsChanged", sessionIds, workloads: workloadsOf(records) });
  }

  #open(): void {
    if (this.#closed) {
      throw new TpxError("internal", "The manager state is closed", { code: "state_closed" });
    }
  }
}
