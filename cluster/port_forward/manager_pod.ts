/**
 * Finds the manager pod a daemon should reach, and opens its tunnel port through a
 * port-forward: what the daemon passes as `connect` to its manager client, so that each
 * reconnect finds the pod that runs now.
 *
 * @module
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { ByteChannel } from "../../tunnel/protocol/byte_channel.ts";
import { TpxError } from "../../tunnel/protocol/errors.ts";
import type { KubeConnection } from "../kube/mod.ts";
import { openPortForward } from "./open.ts";

/** The label of the manager's pods. */
export const MANAGER_LABEL_SELECTOR = "app.kubernetes.io/name=tpx-manager";
/** The manager's port for daemons' tunnels (`TPX_DAEMON_PORT`). */
export const MANAGER_DAEMON_PORT = 8081;

/** Stable codes of the errors in this module. */
export const ManagerPodErrorCode = {
  /** No pod matches, or none of them is Ready. */
  NotReady: "manager_not_ready",
} as const;

/**
 * The newest Ready, not terminating pod that matches `labelSelector`.
 *
 * @param kube the connection from `connectKube()`
 * @param namespace the manager's namespace
 * @param labelSelector such as {@link MANAGER_LABEL_SELECTOR}
 * @returns the pod's name
 * @throws {TpxError} `manager_not_ready` (retryable) naming each pod and its status, or the
 *   API's error
 * @example
 * ```ts
 * const pod = await findManagerPod(kube, "tpx", MANAGER_LABEL_SELECTOR);
 * ```
 */
export async function findManagerPod(
  kube: KubeConnection,
  namespace: string,
  labelSelector: string,
): Promise<string> {
  const list = await kube.core().listNamespacedPod({ namespace, labelSelector });
  const ready = list.items.filter(isReady).sort((a, b) => created(b) - created(a));
  const name = ready[0]?.metadata?.name;
  if (name !== undefined) return name;
  const where = `in namespace "${namespace}" with labels "${labelSelector}"`;
  if (list.items.length === 0) {
    throw new TpxError("cluster", `No manager pod ${where}`, {
      code: ManagerPodErrorCode.NotReady,
      retryable: true,
      hint: `check the manager's Deployment: kubectl get deployments -n ${namespace}`,
    });
  }
  const statuses = list.items.map((pod) => `"${pod.metadata?.name}" ${describe(pod)}`);
  throw new TpxError("cluster", `No ready manager pod ${where}: ${statuses.join(", ")}`, {
    code: ManagerPodErrorCode.NotReady,
    retryable: true,
    hint: `see why: kubectl describe pods -n ${namespace} -l ${labelSelector}`,
  });
}

/** Options of {@link managerChannel}. */
export interface ManagerChannelOptions {
  namespace: string;
  /** Default {@link MANAGER_LABEL_SELECTOR}. */
  labelSelector?: string;
  /** Default {@link MANAGER_DAEMON_PORT}. */
  port?: number;
  /** Passed to {@link openPortForward}. */
  timeoutMs?: number;
}

/**
 * A tunnel channel to the manager: picks the current Ready pod, then port-forwards to its
 * daemon port. Call it again for each connection.
 *
 * @param kube the connection from `connectKube()`
 * @param options the manager's namespace, and overrides
 * @returns the channel
 * @throws {TpxError} from {@link findManagerPod} or {@link openPortForward}
 * @example
 * ```ts
 * const client = new ManagerClient({ connect: () => managerChannel(kube, { namespace: "tpx" }), ... });
 * ```
 */
export async function managerChannel(
  kube: KubeConnection,
  options: ManagerChannelOptions,
): Promise<ByteChannel> {
  const { namespace } = options;
  const pod = await findManagerPod(
    kube,
    namespace,
    options.labelSelector ?? MANAGER_LABEL_SELECTOR,
  );
  return await openPortForward(kube, {
    namespace,
    pod,
    port: options.port ?? MANAGER_DAEMON_PORT,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}

function isReady(pod: V1Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (pod.status?.phase !== "Running") return false;
  return pod.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

function created(pod: V1Pod): number {
  const time = pod.metadata?.creationTimestamp;
  return time ? new Date(time).getTime() : 0;
}

/** `Pending (ContainerCreating)`, `Running, not ready`, `terminating`. */
function describe(pod: V1Pod): string {
  if (pod.metadata?.deletionTimestamp) return "terminating";
  const phase = pod.status?.phase ?? "Unknown";
  const waiting = pod.status?.containerStatuses?.map((c) => c.state?.waiting?.reason)
    .filter((reason): reason is string => reason !== undefined) ?? [];
  if (waiting.length > 0) return `${phase} (${waiting.join(", ")})`;
  return phase === "Running" ? "Running, not ready" : phase;
}
