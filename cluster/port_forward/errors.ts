/**
 * The errors of a port-forward, each naming the pod and the port.
 *
 * @module
 */
import { TpxError } from "../../tunnel/protocol/errors.ts";
import { kubeletReason } from "./protocol.ts";

/** Stable codes of the errors in this module. */
export const PortForwardErrorCode = {
  /** The kubelet could not connect to the port inside the pod, or lost that connection. */
  Failed: "port_forward_failed",
  /** The API server did not upgrade the request to a port-forward WebSocket. */
  Refused: "port_forward_refused",
  /** The port frames did not arrive in time. */
  Timeout: "port_forward_timeout",
  /** The other end does not speak the port-forward protocol. */
  Protocol: "port_forward_protocol",
  /** The kubeconfig asks for something a port-forward cannot do. */
  Unsupported: "port_forward_unsupported",
} as const;

/** Which pod and port, for messages. */
export interface PortForwardTarget {
  namespace: string;
  pod: string;
  port: number;
}

function subject(target: PortForwardTarget): string {
  return `Cannot forward to port ${target.port} of pod "${target.namespace}/${target.pod}"`;
}

/**
 * What the kubelet reported on the error channel.
 *
 * @param target the pod and port
 * @param text the kubelet's text
 * @returns a retryable cluster error; the kubelet's whole text is its cause
 */
export function forwardFailed(target: PortForwardTarget, text: string): TpxError {
  const reason = kubeletReason(text);
  const refused = /connection refused/i.test(reason);
  const detail = refused ? "nothing listens on that port in the pod (connection refused)" : reason;
  return new TpxError("cluster", `${subject(target)}: ${detail}`, {
    code: PortForwardErrorCode.Failed,
    retryable: true,
    cause: new Error(text),
    ...(refused
      ? {
        hint: `check that a container of the pod listens on port ${target.port}: ` +
          `kubectl get pod ${target.pod} -n ${target.namespace} -o yaml`,
      }
      : {}),
  });
}

/**
 * The WebSocket handshake failed for a reason the API said nothing more about.
 *
 * @param target the pod and port
 * @param reason what is known, such as the pod's phase
 * @param cause what the WebSocket reported
 * @returns a retryable cluster error
 */
export function forwardRefused(
  target: PortForwardTarget,
  reason: string,
  cause: unknown,
): TpxError {
  return new TpxError("cluster", `${subject(target)}: ${reason}`, {
    code: PortForwardErrorCode.Refused,
    retryable: true,
    hint: `the user needs permission to "create" "pods/portforward" in namespace ` +
      `"${target.namespace}"; "kubectl auth can-i create pods/portforward -n ${target.namespace}" checks it`,
    cause,
  });
}

/**
 * The port frames did not arrive within `waitedMs`.
 *
 * @param target the pod and port
 * @param waitedMs how long tpx waited
 * @returns a retryable cluster error
 */
export function forwardTimeout(target: PortForwardTarget, waitedMs: number): TpxError {
  return new TpxError("cluster", `${subject(target)}: no answer after ${waitedMs / 1000} s`, {
    code: PortForwardErrorCode.Timeout,
    retryable: true,
  });
}

/**
 * The server broke the port-forward protocol.
 *
 * @param target the pod and port
 * @param cause the {@link PortForwardProtocolError}
 * @returns a cluster error
 */
export function forwardProtocol(target: PortForwardTarget, cause: Error): TpxError {
  return new TpxError("cluster", `${subject(target)}: ${cause.message}`, {
    code: PortForwardErrorCode.Protocol,
    cause,
  });
}
