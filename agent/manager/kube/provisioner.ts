/**
 * Connects the manager's state to the injector: an intercept waiting for a workload that has
 * no agent gets one injected in the background (or fails with the reason), and an agent left
 * idle is removed. Operations on one workload run one after the other, so an injection and a
 * removal never interleave their writes.
 *
 * @module
 */
import type { PortChoice } from "../../../cluster/injection/mod.ts";
import type { Logger } from "../../../tunnel/log.ts";
import { TpxError } from "../../../tunnel/protocol/errors.ts";
import type { InterceptSpec } from "../../../tunnel/protocol/mod.ts";
import type { ManagerEvent, ManagerState, WorkloadRef } from "../state/mod.ts";
import type { InjectableKind } from "./workload_api.ts";

/** What the provisioner asks of the cluster; {@link Injector} is one. */
export interface AgentInjection {
  ensureAgent(
    namespace: string,
    workload: string,
    kind?: InjectableKind,
    choice?: PortChoice,
  ): Promise<void>;
  removeAgent(namespace: string, workload: string): Promise<void>;
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
  readonly #unsubscribe: () => void;

  constructor(state: ManagerState, injection: AgentInjection, logger: Logger) {
    this.#state = state;
    this.#injection = injection;
    this.#logger = logger;
    this.#unsubscribe = state.on((event) => this.#react(event));
  }

  /** Resolves once every queued operation has finished (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.#queues.size > 0) await Promise.all(this.#queues.values());
  }

  #react(event: ManagerEvent): void {
    if (event.type === "interceptsChanged") {
      for (const ref of event.workloads) this.#maybeInject(ref);
    } else if (event.type === "agentIdle") {
      const ref = { namespace: event.namespace, workload: event.workload };
      this.#enqueue(ref, () => this.#remove(ref));
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
    );
  }

  async #inject(ref: WorkloadRef, choice: PortChoice): Promise<void> {
    try {
      await this.#injection.ensureAgent(ref.namespace, ref.workload, undefined, choice);
      this.#logger.info("agent injected", { ...ref });
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

  async #remove(ref: WorkloadRef): Promise<void> {
    // An intercept may have come back while the removal waited in the queue.
    if (this.#state.interceptsOfWorkload(ref.namespace, ref.workload).length > 0) return;
    try {
      await this.#injection.removeAgent(ref.namespace, ref.workload);
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

  #enqueue(ref: WorkloadRef, operation: () => Promise<void>): void {
    const key = keyOf(ref);
    const next = (this.#queues.get(key) ?? Promise.resolve()).then(operation);
    this.#queues.set(key, next);
    next.finally(() => {
      if (this.#queues.get(key) === next) this.#queues.delete(key);
    });
  }

  /** Stops following the state; operations already queued still finish. */
  [Symbol.dispose](): void {
    this.#unsubscribe();
  }
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
