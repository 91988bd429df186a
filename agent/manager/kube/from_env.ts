/**
 * The manager's injection, configured from its environment when it runs in a cluster: the
 * pod's service account, `TPX_AGENT_IMAGE` and `TPX_AGENT_MANAGER_ADDRESS` (both set by
 * `tpx manager install`).
 *
 * @module
 */
import { connectInCluster, type KubeConnection } from "../../../cluster/kube/mod.ts";
import type { Logger } from "../../../tunnel/log.ts";
import { kubeInjector } from "./injector.ts";
import type { AgentInjection } from "./provisioner.ts";

/** The injection and the connection it holds, to close at shutdown. */
export interface ManagerInjection extends AsyncDisposable {
  injection: AgentInjection;
  kube: KubeConnection;
}

/**
 * The injection of a manager running in a cluster.
 *
 * @param env the process's environment
 * @param agentPort the manager's agent port, for the default manager address
 * @param logger where progress and failures go
 * @returns the injection, or undefined outside a cluster (no `KUBERNETES_SERVICE_HOST`) or
 *   without `TPX_AGENT_IMAGE` (logged: intercepts then wait for agents injected by others)
 * @throws {TpxError} a `config` error when the service account cannot be used
 */
export async function injectionFromEnv(
  env: Readonly<Record<string, string>>,
  agentPort: number,
  logger: Logger,
): Promise<ManagerInjection | undefined> {
  if (!env.KUBERNETES_SERVICE_HOST) return undefined;
  const image = env.TPX_AGENT_IMAGE ?? "";
  if (image === "") {
    logger.warn("TPX_AGENT_IMAGE is not set; the manager will not inject agents");
    return undefined;
  }
  const kube = await connectInCluster(env);
  if (kube === undefined) return undefined;
  const managerAddress = env.TPX_AGENT_MANAGER_ADDRESS ||
    `tpx-manager.${kube.config.namespace}:${agentPort}`;
  const injection = kubeInjector(kube, {
    image,
    managerAddress,
    logger,
    progress: (namespace, workload, line) => logger.info(line, { namespace, workload }),
  });
  logger.info("agent injection enabled", { image, managerAddress });
  return { injection, kube, [Symbol.asyncDispose]: () => kube.close() };
}
