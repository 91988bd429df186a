/**
 * Kubeconfig loading and authentication for the daemon and the manager, the way kubectl does
 * it, with errors that name the problem and the fix. Importing this module is cheap: it loads
 * `@kubernetes/client-node` only when {@link connectKube} or {@link loadKube} runs.
 *
 * ```ts
 * import { connectKube } from "./cluster/kube/mod.ts";
 *
 * await using kube = await connectKube({ context: "dev", namespace: "shop" });
 * await kube.checkReachable(5_000);
 * const pods = await kube.core().listNamespacedPod({ namespace: kube.config.namespace });
 * ```
 *
 * @module
 */

export { connectKube, type KubeConnection } from "./connect.ts";
export { connectInCluster, inClusterKubeconfig, SERVICE_ACCOUNT_DIR } from "./in_cluster.ts";
export { type KubeConnectionInfo, type KubeOptions, type LoadedKube, loadKube } from "./load.ts";
export {
  ApiErrorCode,
  type AuthKind,
  KubeApiError,
  type KubeErrorContext,
  toKubeError,
} from "./api_errors.ts";
export { KubeConfigErrorCode } from "./config_errors.ts";
export { EXEC_API_VERSIONS, ExecErrorCode } from "./exec_errors.ts";
export { NetworkErrorCode } from "./network_errors.ts";
