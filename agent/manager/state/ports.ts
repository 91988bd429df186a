/**
 * Which port of a workload an intercept takes. The default resolver knows only the agents'
 * ports; a Kubernetes-aware one (service ports, target ports) can replace it.
 *
 * @module
 */
import { type InterceptSpec, TpxError } from "../../../tunnel/protocol/mod.ts";
import type { AgentPort, WorkloadKind } from "./agents.ts";

/** What a {@link PortResolver} is asked. */
export interface PortRequest {
  spec: InterceptSpec;
  /** The kind of the workload named by `spec.workload`. */
  kind: WorkloadKind;
  /** The distinct ports that the workload's agents front; never empty of agents. */
  ports: readonly AgentPort[];
}

/**
 * Picks the agent port an intercept takes. Synchronous, so that creating an intercept stays
 * one atomic step; a resolver that needs the Kubernetes API reads it from a watch cache.
 *
 * @throws {TpxError} (category `user`) when no port, or more than one, fits
 */
export type PortResolver = (request: PortRequest) => AgentPort;

/**
 * The default {@link PortResolver}: `servicePort` names a port, or is the number of its
 * application port; without `servicePort`, the only port.
 *
 * @example
 * ```ts
 * const http = { name: "http", appPort: 8080, agentPort: 9900, protocol: "TCP" } as const;
 * resolveAgentPort({ spec: { ...spec, servicePort: "8080" }, kind: "Deployment", ports: [http] });
 * // http
 * ```
 */
export function resolveAgentPort(request: PortRequest): AgentPort {
  const { spec, ports } = request;
  const target = `${request.kind.toLowerCase()}/${spec.workload}`;
  const listed = ports.map(describePort).join(", ");
  if (spec.servicePort !== undefined) {
    const wanted = spec.servicePort;
    const port = ports.find((p) => p.name === wanted) ??
      (/^\d+$/.test(wanted) ? ports.find((p) => p.appPort === Number(wanted)) : undefined);
    if (port) return port;
    throw new TpxError(
      "user",
      `Cannot intercept "${spec.name}": ${target} has no port "${wanted}"` +
        (ports.length > 0 ? ` (its ports: ${listed})` : ""),
      { code: "port_not_found", hint: `run "tpx list -n ${spec.namespace}"` },
    );
  }
  const [only, ...others] = ports;
  if (only && others.length === 0) return only;
  if (!only) {
    throw new TpxError("user", `Cannot intercept "${spec.name}": ${target} has no ports`, {
      code: "port_not_found",
    });
  }
  throw new TpxError(
    "user",
    `Cannot intercept "${spec.name}": ${target} has several ports (${listed}) and none was chosen`,
    {
      code: "port_ambiguous",
      hint: `choose one with -p LOCAL:PORT, such as -p 8080:${only.name ?? only.appPort}`,
    },
  );
}

/**
 * A port in words, for messages.
 *
 * @param port the port
 * @returns such as `"http" 8080/TCP` or `9090/UDP`
 */
export function describePort(port: AgentPort): string {
  const number = `${port.appPort}/${port.protocol}`;
  return port.name === undefined ? number : `"${port.name}" ${number}`;
}
