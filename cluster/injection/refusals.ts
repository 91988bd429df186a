/**
 * Every reason injection refuses, as {@link TpxError}s with a message that says what is wrong
 * and a hint that says what to do. Kept in one place so the wording stays consistent and the
 * tests can pin it.
 *
 * @module
 */
import { TpxError } from "../../tunnel/protocol/errors.ts";

/** The kinds of workload tpx injects into. */
export const SUPPORTED_KINDS = ["Deployment", "StatefulSet", "ReplicaSet"] as const;

/** A workload in words: `deployment "web"`. */
export type Target = string;

/**
 * A workload in words, for messages.
 *
 * @param workload kind and name
 * @returns such as `deployment "web"`
 */
export function describeTarget(workload: { kind: string; metadata: { name: string } }): Target {
  return `${workload.kind.toLowerCase()} "${workload.metadata.name}"`;
}

function refuse(target: Target, problem: string, code: string, hint: string): TpxError {
  return new TpxError("user", `Cannot intercept ${target}: ${problem}`, { code, hint });
}

/** The workload's kind has no pod template tpx can change for good. */
export function unsupportedKind(target: Target): TpxError {
  return refuse(
    target,
    `tpx injects its agent only into a ${
      SUPPORTED_KINDS.join(", ").replace(/, (?=[^,]+$)/, " or ")
    }`,
    "workload_kind_unsupported",
    "intercept the Deployment, StatefulSet or ReplicaSet whose pods receive the traffic",
  );
}

/** A ReplicaSet that a Deployment owns: the Deployment would undo the change. */
export function managedReplicaSet(target: Target, owner: string): TpxError {
  return refuse(
    target,
    `deployment "${owner}" manages it and would undo the change`,
    "workload_managed",
    `intercept deployment "${owner}" instead`,
  );
}

/** Pods on the node's network: the agent's port would open on the node itself. */
export function hostNetwork(target: Target): TpxError {
  return refuse(
    target,
    "its pods use the node's network (hostNetwork: true), so the agent's ports would open on " +
      "the node itself, where they clash with other pods and Pod Security forbids them",
    "workload_host_network",
    "tpx can intercept only pods that have a network of their own",
  );
}

/** Windows pods: the agent's image is Linux-only, and so are its security settings. */
export function windows(target: Target): TpxError {
  return refuse(
    target,
    "its pods run on Windows, and the agent runs only on Linux",
    "workload_windows",
    "intercept a workload whose pods run on Linux nodes",
  );
}

/** No Service sends traffic to the workload. */
export function noService(target: Target, namespace: string, service?: string): TpxError {
  return refuse(
    target,
    service === undefined
      ? "no Service selects its pods"
      : `Service "${service}" does not select its pods`,
    "service_not_found",
    `check the Services' selectors with "kubectl get services -n ${namespace} -o wide"`,
  );
}

/** No Service port has the requested name or number. */
export function portNotFound(target: Target, wanted: string, listed: string): TpxError {
  return refuse(
    target,
    `no Service port "${wanted}" (its Service ports: ${listed})`,
    "port_not_found",
    "pass --port with the name or number of one of them",
  );
}

/** Several Service ports lead to different ports of the app. */
export function portAmbiguous(target: Target, listed: string, example: string): TpxError {
  return refuse(
    target,
    `its Services have several ports (${listed}) and none was chosen`,
    "port_ambiguous",
    `pass --port with the name or number of one of them, such as --port ${example}`,
  );
}

/** A Service targets a port name that no container declares. */
export function namedTargetMissing(target: Target, servicePort: string, name: string): TpxError {
  return refuse(
    target,
    `${servicePort} targets port "${name}", which no container of its pods declares`,
    "target_port_not_found",
    `name a container port "${name}" or fix the Service's targetPort; meanwhile that Service ` +
      "port reaches no pod",
  );
}

/** A port name that several containers declare: the agent could not take it over. */
export function duplicatePortName(target: Target, name: string, containers: string[]): TpxError {
  return refuse(
    target,
    `containers ${containers.map((c) => `"${c}"`).join(", ")} all declare port "${name}"`,
    "port_name_duplicate",
    `give port "${name}" to one container only`,
  );
}

/** The requested container does not exist. */
export function containerNotFound(target: Target, wanted: string, names: string[]): TpxError {
  return refuse(
    target,
    `its pods have no container "${wanted}" (they have ${names.map((n) => `"${n}"`).join(", ")})`,
    "container_not_found",
    "pass --container with one of them",
  );
}

/** The port is another container's than the one requested. */
export function containerMismatch(
  target: Target,
  port: string,
  owner: string,
  wanted: string,
): TpxError {
  return refuse(
    target,
    `${port} belongs to container "${owner}", not "${wanted}"`,
    "container_mismatch",
    `pass --container ${owner}, or choose a port of "${wanted}" with --port`,
  );
}

/** No container declares a numeric target port and several could own it. */
export function containerAmbiguous(target: Target, port: string, names: string[]): TpxError {
  return refuse(
    target,
    `no container declares ${port}, and its pods have several (${names.join(", ")})`,
    "container_ambiguous",
    "pass --container with the one that listens on it",
  );
}

/** SCTP and other protocols the agent cannot front. */
export function unsupportedProtocol(target: Target, port: string, protocol: string): TpxError {
  return refuse(
    target,
    `${port} uses ${protocol}, and the agent fronts only TCP and UDP`,
    "protocol_unsupported",
    "choose a TCP or UDP port with --port",
  );
}

/** The agent already fronts one container; it cannot front a second one. */
export function otherAppContainer(target: Target, current: string, wanted: string): TpxError {
  return refuse(
    target,
    `its agent fronts container "${current}", so it cannot also front "${wanted}"`,
    "container_mismatch",
    `end the intercepts of ${target} first, or choose a port of "${current}"`,
  );
}

/** A container already has the agent's name, but no record says tpx added it. */
export function agentNameTaken(target: Target, name: string): TpxError {
  return refuse(
    target,
    `its pods already have a container "${name}" that tpx did not record`,
    "agent_name_taken",
    `remove container "${name}" from ${target}, or rename it`,
  );
}

/** A Service already routes to the agent of another workload. */
export function serviceTaken(target: Target, service: string, holder: string): TpxError {
  return refuse(
    target,
    `Service "${service}" already targets the agent of ${holder}`,
    "service_taken",
    `end the intercepts of ${holder} first`,
  );
}

/**
 * A record annotation that tpx cannot read, written by another version or edited by hand.
 *
 * @param key the annotation
 * @param name the object carrying it
 * @param problem what is wrong with it
 * @returns the error
 */
export function invalidRecord(key: string, name: string | undefined, problem: string): TpxError {
  return new TpxError(
    "cluster",
    `Cannot read annotation "${key}" of "${name ?? "?"}": ${problem}`,
    {
      code: "injection_record_invalid",
      hint: "it was written by another tpx version or edited by hand; restore or delete it " +
        'with "kubectl annotate", then undo the remaining tpx changes by hand',
    },
  );
}
