/**
 * The cluster without a cluster: a traffic-manager that knows one service by name, and a
 * traffic-agent in front of the sample service, both on loopback. As in a cluster, the
 * Service's address and port are the agent's, so an intercept changes where a request by name
 * ends up.
 *
 * @module
 */
import { silentLogger } from "../../tunnel/log.ts";
import { TcpServer } from "../../tunnel/tcp_server.ts";
import { ChildProcess } from "./children.ts";

/** Who the sample service is, in cluster terms. */
export const DEMO_SERVICE = {
  namespace: "demo",
  workload: "hello",
  /** What a person types: `http://hello.demo:PORT/`. */
  name: "hello.demo",
  fqdn: "hello.demo.svc.cluster.local",
  portName: "http",
} as const;

/** The environment the manager and agent get: this one without Kubernetes' or tpx's settings. */
export function childEnv(
  env: Record<string, string> = Deno.env.toObject(),
): Record<string, string> {
  // KUBERNETES_SERVICE_HOST would make the manager look for a cluster; TPX_* would move ports.
  return Object.fromEntries(
    Object.entries(env).filter(([name]) =>
      !name.startsWith("KUBERNETES_") && (!name.startsWith("TPX_") || name === "TPX_LOG_LEVEL")
    ),
  );
}

/**
 * `TPX_STATIC_NAMES`: the manager's answer for the sample service's name.
 *
 * @param agentPort where the agent listens, on 127.0.0.1
 * @returns the variable's value
 */
export function staticNames(agentPort: number): string {
  return JSON.stringify({
    [DEMO_SERVICE.fqdn]: {
      addresses: ["127.0.0.1"],
      ports: [{ name: DEMO_SERVICE.portName, port: agentPort, protocol: "TCP" }],
    },
  });
}

/**
 * A port on 127.0.0.1 that was free a moment ago. The agent's port must be known before
 * the manager starts (its static names carry it), and the agent needs the manager's port, so
 * one of the two is chosen up front.
 *
 * @returns the port
 */
export async function freeLoopbackPort(): Promise<number> {
  const server = TcpServer.listen({
    hostname: "127.0.0.1",
    port: 0,
    handle: () => Promise.resolve(),
    logger: silentLogger,
  });
  const port = server.port;
  await server.close();
  return port;
}

/**
 * Starts the manager on loopback ports of its choice.
 *
 * @param options the agent's port (for the static names), the log file, the signal
 * @returns the manager and its ports, once it listens
 */
export async function startManager(options: {
  agentPort: number;
  logPath: string;
  signal: AbortSignal;
}): Promise<{ process: ChildProcess; ports: { daemon: number; agent: number; api: number } }> {
  const process = await ChildProcess.start({
    subcommand: "traffic-manager",
    logPath: options.logPath,
    env: {
      ...childEnv(),
      TPX_LISTEN_HOST: "127.0.0.1",
      TPX_DAEMON_PORT: "0",
      TPX_AGENT_PORT: "0",
      TPX_API_PORT: "0",
      TPX_STATIC_NAMES: staticNames(options.agentPort),
    },
  });
  try {
    const started = await process.waitForLog("manager started", ["manager failed"], options.signal);
    return { process, ports: started.ports as { daemon: number; agent: number; api: number } };
  } catch (error) {
    await process.stop();
    throw error;
  }
}

/**
 * Starts the agent in front of the sample service.
 *
 * @param options the manager's agent port, the app's port and the agent's, the log, the signal
 * @returns the agent, once the manager has it
 */
export async function startAgent(options: {
  managerAgentPort: number;
  appPort: number;
  agentPort: number;
  logPath: string;
  signal: AbortSignal;
}): Promise<ChildProcess> {
  // The names the injection would set in a cluster (agent/traffic_agent/config.ts, AgentEnv).
  const process = await ChildProcess.start({
    subcommand: "traffic-agent",
    logPath: options.logPath,
    env: {
      ...childEnv(),
      TPX_MANAGER_ADDRESS: `127.0.0.1:${options.managerAgentPort}`,
      TPX_AGENT_PORTS: JSON.stringify([{
        name: DEMO_SERVICE.portName,
        appPort: options.appPort,
        agentPort: options.agentPort,
        protocol: "TCP",
      }]),
      TPX_NAMESPACE: DEMO_SERVICE.namespace,
      TPX_WORKLOAD: DEMO_SERVICE.workload,
      TPX_WORKLOAD_KIND: "Deployment",
      TPX_POD_NAME: `${DEMO_SERVICE.workload}-0`,
      TPX_APP_CONTAINER: "app",
      TPX_LISTEN_HOST: "127.0.0.1",
    },
  });
  try {
    await process.waitForLog("connected to the manager", ["agent failed"], options.signal);
    return process;
  } catch (error) {
    await process.stop();
    throw error;
  }
}
