/**
 * Runs client-node calls the way every caller should: a 401 makes tpx drop the credential and
 * try once more (kubectl runs an exec plugin again after a 401), and whatever fails is mapped
 * by {@link toKubeError}.
 *
 * @module
 */

import { httpStatusOf, type KubeErrorContext, toKubeError } from "./api_errors.ts";
import { isRecord } from "./merge.ts";

/** Runs one request; `method` and `namespace` only improve a 403 message. */
export type KubeCall = <T>(
  request: () => Promise<T>,
  method?: string,
  namespace?: string,
) => Promise<T>;

/** A credential cache that can be told the server refused what it handed out. */
export interface Invalidatable {
  invalidate(): void;
}

/**
 * A {@link KubeCall} for one connection.
 *
 * @param context the connection, for error messages
 * @param credentials the credential source to refresh after a 401, if tpx supplies it
 * @returns the call runner
 * @example
 * ```ts
 * const call = kubeCaller(context, authenticator);
 * const pods = await call(() => core.listNamespacedPod({ namespace: "shop" }));
 * ```
 */
export function kubeCaller(
  context: KubeErrorContext,
  credentials: Invalidatable | undefined,
): KubeCall {
  return async function call<T>(request: () => Promise<T>, method = "", namespace?: string) {
    try {
      try {
        return await request();
      } catch (error) {
        // A static token cannot get better by retrying; a plugin or a token file may.
        if (httpStatusOf(error) !== 401 || credentials === undefined) throw error;
        credentials.invalidate();
        return await request();
      }
    } catch (error) {
      throw toKubeError(error, { ...context, ...callOf(method, namespace) });
    }
  };
}

/**
 * `api` with every method run through `call`.
 *
 * @param api a client-node API client, such as `CoreV1Api`
 * @param call from {@link kubeCaller}
 * @returns the same client, typed the same
 */
export function guardApi<T extends object>(api: T, call: KubeCall): T {
  return new Proxy(api, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const first = args[0];
        const namespace = isRecord(first) && typeof first.namespace === "string"
          ? first.namespace
          : undefined;
        const method = typeof property === "string" ? property : "";
        return call(() => value.apply(target, args), method, namespace);
      };
    },
  });
}

const VERBS: ReadonlyArray<[string, string]> = [
  ["deleteCollection", "deletecollection"],
  ["list", "list"],
  ["read", "get"],
  ["create", "create"],
  ["replace", "update"],
  ["patch", "patch"],
  ["delete", "delete"],
];

/** The request behind a client-node method, such as `list pods` for `listNamespacedPod`. */
function callOf(method: string, namespace: string | undefined): Pick<KubeErrorContext, "call"> {
  const verb = VERBS.find(([prefix]) => method.startsWith(prefix))?.[1];
  if (verb === undefined) return {};
  const kind = method.replace(/^[a-z]+(Namespaced)?/, "").replace(/ForAllNamespaces$/, "")
    .replace(/(Status|Scale)$/, "").toLowerCase();
  const resource = kind.endsWith("s")
    ? kind
    : kind.endsWith("y")
    ? `${kind.slice(0, -1)}ies`
    : `${kind}s`;
  const call: NonNullable<KubeErrorContext["call"]> = { verb, resource };
  if (namespace !== undefined) call.namespace = namespace;
  return { call };
}
