/**
 * Idle timers of agents: once a workload has no intercepts, its agents are dormant for a while,
 * and then reported idle once so that the wiring can remove them.
 *
 * @module
 */
import type { Clock, TimerId } from "../../../tunnel/clock.ts";
import type { WorkloadRef } from "./events.ts";
import { workloadKey } from "./agents.ts";

/** How long agents stay dormant unless configured otherwise: 10 minutes. */
export const DEFAULT_AGENT_IDLE_MS = 10 * 60_000;

/** Options of {@link Dormancy}. */
export interface DormancyOptions {
  clock: Clock;
  idleMs: number;
  /** Called once when a dormant period ends without a new intercept. */
  onIdle: (ref: WorkloadRef) => void;
}

/** The dormant periods of workloads. */
export class Dormancy {
  readonly #clock: Clock;
  readonly #idleMs: number;
  readonly #onIdle: (ref: WorkloadRef) => void;
  readonly #periods = new Map<string, { until: number; timer: TimerId }>();
  /** Workloads reported idle since their last intercept, so they are not reported again. */
  readonly #reported = new Set<string>();

  constructor(options: DormancyOptions) {
    this.#clock = options.clock;
    this.#idleMs = options.idleMs;
    this.#onIdle = options.onIdle;
  }

  /**
   * Starts a dormant period, unless one is running or the workload was already reported idle
   * since its last intercept.
   *
   * @param ref the workload
   */
  start(ref: WorkloadRef): void {
    const key = workloadKey(ref);
    if (this.#periods.has(key) || this.#reported.has(key)) return;
    const workload = { namespace: ref.namespace, workload: ref.workload };
    const timer = this.#clock.setTimeout(() => {
      this.#periods.delete(key);
      this.#reported.add(key);
      this.#onIdle(workload);
    }, this.#idleMs);
    this.#periods.set(key, { until: this.#clock.now() + this.#idleMs, timer });
  }

  /**
   * Ends the dormant period of a workload that got an intercept.
   *
   * @param ref the workload
   */
  cancel(ref: WorkloadRef): void {
    const key = workloadKey(ref);
    const period = this.#periods.get(key);
    if (period) this.#clock.clearTimeout(period.timer);
    this.#periods.delete(key);
    this.#reported.delete(key);
  }

  /**
   * Lets a workload whose agents are all gone be reported idle again, should agents of it
   * come back without an intercept.
   *
   * @param ref the workload
   */
  forgetReport(ref: WorkloadRef): void {
    this.#reported.delete(workloadKey(ref));
  }

  /** When the dormant period of a workload ends, as a clock reading; undefined if none runs. */
  until(ref: WorkloadRef): number | undefined {
    return this.#periods.get(workloadKey(ref))?.until;
  }

  /** Stops every timer. */
  close(): void {
    for (const period of this.#periods.values()) this.#clock.clearTimeout(period.timer);
    this.#periods.clear();
    this.#reported.clear();
  }
}
