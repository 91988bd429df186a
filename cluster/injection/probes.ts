/**
 * Probes and lifecycle hooks that name a port. A named port resolves against the container's
 * own ports, so when tpx renames the app's port, every handler that named it must follow, or
 * the kubelet would fail the probe and restart or unready the app.
 *
 * @module
 */
import type { HandlerPath, ProbeChange } from "./record.ts";
import type { Container, PortHandler } from "./types.ts";

/** Every place in a container where a handler may name a port. */
export const HANDLER_PATHS: readonly HandlerPath[] = [
  "livenessProbe",
  "readinessProbe",
  "startupProbe",
  "lifecycle.postStart",
  "lifecycle.preStop",
];

/** `grpc.port` is a number by definition, so only these actions can name a port. */
const NAMED_ACTIONS = ["httpGet", "tcpSocket"] as const;

/**
 * Points the container's handlers that name port `from` at port `to`.
 *
 * @param container the container to change (a copy the caller owns)
 * @param from the old port name
 * @param to the new port name
 * @returns what was changed, for the record
 */
export function renameHandlerPorts(container: Container, from: string, to: string): ProbeChange[] {
  const changes: ProbeChange[] = [];
  for (const handler of HANDLER_PATHS) {
    const found = handlerAt(container, handler);
    for (const action of NAMED_ACTIONS) {
      const target = found?.[action];
      if (target?.port !== from) continue;
      target.port = to;
      changes.push({ container: container.name, handler, action, from, to });
    }
  }
  return changes;
}

/**
 * Undoes {@link renameHandlerPorts} where the handler still names tpx's port; a handler
 * someone changed meanwhile keeps their change.
 *
 * @param container the container to change (a copy the caller owns)
 * @param changes the recorded changes of this container
 */
export function restoreHandlerPorts(container: Container, changes: readonly ProbeChange[]): void {
  for (const change of changes) {
    const target = handlerAt(container, change.handler)?.[change.action];
    if (target?.port === change.to) target.port = change.from;
  }
}

function handlerAt(container: Container, path: HandlerPath): PortHandler | undefined {
  switch (path) {
    case "lifecycle.postStart":
      return container.lifecycle?.postStart;
    case "lifecycle.preStop":
      return container.lifecycle?.preStop;
    default:
      return container[path];
  }
}
