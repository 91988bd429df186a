/**
 * One intercept as the manager holds it, and its wire form.
 *
 * @module
 */
import type { InterceptInfo, InterceptSpec } from "../../../tunnel/protocol/mod.ts";
import type { AgentPort } from "./agents.ts";
import type { WorkloadRef } from "./events.ts";
import { normalizeSpec } from "./spec.ts";

/** The state of an intercept. */
export type InterceptState = InterceptInfo["state"];

/** Who holds an intercept. */
export type InterceptOwner = InterceptInfo["owner"];

/** An intercept as the state holds it. */
export interface InterceptRecord {
  readonly id: string;
  readonly spec: InterceptSpec;
  readonly owner: InterceptOwner;
  /** When it was created, as a clock reading. */
  readonly createdAt: number;
  state: InterceptState;
  /** Why it is waiting or failed. */
  detail: string | undefined;
  /** The port that carries it while active. */
  port: AgentPort | undefined;
}

/**
 * An intercept as it crosses the wire.
 *
 * @param record the intercept
 * @param wall maps clock readings to epoch milliseconds
 * @returns a fresh {@link InterceptInfo}, which the caller may change
 */
export function interceptInfo(
  record: InterceptRecord,
  wall: (reading: number) => number,
): InterceptInfo {
  const info: InterceptInfo = {
    id: record.id,
    spec: normalizeSpec(record.spec),
    owner: { ...record.owner },
    since: new Date(wall(record.createdAt)).toISOString(),
    state: record.state,
  };
  if (record.detail !== undefined) info.detail = record.detail;
  if (record.port !== undefined) info.agentPort = record.port.agentPort;
  return info;
}

/**
 * The workloads of some intercepts.
 *
 * @param records the intercepts
 * @returns each workload once, in order of appearance
 */
export function workloadsOf(records: readonly InterceptRecord[]): WorkloadRef[] {
  const refs = new Map<string, WorkloadRef>();
  for (const { spec: { namespace, workload } } of records) {
    refs.set(`${namespace}/${workload}`, { namespace, workload });
  }
  return [...refs.values()];
}
