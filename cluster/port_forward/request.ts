/**
 * What a port-forward WebSocket needs from the kubeconfig: the URL, the credential headers and
 * an HTTP client that presents the client certificate and trusts the cluster's CA. The
 * credentials come from client-node's `KubeConfig` as configured by `cluster/kube`, so exec
 * plugins and token files go through tpx's authenticator exactly as for API calls.
 *
 * @module
 */
import type { KubeConnection } from "../kube/mod.ts";
import { TpxError } from "../../tunnel/protocol/errors.ts";
import { PortForwardErrorCode, type PortForwardTarget } from "./errors.ts";

/** A WebSocket request, ready for `new WebSocket(url, {protocols, headers, client})`. */
export interface PortForwardRequest {
  url: string;
  headers: Record<string, string>;
  /** Close it once the socket has closed. */
  client: Deno.HttpClient;
}

/** The request options client-node fills in (`applyToHTTPSOptions`). */
interface TlsOptions {
  ca?: Uint8Array;
  /** Bytes from the kubeconfig; a string from an exec plugin. */
  cert?: Uint8Array | string;
  key?: Uint8Array | string;
  headers?: Record<string, unknown>;
  auth?: string;
  rejectUnauthorized?: boolean;
  servername?: string;
}

/**
 * Builds the request for one port-forward; asks the credential plugin when there is one.
 *
 * @param kube the connection from `connectKube()`
 * @param target the pod and port
 * @returns the URL, headers and HTTP client
 * @throws {TpxError} `port_forward_unsupported` for `insecure-skip-tls-verify` or
 *   `tls-server-name` on an https server, which Deno's WebSocket cannot honour; a plugin's error
 */
export async function portForwardRequest(
  kube: KubeConnection,
  target: PortForwardTarget,
): Promise<PortForwardRequest> {
  const options: TlsOptions = {};
  await kube.call(() => kube.kubeconfig.applyToHTTPSOptions(options as never));
  const server = kube.config.server;
  const secure = server.startsWith("https:");
  if (secure && (options.rejectUnauthorized === false || options.servername)) {
    throw unsupported(kube, options.servername ? "tls-server-name" : "insecure-skip-tls-verify");
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (typeof value === "string") headers[name] = value;
  }
  if (options.auth) headers.Authorization = `Basic ${btoa(options.auth)}`;
  const text = (pem: Uint8Array | string | undefined) =>
    typeof pem === "string" ? pem : pem && new TextDecoder().decode(pem);
  const cert = text(options.cert);
  const key = text(options.key);
  const ca = text(options.ca);
  const proxy = kube.kubeconfig.getCurrentCluster()?.proxyUrl;
  // The upgrade is an HTTP/1.1 exchange; over HTTP/2 alone the API server answers the
  // WebSocket with a stream error (tried on Kubernetes 1.34).
  const client = Deno.createHttpClient({
    http1: true,
    http2: false,
    ...(ca ? { caCerts: [ca] } : {}),
    ...(cert && key ? { cert, key } : {}),
    ...(proxy ? { proxy: { url: proxy } } : {}),
  });
  const { namespace, pod, port } = target;
  const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/` +
    `${encodeURIComponent(pod)}/portforward?ports=${port}`;
  return { url: server.replace(/^http/, "ws") + path, headers, client };
}

function unsupported(kube: KubeConnection, field: string): TpxError {
  return new TpxError(
    "config",
    `Cannot open a port-forward to the cluster at "${kube.config.server}": ` +
      `"${field}" of cluster "${kube.config.cluster}" is not supported yet`,
    {
      code: PortForwardErrorCode.Unsupported,
      hint: `put the cluster's CA in "certificate-authority-data" and use the server name its ` +
        `certificate was issued for`,
    },
  );
}
