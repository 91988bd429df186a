/**
 * When two intercepts would take the same traffic, and the error that says who holds it.
 *
 * Intercepts of one workload collide on the same port when: both are global; one is global and
 * the other personal (in either order); or both are personal with the same set of filters.
 * Personal intercepts with different filters coexist.
 *
 * @module
 */
import { type InterceptSpec, TpxError } from "../../../tunnel/protocol/mod.ts";
import { ago } from "./_time.ts";
import type { AgentPort } from "./agents.ts";
import type { InterceptRecord } from "./intercept_record.ts";
import { isGlobal, sameFilters } from "./spec.ts";

/** An intercept that is asked for, with its port once resolved. */
export interface Claim {
  spec: InterceptSpec;
  port: AgentPort | undefined;
}

/** How a claim collides with an intercept already held. */
export type ConflictKind = "global" | "globalOverPersonal" | "sameFilters";

/** An intercept in the way of a claim. */
export interface Conflict {
  holder: InterceptRecord;
  kind: ConflictKind;
}

/**
 * The first intercept in `held` that takes traffic `claim` would take too.
 *
 * @param claim the new intercept
 * @param held intercepts already there (failed ones hold nothing and are skipped)
 * @returns the conflict, or undefined if there is none
 */
export function findConflict(claim: Claim, held: Iterable<InterceptRecord>): Conflict | undefined {
  for (const holder of held) {
    if (holder.state === "failed") continue;
    if (holder.spec.namespace !== claim.spec.namespace) continue;
    if (holder.spec.workload !== claim.spec.workload) continue;
    if (!samePort(claim, holder)) continue;
    const kind = isGlobal(holder.spec)
      ? "global"
      : isGlobal(claim.spec)
      ? "globalOverPersonal"
      : sameFilters(claim.spec.filters, holder.spec.filters)
      ? "sameFilters"
      : undefined;
    if (kind) return { holder, kind };
  }
  return undefined;
}

/**
 * The error for a conflict: who holds the traffic, since when, and what to do.
 *
 * @param claim the intercept that was refused
 * @param conflict what is in its way
 * @param now the clock's reading now
 * @param wall maps clock readings to epoch milliseconds
 * @returns a `TpxError` with category `user` and code `intercept_conflict`
 */
export function conflictError(
  claim: Claim,
  conflict: Conflict,
  now: number,
  wall: (reading: number) => number,
): TpxError {
  const { holder, kind } = conflict;
  const who = `${holder.owner.user}@${holder.owner.host}`;
  const since = `since ${new Date(wall(holder.createdAt)).toISOString()} ` +
    `(${ago(now - holder.createdAt)})`;
  const where = `${portLabel(holder.port ?? claim.port, claim.spec.servicePort)} of ` +
    `"${claim.spec.workload}" in "${claim.spec.namespace}"`;
  const theirs = `intercept "${holder.spec.name}" of "${who}"`;
  const detail = kind === "global"
    ? `${where} is taken by the global ${theirs} ${since}`
    : kind === "globalOverPersonal"
    ? `${where} has the personal ${theirs} ${since}, and a global intercept would take its requests`
    : `${where} is taken by the personal ${theirs} with the same filters ${since}`;
  const leave = `ask ${who} to run "tpx leave ${holder.spec.name}"`;
  const hint = kind === "global"
    ? `${leave}, or both of you use --http-header to take only your own requests`
    : kind === "globalOverPersonal"
    ? `${leave}, or use --http-header to take only your own requests`
    : `${leave}, or use a different --http-header to take only your own requests`;
  return new TpxError("user", `Cannot intercept "${claim.spec.name}": ${detail}`, {
    code: "intercept_conflict",
    hint,
  });
}

/**
 * Whether two intercepts are on the same port: by agent port once both are resolved, else by
 * what was asked for (a resolved port matches a request naming it or its number).
 */
function samePort(claim: Claim, holder: InterceptRecord): boolean {
  if (claim.port && holder.port) return claim.port.agentPort === holder.port.agentPort;
  if (claim.spec.servicePort === holder.spec.servicePort) return true;
  const [resolved, asked] = claim.port ? [claim.port, holder.spec] : [holder.port, claim.spec];
  const wanted = asked.servicePort;
  return resolved !== undefined && wanted !== undefined &&
    (wanted === resolved.name || wanted === String(resolved.appPort));
}

function portLabel(port: AgentPort | undefined, asked: string | undefined): string {
  if (port) return port.name === undefined ? `port ${port.appPort}` : `port "${port.name}"`;
  return asked === undefined ? "the port" : `port "${asked}"`;
}
