/**
 * Which intercepts take the traffic of each port the agent fronts, rebuilt from every
 * snapshot the manager sends.
 *
 * @module
 */
import type { InterceptInfo } from "../../tunnel/protocol/mod.ts";
import type { Logger } from "../../tunnel/log.ts";
import { compileFilters, type FilterMatcher } from "./http/filters.ts";
import type { RequestHead } from "./http/request_head.ts";

/** The intercepts of one port. */
export interface PortRouting {
  /** Takes every new connection. */
  global?: InterceptInfo;
  /** Each takes the HTTP requests its filters match. */
  personal: { intercept: InterceptInfo; matcher: FilterMatcher }[];
}

/**
 * Builds the routing of every port from the manager's snapshot. Intercepts that are not
 * active, or whose filters do not compile, are left out (and logged).
 *
 * @param intercepts the workload's intercepts
 * @param logger where to report an intercept left out
 * @returns routing per agent port
 */
export function buildRouting(
  intercepts: InterceptInfo[],
  logger: Logger,
): Map<number, PortRouting> {
  const table = new Map<number, PortRouting>();
  for (const intercept of intercepts) {
    if (intercept.state !== "active" || intercept.agentPort === undefined) continue;
    let routing = table.get(intercept.agentPort);
    if (!routing) table.set(intercept.agentPort, routing = { personal: [] });
    if (intercept.spec.filters.length === 0) {
      routing.global = intercept;
      continue;
    }
    try {
      routing.personal.push({ intercept, matcher: compileFilters(intercept.spec.filters) });
    } catch (error) {
      logger.error("intercept left out: its filters do not compile", { id: intercept.id, error });
    }
  }
  return table;
}

/**
 * The personal intercept a request belongs to, if any.
 *
 * @param routing the port's routing
 * @param head the request head
 * @returns the intercept's id, or undefined for the app
 */
export function routeRequest(routing: PortRouting, head: RequestHead): string | undefined {
  for (const { intercept, matcher } of routing.personal) {
    if (matcher.matches(head)) return intercept.id;
  }
  return undefined;
}
