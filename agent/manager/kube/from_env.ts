/**
 * What the manager does with Kubernetes, configured from its environment when it runs in a
 * cluster: the pod's service account; the watch index that answers lookups (limited to
 * `TPX_MANAGED_NAMESPACES` when set); and the injection of agents, with `TPX_AGENT_IMAGE` and
 * `TPX_AGENT_MANAGER_ADDRESS` (all set by `tpx manager install`).
 *
 * @module
 */
import { connectInCluster, type KubeConnection } from "../../../cluster/kube/mod.ts";
import {
  clusterDomainFromResolvConf,
  DEFAULT_CLUSTER_DOMAIN,
} from "../../../cluster/lookup/cluster_domain.ts";
import type { Logger } from "../../../tunnel/log.ts";
import { WatchedClusterIndex } from "./cluster_index.ts";
import { kubeInjector } from "./injector.ts";
import type { AgentInjection } from "./provisioner.ts";

/** The manager's Kubernetes parts, and the connection they hold, to close at shutdown. */
export interface ManagerKube extends AsyncDisposable {
  kube: KubeConnection;
  /** Absent without `TPX_AGENT_IMAGE`: intercepts then wait for agents injected by others. */
  injection?: AgentInjection;
  /** The Services, EndpointSlices and Namespaces lookups are answered from. */
  index: WatchedClusterIndex;
  /** Such as `cluster.local`. */
  clusterDomain: string;
}

/** Options of {@link managerKubeFromEnv}. */
export interface ManagerKubeOptions {
  /** The manager's agent port, for the default manager address. */
  agentPort: number;
  logger: Logger;
  /** Reads the pod's resolv.conf; `/etc/resolv.conf` by default. */
  readResolvConf?: () => Promise<string>;
}

/**
 * The Kubernetes parts of a manager running in a cluster. The index starts listing at once.
 *
 * @param env the process's environment
 * @param options the agent port, the logger, and where resolv.conf comes from
 * @returns the parts, or undefined outside a cluster (no `KUBERNETES_SERVICE_HOST`)
 * @throws {TpxError} a `config` error when the service account cannot be used
 */
export async function managerKubeFromEnv(
  env: Readonly<Record<string, string>>,
  options: ManagerKubeOptions,
): Promise<ManagerKube | undefined> {
  const { logger } = options;
  if (!env.KUBERNETES_SERVICE_HOST) return undefined;
  const kube = await connectInCluster(env);
  if (kube === undefined) return undefined;
  const namespaces = managedNamespaces(env);
  const clusterDomain = await clusterDomainOf(env, options.readResolvConf);
  const index = WatchedClusterIndex.start(kube, {
    namespaces,
    logger: logger.child({ component: "lookup" }),
  });
  logger.info("lookups answered from watches", {
    clusterDomain,
    namespaces: namespaces ?? "all",
  });
  const injection = injectionOf(env, kube, options);
  return {
    kube,
    ...(injection ? { injection } : {}),
    index,
    clusterDomain,
    [Symbol.asyncDispose]: async () => {
      index.stop();
      await kube.close();
    },
  };
}

/**
 * The namespaces of `TPX_MANAGED_NAMESPACES`.
 *
 * @param env the process's environment
 * @returns the names (comma-separated in the variable), or undefined when it is unset or empty
 */
export function managedNamespaces(env: Readonly<Record<string, string>>): string[] | undefined {
  const names = (env.TPX_MANAGED_NAMESPACES ?? "").split(",").map((n) => n.trim()).filter(Boolean);
  return names.length > 0 ? [...new Set(names)] : undefined;
}

/**
 * The cluster domain: `TPX_CLUSTER_DOMAIN`, else what the pod's resolv.conf search list says,
 * else `cluster.local`.
 *
 * @param env the process's environment
 * @param readResolvConf reads the pod's resolv.conf; `/etc/resolv.conf` by default
 * @returns the domain, without a trailing dot
 */
export async function clusterDomainOf(
  env: Readonly<Record<string, string>>,
  readResolvConf: () => Promise<string> = () => Deno.readTextFile("/etc/resolv.conf"),
): Promise<string> {
  const configured = env.TPX_CLUSTER_DOMAIN?.trim().replace(/\.$/, "");
  if (configured) return configured;
  const text = await readResolvConf().catch(() => "");
  return clusterDomainFromResolvConf(text) ?? DEFAULT_CLUSTER_DOMAIN;
}

function injectionOf(
  env: Readonly<Record<string, string>>,
  kube: KubeConnection,
  options: ManagerKubeOptions,
): AgentInjection | undefined {
  const image = env.TPX_AGENT_IMAGE ?? "";
  const logger = options.logger.child({ component: "injection" });
  if (image === "") {
    logger.warn("TPX_AGENT_IMAGE is not set; the manager will not inject agents");
    return undefined;
  }
  const managerAddress = env.TPX_AGENT_MANAGER_ADDRESS ||
    `tpx-manager.${kube.config.namespace}:${options.agentPort}`;
  const injection = kubeInjector(kube, {
    image,
    managerAddress,
    logger,
    progress: (namespace, workload, line) => logger.info(line, { namespace, workload }),
  });
  logger.info("agent injection enabled", { image, managerAddress });
  return injection;
}
