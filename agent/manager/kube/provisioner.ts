/**
 * Connects the manager's state to the injector: an intercept waiting for a workload that has
 * no agent gets one injected in the background (or fails with the reason, also when the
 * injected agent never connects), an agent left idle is removed, and a workload is restored at
 * once on request. Operations on one workload run one after the other, so an injection and a
 * removal never interleave their writes.
 *
 * @module
 */
import type { PortChoice } from "../../../cluster/injection/mod.ts";
import { type Clock, systemClock, type TimerId } from "../../../tunnel/clock.ts";
import type { Logger } from "../../../tunnel/log.ts";
import { TpxError } from "../../../tunnel/protocol/errors.ts";
import type { InterceptInfo, InterceptSpec } from "../../../tunnel/protocol/mod.ts";
import type { ManagerEvent, ManagerState, WorkloadRef } from "../state/mod.ts";
import type { AgentRemoval, AgentRollout, InjectedWorkload } from "./injector.ts";
import type { InjectableKind } from "./workload_api.ts";

/** How long an injected agent may take to connect unless configured otherwise: 60 s. */
export const DEFAULT_AGENT_ARRIVAL_MS = 60_000;

/**
 * What the provisioner asks of the cluster; {@link Injector} is one. The results are optional
 * so that a minimal implementation (a test's) may resolve with nothing.
 */
export interface AgentInjection {
  ensureAgent(
    namespace: string,
    workload: string,
    kind?: InjectableKind,
    choice?: PortChoice,
  ): Promise<AgentRollout | void>;
  removeAgent(
    namespace: string,
    workload: string,
    kind?: InjectableKind,
  ): Promise<AgentRemoval | void>;
  /** The injected workloads in some namespaces (undefined: all); absent: cannot list. */
  listInjected?(namespaces: readonly string[] | undefined): Promise<InjectedWorkload[]>;
}

/** Options of {@link AgentProvisioner}. */
export interface AgentProvisionerOptions {
  /** For the arrival timeout. */
  clock?: Clock;
  /**
   * How long an agent may take to connect once its rollout finished, before the intercepts
   * waiting for it fail; default {@link DEFAULT_AGENT_ARRIVAL_MS}.
   */
  arrivalMs?: number;
}

/**
 * Injects agents for waiting intercepts and removes idle agents, following the state's events.
 *
 * @example
 * ```ts
 * using provisioner = new AgentProvisioner(manager.state, injector, logger);
 * ```
 */
export class AgentProvisioner implements Disposable {
  readonly #state: ManagerState;
  readonly #injection: AgentInjection;
  readonly #logger: Logger;
  readonly #queues = new Map<string, Promise<void>>();
  /** Workloads whose injection is queued or running, so that events do not pile them up. */
  readonly #injecting = new Set<string>();
  /** Arrival timeouts of injected agents that have not connected yet, by workload. */
  readonly #arrivals = new Map<string, TimerId>();
  readonly #clock: Clock;
  readonly #arrivalMs: number;
  readonly #unsubscribe: () => void;
  #disposed = false;

  constructor(
    state: ManagerState,
    injection: AgentInjection,
    logger: Logger,
    options: AgentProvisionerOptions = {},
  ) {
    this.#state = state;
    this.#injection = injection;
    this.#logger = logger;
    this.#clock = options.clock ?? systemClock;
    this.#arrivalMs = options.arrivalMs ?? DEFAULT_AGENT_ARRIVAL_MS;
    this.#unsubscribe = state.on((event) => this.#react(event));
  }

  /**
   * Restores a workload now, after the operations queued for it: removes its agent and gives
   * it and its Services their original spec, as for an idle agent; then the state forgets its
   * agents. Refused while an intercept (not failed) of any session is on the workload.
   *
   * @param ref the workload
   * @param kind its kind, when known
   * @returns its kind, and whether there was anything to restore
   * @throws {TpxError} `workload_in_use` naming the intercept and its holder, or the
   *   injection's error (the workload does not exist, the cluster refused a write)
   */
  restore(ref: WorkloadRef, kind?: InjectableKind): Promise<AgentRemoval | undefined> {
    return this.#enqueue(ref, async () => {
      // Checked in the queue: an intercept may have arrived while this waited.
      const user = this.#state.interceptsOfWorkload(ref.namespace, ref.workload)
        .find((i) => i.state !== "failed");
      if (user) throw workloadInUse(ref, kind, user);
      this.#stopArrivalTimer(ref);
      const removal = await this.#injection.removeAgent(ref.namespace, ref.workload, kind);
      if (removal?.restored) this.#state.agentRemoved(ref);
      this.#logger.info("workload restored on request", { ...ref, restored: removal?.restored });
      return removal ?? undefined;
    });
  }

  /** Resolves once every queued operation has finished (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#queues.size > 0) await Promise.all(this.#queues.values());
  }

  #react(event: ManagerEvent): void {
    if (event.type === "interceptsChanged") {
      for (const ref of event.workloads) {
        // Intercepts activated: the agent arrived, so its arrival timeout is moot.
        if (this.#state.agentsOfWorkload(ref.namespace, ref.workload).length > 0) {
          this.#stopArrivalTimer(ref);
        }
        this.#maybeInject(ref);
      }
    } else if (event.type === "agentIdle") {
      const ref = { namespace: event.namespace, workload: event.workload };
      this.#enqueue(ref, () => this.#remove(ref)).catch((error) => this.#unexpected(ref, error));
    }
  }

  #maybeInject(ref: WorkloadRef): void {
    const key = keyOf(ref);
    if (this.#injecting.has(key)) return;
    if (this.#state.agentsOfWorkload(ref.namespace, ref.workload).length > 0) return;
    const waiting = this.#state.interceptsOfWorkload(ref.namespace, ref.workload)
      .find((i) => i.state === "waiting");
    if (waiting === undefined) return;
    this.#injecting.add(key);
    this.#enqueue(
      ref,
      () => this.#inject(ref, choiceOf(waiting.spec)).finally(() => this.#injecting.delete(key)),
    ).catch((error) => this.#unexpected(ref, error));
  }

  /** An operation failed where none should: logged, since nobody awaits it. */
  #unexpected(ref: WorkloadRef, error: unknown): void {
    this.#logger.error("an injection operation failed", { ...ref, error });
  }

  async #inject(ref: WorkloadRef, choice: PortChoice): Promise<void> {
    try {
      const rollout = await this.#injection.ensureAgent(
        ref.namespace,
        ref.workload,
        undefined,
        choice,
      );
      this.#logger.info("agent injected", { ...ref });
      if (this.#state.agentsOfWorkload(ref.namespace, ref.workload).length === 0) {
        this.#startArrivalTimer(ref, rollout ?? undefined);
      }
    } catch (error) {
      const detail = reason(error);
      this.#logger.warn("agent injection failed", { ...ref, detail });
      try {
        this.#state.failWaiting(ref, detail);
      } catch {
        // The state closed while the injection ran: nobody is left to tell.
      }
    }
  }

  /**
   * The rollout finished, so the agent should connect within moments; if it does not (it
   * crashes, or cannot reach the manager), its waiting intercepts fail instead of waiting on.
   */
  #startArrivalTimer(ref: WorkloadRef, rollout: AgentRollout | undefined): void {
    this.#stopArrivalTimer(ref);
    // An injection that finished after shutdown leaves no timer behind.
    if (this.#disposed) return;
    const key = keyOf(ref);
    const timer = this.#clock.setTimeout(() => {
      this.#arrivals.delete(key);
      if (this.#state.agentsOfWorkload(ref.namespace, ref.workload).length > 0) return;
      const error = agentNeverArrived(ref, rollout, this.#arrivalMs);
      this.#logger.warn("the injected agent did not connect", { ...ref, detail: reason(error) });
      try {
        this.#state.failWaiting(ref, reason(error));
      } catch {
        // The state closed meanwhile: nobody is left to tell.
      }
    }, this.#arrivalMs);
    this.#arrivals.set(key, timer);
  }

  #stopArrivalTimer(ref: WorkloadRef): void {
    const timer = this.#arrivals.get(keyOf(ref));
    if (timer !== undefined) this.#clock.clearTimeout(timer);
    this.#arrivals.delete(keyOf(ref));
  }

  async #remove(ref: WorkloadRef): Promise<void> {
    // An intercept may have come back while the removal waited in the queue.
    if (this.#state.interceptsOfWorkload(ref.namespace, ref.workload).length > 0) return;
    try {
      this.#stopArrivalTimer(ref);
      const removal = await this.#injection.removeAgent(ref.namespace, ref.workload);
      if (removal?.restored) this.#state.agentRemoved(ref);
      this.#logger.info("agent removed", { ...ref });
    } catch (error) {
      this.#logger.error("agent removal failed", { ...ref, detail: reason(error) });
      return;
    }
    // An intercept created while the removal ran found the old agent and is active; the
    // removal took that agent away, so it needs a new one.
    const [again] = this.#state.interceptsOfWorkload(ref.namespace, ref.workload);
    if (again !== undefined) await this.#inject(ref, choiceOf(again.spec));
  }

  #enqueue<T>(ref: WorkloadRef, operation: () => Promise<T>): Promise<T> {
    const key = keyOf(ref);
    const result = (this.#queues.get(key) ?? Promise.resolve()).then(operation);
    // The queue goes on after a failed operation; its caller gets the failure.
    const next = result.then(() => {}, () => {});
    this.#queues.set(key, next);
    next.finally(() => {
      if (this.#queues.get(key) === next) this.#queues.delete(key);
    });
    return result;
  }

  /** Stops following the state and its arrival timers; operations already queued finish. */
  [Symbol.dispose](): void {
    this.#disposed = true;
    this.#unsubscribe();
    for (const timer of this.#arrivals.values()) this.#clock.clearTimeout(timer);
    this.#arrivals.clear();
  }
}

/**
 * The refusal to restore a workload that an intercept still uses.
 *
 * @param ref the workload
 * @param kind its kind, when known
 * @param holder the intercept in the way
 * @returns a `user` error with code `workload_in_use` naming the intercept and its holder
 */
export function workloadInUse(
  ref: WorkloadRef,
  kind: InjectableKind | undefined,
  holder: InterceptInfo,
): TpxError {
  const who = `${holder.owner.user}@${holder.owner.host}`;
  return new TpxError(
    "user",
    `Cannot restore ${workloadLabel(ref, kind)}: intercept "${holder.spec.name}" of "${who}" ` +
      `uses it (${holder.state} since ${holder.since})`,
    {
      code: "workload_in_use",
      hint: `ask ${who} to run "tpx leave ${holder.spec.name}", or wait until their session ends`,
    },
  );
}

function agentNeverArrived(
  ref: WorkloadRef,
  rollout: AgentRollout | undefined,
  arrivalMs: number,
): TpxError {
  const pod = rollout?.pods[0] ??
    `${(rollout?.kind ?? "deployment").toLowerCase()}/${ref.workload}`;
  return new TpxError(
    "cluster",
    `The agent of ${workloadLabel(ref, rollout?.kind)} is running but did not connect to the ` +
      `manager within ${duration(arrivalMs)}`,
    {
      code: "agent_never_arrived",
      retryable: true,
      hint: `run "kubectl logs -n ${ref.namespace} ${pod} -c tpx-agent" to see why; ` +
        "the agent must reach the manager's agent port",
    },
  );
}

/** `deployment/web in namespace "shop"`, or `workload "web" …` when the kind is unknown. */
function workloadLabel(ref: WorkloadRef, kind: InjectableKind | undefined): string {
  const what = kind === undefined
    ? `workload "${ref.workload}"`
    : `${kind.toLowerCase()}/${ref.workload}`;
  return `${what} in namespace "${ref.namespace}"`;
}

function duration(ms: number): string {
  return ms % 1_000 === 0 ? `${ms / 1_000} s` : `${ms} ms`;
}

function choiceOf(spec: InterceptSpec): PortChoice {
  return {
    ...(spec.service !== undefined ? { service: spec.service } : {}),
    ...(spec.servicePort !== undefined ? { servicePort: spec.servicePort } : {}),
  };
}

function keyOf(ref: WorkloadRef): string {
  return `${ref.namespace}/${ref.workload}`;
}

/** The owner reads this in the intercept's detail, so the hint travels with the message. */
function reason(error: unknown): string {
  if (error instanceof TpxError) {
    return error.hint ? `${error.message} (${error.hint})` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
