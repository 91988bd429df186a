/**
 * `tpx traffic-manager`: the manager process, configured by its environment.
 *
 * @module
 */
import { toWireError } from "../../tunnel/protocol/mod.ts";
import { envNumber, stdoutLogger, stopSignal } from "../process.ts";
import { managedNamespaces, managerKubeFromEnv } from "./kube/from_env.ts";
import { indexLookup } from "./lookup.ts";
import { staticNames } from "./static_names.ts";
import { ManagerServer } from "./server.ts";

/** The ports and timings the manager reads from its environment, with their defaults. */
export const ManagerEnv = {
  DaemonPort: ["TPX_DAEMON_PORT", 8081],
  AgentPort: ["TPX_AGENT_PORT", 8082],
  ApiPort: ["TPX_API_PORT", 8080],
  LeaseMs: ["TPX_LEASE_MS", 15_000],
  AgentIdleMs: ["TPX_AGENT_IDLE_MS", 600_000],
  AgentArrivalMs: ["TPX_AGENT_ARRIVAL_MS", 60_000],
} as const;

/**
 * Runs the manager until SIGTERM.
 *
 * @param _args unused; everything comes from the environment
 * @returns the exit code
 */
export async function main(_args: string[]): Promise<number> {
  const env = Deno.env.toObject();
  const { logger, levels } = stdoutLogger(env);
  try {
    const number = ([name, fallback]: readonly [string, number]) => envNumber(env, name, fallback);
    const agentPort = number(ManagerEnv.AgentPort);
    const namespaces = managedNamespaces(env);
    // Only in a cluster: the loopback tests run this process without Kubernetes, and then
    // answer lookups from the host's DNS.
    await using kube = await managerKubeFromEnv(env, { agentPort, logger });
    const manager = ManagerServer.start({
      hostname: env.TPX_LISTEN_HOST ?? "0.0.0.0",
      daemonPort: number(ManagerEnv.DaemonPort),
      agentPort,
      apiPort: number(ManagerEnv.ApiPort),
      leaseMs: number(ManagerEnv.LeaseMs),
      agentIdleMs: number(ManagerEnv.AgentIdleMs),
      agentArrivalMs: number(ManagerEnv.AgentArrivalMs),
      // Where restoreWorkloads looks for injected workloads; absent: every namespace.
      ...(namespaces ? { managedNamespaces: namespaces } : {}),
      logger,
      levels,
      ...(kube?.injection ? { injection: kube.injection } : {}),
      ...(kube
        ? {
          managerNamespace: kube.kube.config.namespace,
          lookup: indexLookup({ index: kube.index, clusterDomain: kube.clusterDomain }),
          // Lookups before the first list would wrongly answer "no such name".
          readiness: kube.index,
        }
        : env.TPX_STATIC_NAMES
        ? { lookup: staticNames(env.TPX_STATIC_NAMES) }
        : {}),
    });
    logger.info("manager started", { ports: manager.ports });
    const signal = await stopSignal();
    logger.info("manager stopping", { signal });
    await manager.close();
    return 0;
  } catch (error) {
    logger.error("manager failed", { error: toWireError(error) });
    return 1;
  }
}
