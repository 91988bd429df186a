/**
 * Read-modify-write against the Kubernetes API without overwriting anyone: a write that loses
 * the race (HTTP 409) is done again on a fresh read, never forced.
 *
 * @module
 */
import { KubeApiError } from "../../../cluster/kube/mod.ts";

/** Options of {@link retryOnConflict}. */
export interface ConflictRetryOptions {
  /** How many times to run `attempt` in all; 5 by default. */
  attempts?: number;
  /** Called before each retry, with the 1-based number of the attempt that lost the race. */
  onConflict?: (attempt: number) => void;
}

/**
 * Runs `attempt` (which must read what it changes, then write it with the resourceVersion it
 * read) until it does not fail with a 409 conflict.
 *
 * @param attempt one read-modify-write
 * @param options how often to try
 * @returns what the successful attempt returned
 * @throws the error of an attempt that failed otherwise, or the last conflict
 * @example
 * ```ts
 * await retryOnConflict(async () => {
 *   const current = await api.readWorkload("shop", "web");
 *   await api.replaceWorkload(change(current));
 * });
 * ```
 */
export async function retryOnConflict<T>(
  attempt: () => Promise<T>,
  options: ConflictRetryOptions = {},
): Promise<T> {
  const attempts = Math.max(1, options.attempts ?? 5);
  for (let n = 1;; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isConflict(error) || n >= attempts) throw error;
      options.onConflict?.(n);
    }
  }
}

/**
 * Whether an error is the API server's 409 for a stale resourceVersion.
 *
 * @param error anything thrown
 * @returns true for a conflict (not for AlreadyExists, which a retry does not fix)
 */
export function isConflict(error: unknown): boolean {
  return error instanceof KubeApiError && error.status === 409 && error.reason !== "AlreadyExists";
}
