/**
 * Opens a port-forward to one port of a pod, through the API server.
 *
 * @module
 */
import type { ByteChannel } from "../../tunnel/protocol/byte_channel.ts";
import type { KubeConnection } from "../kube/mod.ts";
import { forwardRefused, type PortForwardTarget } from "./errors.ts";
import { PORT_FORWARD_PROTOCOL } from "./protocol.ts";
import { portForwardRequest } from "./request.ts";
import { connectPortForward, HandshakeFailedError } from "./socket_channel.ts";

/** Options of {@link openPortForward}. */
export interface OpenPortForwardOptions extends PortForwardTarget {
  /** How long the API server and the kubelet may take to set it up. Default 10 s. */
  timeoutMs?: number;
}

/**
 * A byte stream to `port` of `pod`: a WebSocket to the pod's `portforward` subresource,
 * authenticated as every other tpx call (client certificate, bearer token, exec plugin,
 * token file). Reads end (`null`) when the pod's connection ends — the pod went away — and
 * reject with a `TpxError` when the kubelet reports a failure, such as nothing
 * listening on the port.
 *
 * @param kube the connection from `connectKube()`
 * @param options namespace, pod, port and timeout
 * @returns the channel, once the kubelet named the port
 * @throws {TpxError} `port_forward_refused` (with the pod's phase when it is not running), the
 *   API's own error (pod not found, forbidden, unreachable), `port_forward_failed` or
 *   `port_forward_timeout`
 * @example
 * ```ts
 * await using kube = await connectKube({});
 * const channel = await openPortForward(kube, { namespace: "tpx", pod: "tpx-manager-abc", port: 8081 });
 * ```
 */
export async function openPortForward(
  kube: KubeConnection,
  options: OpenPortForwardOptions,
): Promise<ByteChannel> {
  const target = { namespace: options.namespace, pod: options.pod, port: options.port };
  const request = await portForwardRequest(kube, target);
  let socket: WebSocket;
  try {
    socket = new WebSocket(request.url, {
      protocols: [PORT_FORWARD_PROTOCOL],
      headers: request.headers,
      client: request.client,
    });
  } catch (error) {
    request.client.close();
    throw error;
  }
  try {
    return await connectPortForward(socket, target, {
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      onClosed: () => request.client.close(),
    });
  } catch (error) {
    if (error instanceof HandshakeFailedError) throw await diagnose(kube, target, error);
    throw error;
  }
}

/**
 * Deno's WebSocket does not show the API server's answer to a refused upgrade, so ask the API
 * about the pod: its own error (not found, forbidden, credentials) is the clearest, and a pod
 * that is not running says why a port-forward cannot work.
 */
async function diagnose(
  kube: KubeConnection,
  target: PortForwardTarget,
  cause: HandshakeFailedError,
): Promise<Error> {
  try {
    const pod = await kube.core().readNamespacedPod({
      name: target.pod,
      namespace: target.namespace,
    });
    const phase = pod.status?.phase ?? "Unknown";
    if (pod.metadata?.deletionTimestamp) {
      return forwardRefused(target, "the pod is terminating", cause);
    }
    if (phase !== "Running") {
      return forwardRefused(target, `the pod is ${phase}, not Running`, cause);
    }
    return forwardRefused(
      target,
      `the API server refused the port-forward: ${cause.message}`,
      cause,
    );
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
