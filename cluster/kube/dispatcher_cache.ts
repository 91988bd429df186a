/**
 * Makes client-node reuse its HTTP connection pool. client-node 2.0.1 builds a new undici
 * `Agent` for every request that carries TLS options (a CA, a client certificate,
 * `insecure-skip-tls-verify`) and never closes it: each call pays a new TLS handshake and
 * leaves an idle socket behind. This keeps one agent per distinct set of TLS options.
 *
 * @module
 */

import type { KubeConfig } from "@kubernetes/client-node";

/** The part of an undici dispatcher this module uses. */
interface Dispatcher {
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/** client-node's private factory, which this module wraps. */
interface DispatcherFactory {
  createDispatcher(cluster: unknown, options: Record<string, unknown>): Dispatcher | undefined;
}

/** Closes the connection pool that {@link reuseDispatchers} keeps. */
export interface DispatcherPool {
  /** Closes the pool's sockets at once, failing requests still running. */
  close(): Promise<void>;
}

/**
 * Wraps `kubeconfig` so that requests share one connection pool while the TLS options stay
 * the same. A credential plugin that hands out a new client certificate gets a new pool; the
 * old one is closed once its requests finish.
 *
 * @param kubeconfig a client-node configuration, changed in place
 * @returns a handle that closes the pool
 * @example
 * ```ts
 * const pool = reuseDispatchers(kubeconfig);
 * // ... API calls ...
 * await pool.close();
 * ```
 */
export function reuseDispatchers(kubeconfig: KubeConfig): DispatcherPool {
  const factory = kubeconfig as unknown as DispatcherFactory;
  const create = factory.createDispatcher.bind(kubeconfig);
  let current: { options: Record<string, unknown>; dispatcher: Dispatcher | undefined } | undefined;
  factory.createDispatcher = (cluster, options) => {
    if (current && sameOptions(current.options, options)) return current.dispatcher;
    const previous = current?.dispatcher;
    current = { options: { ...options }, dispatcher: create(cluster, options) };
    // Requests still using the old pool finish first; close() waits for them.
    if (previous) previous.close().catch(() => previous.destroy());
    return current.dispatcher;
  };
  return {
    async close() {
      const dispatcher = current?.dispatcher;
      current = undefined;
      await dispatcher?.destroy();
    },
  };
}

function sameOptions(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) {
    const x = a[key];
    const y = b[key];
    if (x instanceof Uint8Array && y instanceof Uint8Array) {
      if (x.length !== y.length || !x.every((byte, i) => byte === y[i])) return false;
    } else if (x !== y) {
      return false;
    }
  }
  return true;
}
