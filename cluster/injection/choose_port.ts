/**
 * Which app port an intercept takes, from the user's `--service`, `--port` and `--container`.
 * Service ports are grouped by the app port they reach: two Services (or a named and a numeric
 * target) that lead to the same port are one choice, not an ambiguity.
 *
 * @module
 */
import * as refuse from "./refusals.ts";
import { describeRoute, isAgentProtocol, type Route } from "./routes.ts";
import type { AgentProtocol, PodSpec } from "./types.ts";

/** What the user chose; every field is optional. */
export interface PortChoice {
  /** The Service, when several select the workload and only one should count. */
  service?: string;
  /** Name or number of the Service port. Default: the only one. */
  servicePort?: string;
  /** The app container. Default: the one that owns the port. */
  container?: string;
}

/** The app port that is taken over. */
export interface AppPort {
  appPort: number;
  protocol: AgentProtocol;
  container: string;
}

/**
 * Picks the app port.
 *
 * @param target the workload in words, for messages
 * @param routes every route of the Services that select the workload
 * @param pod its pod spec
 * @param choice what the user chose
 * @returns the app port, its protocol and the container that serves it
 * @throws {TpxError} (category `user`) when nothing or more than one port fits, or the
 * container or protocol does not
 */
export function choosePort(
  target: refuse.Target,
  routes: readonly Route[],
  pod: PodSpec,
  choice: PortChoice,
): AppPort {
  const names = pod.containers.map((c) => c.name);
  if (choice.container !== undefined && !names.includes(choice.container)) {
    throw refuse.containerNotFound(target, choice.container, names);
  }
  const several = new Set(routes.map((r) => r.service)).size > 1;
  const listed = routes.map((r) => describeRoute(r, several)).join(", ");
  let pool = routes;
  if (choice.servicePort !== undefined) {
    const wanted = choice.servicePort;
    pool = pool.filter((r) => r.port.name === wanted || String(r.port.port) === wanted);
    if (pool.length === 0) throw refuse.portNotFound(target, wanted, listed);
  }
  const groups = groupByAppPort(pool);
  const mine = groups.filter((g) =>
    g.every((r) => r.owner === undefined || r.owner === choice.container)
  );
  const [group, ...others] = choice.container !== undefined && mine.length === 1 ? mine : groups;
  if (!group || others.length > 0) {
    const first = pool[0]!;
    throw refuse.portAmbiguous(target, listed, first.port.name ?? String(first.port.port));
  }
  const route = group.find((r) => r.owner !== undefined) ?? group[0]!;
  const where = `Service "${route.service}" port ${describeRoute(route, false)}`;
  if (route.appPort === undefined) {
    throw refuse.namedTargetMissing(target, where, route.targetName!);
  }
  if (!isAgentProtocol(route.protocol)) {
    throw refuse.unsupportedProtocol(target, where, route.protocol);
  }
  return {
    appPort: route.appPort,
    protocol: route.protocol,
    container: appContainer(target, route, names, choice.container),
  };
}

function groupByAppPort(routes: readonly Route[]): Route[][] {
  const groups = new Map<string, Route[]>();
  for (const route of routes) {
    // A route whose named target matches nothing is a group of its own.
    const key = route.appPort === undefined
      ? `missing:${route.service}:${route.index}`
      : `${route.appPort}/${route.protocol}`;
    groups.set(key, [...groups.get(key) ?? [], route]);
  }
  return [...groups.values()];
}

function appContainer(
  target: refuse.Target,
  route: Route,
  names: string[],
  wanted: string | undefined,
): string {
  const port = `port ${route.appPort}/${route.protocol}`;
  if (route.owner !== undefined) {
    if (wanted !== undefined && wanted !== route.owner) {
      throw refuse.containerMismatch(target, port, route.owner, wanted);
    }
    return route.owner;
  }
  // A numeric target port need not be declared; then only the user or a lone container can
  // say who listens on it.
  if (wanted !== undefined) return wanted;
  if (names.length === 1) return names[0]!;
  throw refuse.containerAmbiguous(target, port, names);
}
