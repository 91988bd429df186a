/**
 * The one entry point to the Kubernetes API: typed clients whose failures are already
 * {@link TpxError}s, and which run a credential plugin again (or re-read a token file) once
 * when the server answers 401, as kubectl does.
 *
 * @module
 */

import type {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
} from "@kubernetes/client-node";
import { type KubeConnectionInfo, type KubeOptions, loadKube } from "./load.ts";
import { reuseDispatchers } from "./dispatcher_cache.ts";
import { guardApi, kubeCaller } from "./guarded_call.ts";
import { noAnswer } from "./network_errors.ts";

/** A connection to one cluster, as {@link connectKube} returns it. */
export interface KubeConnection extends AsyncDisposable {
  /** What was resolved from the kubeconfig and flags. */
  config: KubeConnectionInfo;
  /** client-node's configuration, for watches and port-forwards. */
  kubeconfig: KubeConfig;
  core(): CoreV1Api;
  apps(): AppsV1Api;
  rbac(): RbacAuthorizationV1Api;
  /**
   * The server's version, such as `v1.31.2`.
   *
   * @throws {TpxError} mapped by `toKubeError()`
   */
  version(): Promise<string>;
  /**
   * GETs `/version` within `timeoutMs`, to fail early with a clear error.
   *
   * @returns the server's version
   * @throws {TpxError} `cluster_unreachable` (saying how long it waited), a certificate
   *   error, `credentials_rejected`, or another mapped error
   */
  checkReachable(timeoutMs: number): Promise<string>;
  /**
   * Runs a client-node call with the same 401 retry and error mapping as the typed clients,
   * for calls made outside them (watches, custom objects).
   */
  call<T>(request: () => Promise<T>): Promise<T>;
  /** Closes the connections to the API server; requests still running fail. */
  close(): Promise<void>;
}

/**
 * Loads the kubeconfig and returns typed API clients. Imports client-node lazily, so only the
 * daemon and the manager pay for it.
 *
 * @param options the `--kubeconfig`, `--context` and `-n` flags and the environment
 * @returns the connection; nothing is sent to the cluster yet
 * @throws {TpxError} a `config` error when the kubeconfig cannot be used
 * @example
 * ```ts
 * const kube = await connectKube({ namespace: "shop" });
 * await kube.checkReachable(5_000);
 * const pods = await kube.core().listNamespacedPod({ namespace: kube.config.namespace });
 * ```
 */
export async function connectKube(options: KubeOptions = {}): Promise<KubeConnection> {
  const client = await import("@kubernetes/client-node");
  const { config, kubeconfig, authenticator } = await loadKube(options);
  const call = kubeCaller(config, authenticator);
  const pool = reuseDispatchers(kubeconfig);

  async function version(signal?: AbortSignal): Promise<string> {
    const api = kubeconfig.makeApiClient(client.VersionApi);
    // Per-call middleware is how client-node lets a request carry an AbortSignal.
    const options = signal && {
      middleware: [{
        pre: (request: { setSignal(signal: AbortSignal): void }) => {
          request.setSignal(signal);
          return new client.Observable(Promise.resolve(request));
        },
        post: <R>(response: R) => new client.Observable(Promise.resolve(response)),
      }],
      middlewareMergeStrategy: "append" as const,
    };
    // deno-lint-ignore no-explicit-any -- client-node types the middleware's context loosely
    const info = await call(() => api.getCode({}, options as any), "getCode");
    return info.gitVersion;
  }

  return {
    config,
    kubeconfig,
    core: () => guardApi(kubeconfig.makeApiClient(client.CoreV1Api), call),
    apps: () => guardApi(kubeconfig.makeApiClient(client.AppsV1Api), call),
    rbac: () => guardApi(kubeconfig.makeApiClient(client.RbacAuthorizationV1Api), call),
    version: () => version(),
    checkReachable: (timeoutMs) =>
      withDeadline(version, timeoutMs, (cause) => noAnswer(config, timeoutMs, cause)),
    call: (request) => call(request),
    close: () => pool.close(),
    [Symbol.asyncDispose]: () => pool.close(),
  };
}

/**
 * Runs `run`, aborting its signal and failing with `timeout()` after `timeoutMs`. The signal
 * aborts the request, but undici under Deno does not abort reading a body that stalls after
 * the headers, so the deadline is also raced.
 */
async function withDeadline<T>(
  run: (signal: AbortSignal) => Promise<T>,
  timeoutMs: number,
  timeout: (cause?: unknown) => Error,
): Promise<T> {
  const abort = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(timeout());
    }, timeoutMs);
  });
  const running = run(abort.signal);
  try {
    return await Promise.race([running, deadline]);
  } catch (error) {
    if (abort.signal.aborted) throw timeout(error);
    throw error;
  } finally {
    clearTimeout(timer);
    running.catch(() => {}); // A failure after the deadline is already reported.
  }
}
