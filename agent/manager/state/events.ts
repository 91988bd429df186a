/**
 * The events the manager's state emits, for the wiring to act on: pushing intercept lists to
 * daemons and agents, closing tunnels, removing idle agents.
 *
 * @module
 */
import type { Logger } from "../../../tunnel/log.ts";

/** A workload, as `namespace` and name. */
export interface WorkloadRef {
  namespace: string;
  workload: string;
}

/** Why a session ended. */
export type SessionEndReason = "leaseExpired" | "departed";

/**
 * Intercepts were created, activated, failed or removed. The wiring pushes
 * `interceptsChanged` to each session in `sessionIds` (sessions still alive whose own
 * intercepts changed) and `agentIntercepts` to the agents of each workload in `workloads`.
 */
export interface InterceptsChangedEvent {
  type: "interceptsChanged";
  sessionIds: string[];
  workloads: WorkloadRef[];
}

/** A session ended; its intercepts are already gone. */
export interface SessionEndedEvent {
  type: "sessionEnded";
  sessionId: string;
  reason: SessionEndReason;
}

/**
 * The agents of a workload stayed unused for the configured idle time; the wiring removes the
 * agent from the workload. Emitted once per dormant period.
 */
export interface AgentIdleEvent extends WorkloadRef {
  type: "agentIdle";
}

/** Every event of the manager's state. */
export type ManagerEvent = InterceptsChangedEvent | SessionEndedEvent | AgentIdleEvent;

/** Receives events; called synchronously, after the state has changed. */
export type ManagerListener = (event: ManagerEvent) => void;

/** Delivers events to listeners; a listener that throws is logged and does not stop others. */
export class Emitter {
  readonly #listeners = new Set<ManagerListener>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /**
   * Adds a listener.
   *
   * @param listener called with each event
   * @returns a function that removes the listener
   */
  on(listener: ManagerListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Sends `event` to every listener. */
  emit(event: ManagerEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error("a listener of manager events failed", { event: event.type, error });
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.#listeners.clear();
  }
}
