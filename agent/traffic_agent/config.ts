/**
 * The agent's configuration, read from the environment the injection sets (issue 5 writes
 * these variables into the agent container; everything else in its environment is a copy of
 * the app container's and is reported to the manager as such).
 *
 * @module
 */
import { isRuntimeVariable } from "../../cluster/injection/agent_container.ts";
import { TpxError } from "../../tunnel/protocol/mod.ts";

/** A port the agent fronts: it listens on `agentPort` and the app listens on `appPort`. */
export interface FrontedPort {
  name?: string;
  appPort: number;
  agentPort: number;
  protocol: "TCP" | "UDP";
}

/** Everything the agent needs to know. */
export interface AgentConfig {
  managerHost: string;
  managerPort: number;
  ports: FrontedPort[];
  namespace: string;
  workload: string;
  workloadKind: "Deployment" | "StatefulSet" | "ReplicaSet";
  pod: string;
  podIp: string;
  container: string;
  mounts: string[];
  /** The app container's environment, as the injection copied it. */
  appEnv: Record<string, string>;
  /** Where the agent's listeners bind. */
  listenHost: string;
  /** Where the app listens, from the agent's side of the pod's network. */
  appHost: string;
}

/** The variables the agent reads; the injection sets them. */
export const AgentEnv = {
  ManagerAddress: "TPX_MANAGER_ADDRESS",
  Ports: "TPX_AGENT_PORTS",
  Namespace: "TPX_NAMESPACE",
  Workload: "TPX_WORKLOAD",
  WorkloadKind: "TPX_WORKLOAD_KIND",
  Pod: "TPX_POD_NAME",
  PodIp: "TPX_POD_IP",
  Container: "TPX_APP_CONTAINER",
  Mounts: "TPX_APP_MOUNTS",
  ListenHost: "TPX_LISTEN_HOST",
  AppHost: "TPX_APP_HOST",
} as const;

const kinds = ["Deployment", "StatefulSet", "ReplicaSet"] as const;

/**
 * Reads the configuration.
 *
 * @param env the environment, as `Deno.env.toObject()` gives it
 * @returns the configuration
 * @throws {TpxError} naming the variable that is missing or wrong
 */
export function readAgentConfig(env: Record<string, string>): AgentConfig {
  const required = (name: string) => {
    const value = env[name]?.trim();
    if (!value) throw configError(name, "is not set");
    return value;
  };
  const [managerHost, managerPort] = splitHostPort(required(AgentEnv.ManagerAddress));
  const kind = required(AgentEnv.WorkloadKind);
  if (!(kinds as readonly string[]).includes(kind)) {
    throw configError(AgentEnv.WorkloadKind, `is "${kind}", not one of ${kinds.join(", ")}`);
  }
  const appEnv = Object.fromEntries(
    Object.entries(env).filter(([name]) =>
      !name.startsWith("TPX_") &&
      // The image's own, set after the app's copy: reported as the app's, they would point a
      // developer's `tpx intercept -- deno …` at the image's read-only cache.
      !isRuntimeVariable(name)
    ),
  );
  return {
    managerHost,
    managerPort,
    ports: parsePorts(required(AgentEnv.Ports)),
    namespace: required(AgentEnv.Namespace),
    workload: required(AgentEnv.Workload),
    workloadKind: kind as AgentConfig["workloadKind"],
    pod: required(AgentEnv.Pod),
    podIp: env[AgentEnv.PodIp]?.trim() || "127.0.0.1",
    container: required(AgentEnv.Container),
    mounts: parseMounts(env[AgentEnv.Mounts] ?? "[]"),
    appEnv,
    listenHost: env[AgentEnv.ListenHost]?.trim() || "0.0.0.0",
    appHost: env[AgentEnv.AppHost]?.trim() || "127.0.0.1",
  };
}

function parsePorts(text: string): FrontedPort[] {
  const ports = parseJson(text, AgentEnv.Ports);
  if (!Array.isArray(ports)) throw configError(AgentEnv.Ports, "is not a JSON array");
  if (ports.length === 0) throw configError(AgentEnv.Ports, "lists no port");
  return ports.map((port: unknown, i: number) => {
    const p = port as Partial<FrontedPort>;
    const valid = typeof p === "object" && p !== null && isPort(p.appPort) &&
      isPort(p.agentPort) && (p.protocol === "TCP" || p.protocol === "UDP") &&
      (p.name === undefined || typeof p.name === "string");
    if (!valid) {
      throw configError(
        AgentEnv.Ports,
        `item ${i} must be {"name"?, "appPort", "agentPort", "protocol": "TCP"|"UDP"}`,
      );
    }
    const fronted: FrontedPort = {
      appPort: p.appPort!,
      agentPort: p.agentPort!,
      protocol: p.protocol!,
    };
    if (p.name !== undefined) fronted.name = p.name;
    return fronted;
  });
}

function parseMounts(text: string): string[] {
  const mounts = parseJson(text, AgentEnv.Mounts);
  if (!Array.isArray(mounts) || !mounts.every((m) => typeof m === "string")) {
    throw configError(AgentEnv.Mounts, "is not a JSON array of paths");
  }
  return mounts;
}

function parseJson(text: string, name: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw configError(name, "is not valid JSON");
  }
}

function isPort(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 65535;
}

/**
 * Splits `host:port` (`[v6]:port` too).
 *
 * @param address the address
 * @returns host and port
 * @throws {TpxError} when it is not of that form
 */
export function splitHostPort(address: string): [string, number] {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address);
  const port = Number(match?.[3]);
  if (!match || !isPort(port)) {
    throw configError(AgentEnv.ManagerAddress, `is "${address}", not host:port`);
  }
  return [match[1] ?? match[2]!, port];
}

function configError(variable: string, problem: string): TpxError {
  return new TpxError("config", `Agent configuration: ${variable} ${problem}`, {
    code: "agent_config",
    hint: 'the injection sets it; run "tpx uninstall" for the workload and intercept again',
  });
}
