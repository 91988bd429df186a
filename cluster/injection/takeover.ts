/**
 * How each taken app port is routed to the agent, without touching the Services' selectors:
 *
 * - a Service port that targets the app's port by NAME keeps its target; the app's port is
 *   renamed (and the app's probes follow it), and the agent declares the original name;
 * - a Service port that targets it by NUMBER (or not at all: the same as its port) is pointed
 *   at a named port of the agent, such as `tpx-8080`.
 *
 * @module
 */
import type { AppPort } from "./choose_port.ts";
import { derivePortName } from "./port_names.ts";
import { renameHandlerPorts } from "./probes.ts";
import type { PortRename, ProbeChange, RetargetedPort, TakenPort } from "./record.ts";
import * as refuse from "./refusals.ts";
import { type Route, routesTo } from "./routes.ts";
import type { Container, PodSpec } from "./types.ts";

/** What the takeover changed or has to change. */
export interface Takeover {
  ports: TakenPort[];
  renamedPorts: PortRename[];
  probes: ProbeChange[];
  /** The Service ports to point at the agent, by Service name, with their index. */
  retargets: Map<string, (RetargetedPort & { index: number })[]>;
}

/** The first agent port tried unless the caller says otherwise. */
export const DEFAULT_AGENT_PORT_BASE = 9900;

/**
 * Plans the takeover of the app ports and renames the app's ports and probes on the way.
 *
 * @param target the workload in words, for messages
 * @param pod the pod spec, a copy the caller owns: the app container's ports and probes change
 * @param app the app container, inside `pod`
 * @param routes every route of the Services that select the pod, resolved against `pod`
 * @param appPorts the app ports to take, all of `app`
 * @param agentPortBase the first port number the agent may listen on
 * @returns the ports the agent fronts and the changes made or to make
 * @throws {TpxError} when another container declares a port name the agent must take
 */
export function takeOver(
  target: refuse.Target,
  pod: PodSpec,
  app: Container,
  routes: readonly Route[],
  appPorts: readonly AppPort[],
  agentPortBase: number,
): Takeover {
  const all = [...pod.initContainers ?? [], ...pod.containers];
  const names = new Set(all.flatMap((c) => c.ports ?? []).flatMap((p) => p.name ?? []));
  const nextPort = portAllocator(agentPortBase, usedPorts(all, routes));
  const takeover: Takeover = { ports: [], renamedPorts: [], probes: [], retargets: new Map() };
  for (const { appPort, protocol } of appPorts) {
    const reaching = routesTo(routes, appPort, protocol);
    const named = reaching.find((r) => r.targetName !== undefined && r.owner === app.name);
    let agentPortName: string;
    if (named?.targetName !== undefined) {
      agentPortName = named.targetName;
      const others = all.filter((c) => c !== app && c.ports?.some((p) => p.name === agentPortName));
      if (others.length > 0) {
        throw refuse.duplicatePortName(target, agentPortName, [app, ...others].map((c) => c.name));
      }
      const renamed = derivePortName("tpx-app", agentPortName, names);
      names.add(renamed);
      app.ports = app.ports!.map((p) => p.name === agentPortName ? { ...p, name: renamed } : p);
      takeover.renamedPorts.push({ container: app.name, from: agentPortName, to: renamed });
      takeover.probes.push(...renameHandlerPorts(app, agentPortName, renamed));
    } else {
      const stem = protocol === "TCP" ? `${appPort}` : `${protocol.toLowerCase()}-${appPort}`;
      agentPortName = derivePortName("tpx", stem, names);
      names.add(agentPortName);
    }
    for (const route of reaching.filter((r) => r.targetName !== agentPortName)) {
      const list = takeover.retargets.get(route.service) ?? [];
      list.push({
        index: route.index,
        port: route.port.port,
        protocol: route.protocol,
        original: route.port.targetPort ?? null,
        targetPort: agentPortName,
      });
      takeover.retargets.set(route.service, list);
    }
    const name = reaching.find((r) => r.port.name !== undefined)?.port.name;
    takeover.ports.push({
      ...(name === undefined ? {} : { name }),
      appPort,
      agentPort: nextPort(),
      protocol,
      agentPortName,
    });
  }
  return takeover;
}

/**
 * Port numbers the pod already uses or may use: the agent shares the pod's network, so it must
 * not listen on any of them.
 */
function usedPorts(containers: readonly Container[], routes: readonly Route[]): Set<number> {
  const used = new Set<number>(routes.flatMap((r) => r.appPort ?? []));
  for (const container of containers) {
    for (const port of container.ports ?? []) used.add(port.containerPort);
    const handlers = [
      container.livenessProbe,
      container.readinessProbe,
      container.startupProbe,
      container.lifecycle?.postStart,
      container.lifecycle?.preStop,
    ];
    for (const handler of handlers) {
      for (const port of [handler?.httpGet?.port, handler?.tcpSocket?.port, handler?.grpc?.port]) {
        if (typeof port === "number") used.add(port);
      }
    }
  }
  return used;
}

function portAllocator(base: number, used: Set<number>): () => number {
  let next = base;
  return () => {
    while (used.has(next)) next++;
    if (next > 65535) throw new RangeError(`No free agent port from ${base} up`);
    used.add(next);
    return next;
  };
}
