/**
 * Port-forwards through the Kubernetes API: a pod's port as a byte stream, and the daemon's
 * way to its manager.
 *
 * ```ts
 * import { connectKube } from "../kube/mod.ts";
 * import { managerChannel, openPortForward } from "./mod.ts";
 *
 * await using kube = await connectKube({});
 * const echo = await openPortForward(kube, { namespace: "shop", pod: "web-7d9f", port: 8080 });
 * const connect = () => managerChannel(kube, { namespace: "tpx" });
 * ```
 *
 * @module
 */
export { openPortForward, type OpenPortForwardOptions } from "./open.ts";
export {
  findManagerPod,
  MANAGER_DAEMON_PORT,
  MANAGER_LABEL_SELECTOR,
  managerChannel,
  type ManagerChannelOptions,
  ManagerPodErrorCode,
} from "./manager_pod.ts";
export { PortForwardErrorCode, type PortForwardTarget } from "./errors.ts";
export { PORT_FORWARD_PROTOCOL } from "./protocol.ts";
