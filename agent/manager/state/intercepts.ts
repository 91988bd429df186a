/**
 * The intercepts the manager holds: creation (validation, port resolution, conflicts),
 * activation when a workload's agent arrives, and removal by their owner.
 *
 * @module
 */
import type { Clock } from "../../../tunnel/clock.ts";
import type { Logger } from "../../../tunnel/log.ts";
import { type InterceptSpec, TpxError } from "../../../tunnel/protocol/mod.ts";
import { randomId } from "./_time.ts";
import type { AgentPort, WorkloadKind } from "./agents.ts";
import { conflictError, findConflict } from "./conflicts.ts";
import type { WorkloadRef } from "./events.ts";
import type { InterceptOwner, InterceptRecord } from "./intercept_record.ts";
import type { PortResolver } from "./ports.ts";
import { normalizeSpec, sameSpec, validateSpec } from "./spec.ts";

/** What is known of the workload an intercept is for. */
export interface InterceptTarget {
  kind: WorkloadKind | undefined;
  /** The ports of its agents; undefined when it has no agent yet. */
  ports: readonly AgentPort[] | undefined;
}

/** Options of {@link Intercepts}. */
export interface InterceptsOptions {
  clock: Clock;
  logger: Logger;
  resolvePort: PortResolver;
  /** Maps clock readings to epoch milliseconds, for conflict messages. */
  wall: (reading: number) => number;
}

/** The outcome of {@link Intercepts.create}. */
export interface Created {
  record: InterceptRecord;
  /** False when the same intercept already existed and was returned as it is. */
  created: boolean;
}

/** The intercepts of the manager. */
export class Intercepts {
  readonly #options: InterceptsOptions;
  readonly #records = new Map<string, InterceptRecord>();

  constructor(options: InterceptsOptions) {
    this.#options = options;
  }

  /** How many intercepts there are. */
  get size(): number {
    return this.#records.size;
  }

  /**
   * Creates an intercept: active if the workload's agents are there, else waiting for them.
   * The same owner asking again for the same spec gets the existing intercept; a failed one
   * of the same name is replaced.
   *
   * @param owner the session that asks
   * @param spec what it asks for
   * @param target what is known of the workload
   * @returns the intercept and whether it is new
   * @throws {TpxError} `invalid_intercept`, `intercept_exists`, `intercept_conflict`, or the
   *   resolver's error
   */
  create(owner: InterceptOwner, spec: InterceptSpec, target: InterceptTarget): Created {
    validateSpec(spec);
    spec = normalizeSpec(spec);
    const existing = this.named(owner.sessionId, spec.name);
    if (existing && existing.state !== "failed") {
      if (sameSpec(existing.spec, spec)) return { record: existing, created: false };
      throw new TpxError("user", `Intercept "${spec.name}" already exists with another spec`, {
        code: "intercept_exists",
        hint: `run "tpx leave ${spec.name}" first, or choose another name`,
      });
    }
    const { clock, resolvePort } = this.#options;
    const port = target.ports && target.kind
      ? resolvePort({ spec, kind: target.kind, ports: target.ports })
      : undefined;
    const others = this.ofWorkload(spec).filter((r) => r !== existing);
    const conflict = findConflict({ spec, port }, others);
    if (conflict) throw conflictError({ spec, port }, conflict, clock.now(), this.#options.wall);
    if (existing) this.#records.delete(existing.id);
    const record: InterceptRecord = {
      id: randomId(),
      spec,
      owner: { ...owner },
      createdAt: clock.now(),
      state: port ? "active" : "waiting",
      detail: port ? undefined : waitingDetail(spec.workload, target.kind),
      port,
    };
    this.#records.set(record.id, record);
    this.#options.logger.info("intercept created", logFields(record));
    return { record, created: true };
  }

  /**
   * Resolves the waiting intercepts of a workload whose agent arrived: each becomes active, or
   * failed when its port cannot be resolved or is taken by an active intercept.
   *
   * @param ref the workload
   * @param kind its kind
   * @param ports the ports of its agents
   * @returns the intercepts that changed
   */
  activate(ref: WorkloadRef, kind: WorkloadKind, ports: readonly AgentPort[]): InterceptRecord[] {
    const waiting = this.ofWorkload(ref).filter((r) => r.state === "waiting");
    for (const record of waiting) {
      try {
        const port = this.#options.resolvePort({ spec: record.spec, kind, ports });
        const active = this.ofWorkload(ref).filter((r) => r.state === "active");
        const conflict = findConflict({ spec: record.spec, port }, active);
        if (conflict) {
          const { clock, wall } = this.#options;
          throw conflictError({ spec: record.spec, port }, conflict, clock.now(), wall);
        }
        Object.assign(record, { state: "active", detail: undefined, port });
        this.#options.logger.info("intercept active", logFields(record));
      } catch (error) {
        const detail = error instanceof Error ? error.message : String(error);
        Object.assign(record, { state: "failed", detail, port: undefined });
        this.#options.logger.warn("intercept failed", { ...logFields(record), detail });
      }
    }
    return waiting;
  }

  /**
   * Fails the waiting intercepts of a workload, as when its agent cannot be injected.
   *
   * @param ref the workload
   * @param detail why, for the intercepts' owners
   * @returns the intercepts that changed
   */
  failWaiting(ref: WorkloadRef, detail: string): InterceptRecord[] {
    const waiting = this.ofWorkload(ref).filter((r) => r.state === "waiting");
    for (const record of waiting) {
      Object.assign(record, { state: "failed", detail, port: undefined });
      this.#options.logger.warn("intercept failed", { ...logFields(record), detail });
    }
    return waiting;
  }

  /**
   * Removes an intercept of a session by name.
   *
   * @param sessionId the session that asks
   * @param name the intercept's name
   * @returns the removed intercept
   * @throws {TpxError} `intercept_not_owned` when another session holds it, else
   *   `intercept_not_found`
   */
  remove(sessionId: string, name: string): InterceptRecord {
    const record = this.named(sessionId, name);
    if (record) {
      this.#records.delete(record.id);
      this.#options.logger.info("intercept removed", logFields(record));
      return record;
    }
    const theirs = this.list().find((r) => r.spec.name === name);
    if (theirs) {
      const who = `${theirs.owner.user}@${theirs.owner.host}`;
      throw new TpxError("user", `Cannot leave "${name}": it belongs to "${who}"`, {
        code: "intercept_not_owned",
        hint: `ask ${who} to run "tpx leave ${name}"`,
      });
    }
    throw new TpxError("user", `Cannot leave "${name}": there is no intercept of that name`, {
      code: "intercept_not_found",
      hint: 'run "tpx list" to see your intercepts',
    });
  }

  /**
   * Removes every intercept of a session.
   *
   * @param sessionId the session
   * @returns the removed intercepts
   */
  removeAllOf(sessionId: string): InterceptRecord[] {
    const removed = this.ofSession(sessionId);
    for (const record of removed) this.#records.delete(record.id);
    if (removed.length > 0) {
      this.#options.logger.info("intercepts of a session removed", {
        sessionId,
        names: removed.map((r) => r.spec.name),
      });
    }
    return removed;
  }

  /** The intercept `id`. */
  get(id: string): InterceptRecord | undefined {
    return this.#records.get(id);
  }

  /** The intercept of a session with this name. */
  named(sessionId: string, name: string): InterceptRecord | undefined {
    return this.list().find((r) => r.owner.sessionId === sessionId && r.spec.name === name);
  }

  /** The intercepts of a session, oldest first. */
  ofSession(sessionId: string): InterceptRecord[] {
    return this.list().filter((r) => r.owner.sessionId === sessionId);
  }

  /** The intercepts of a workload, oldest first. */
  ofWorkload(ref: WorkloadRef): InterceptRecord[] {
    return this.list().filter((r) =>
      r.spec.namespace === ref.namespace && r.spec.workload === ref.workload
    );
  }

  /** Every intercept, oldest first. */
  list(): InterceptRecord[] {
    return [...this.#records.values()];
  }

  /** How many intercepts there are in each state. */
  countByState(): Record<InterceptRecord["state"], number> {
    const counts = { waiting: 0, active: 0, failed: 0 };
    for (const record of this.#records.values()) counts[record.state]++;
    return counts;
  }

  /** Forgets every intercept. */
  clear(): void {
    this.#records.clear();
  }
}

function waitingDetail(workload: string, kind: WorkloadKind | undefined): string {
  return kind === undefined
    ? `waiting for the agent of workload "${workload}"`
    : `waiting for the agent of ${kind.toLowerCase()}/${workload}`;
}

function logFields(record: InterceptRecord): Record<string, unknown> {
  return {
    interceptId: record.id,
    name: record.spec.name,
    workload: `${record.spec.namespace}/${record.spec.workload}`,
    sessionId: record.owner.sessionId,
    state: record.state,
  };
}
