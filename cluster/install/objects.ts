/**
 * Generic reads and writes of the manager's objects over client-node's
 * `KubernetesObjectApi`, whatever their kind, namespaced or cluster-scoped. Writes are
 * server-side apply (`application/apply-patch+yaml`, field manager `tpx`): creating and
 * updating are one call, and fields tpx stopped setting are removed.
 *
 * @module
 */
import type { KubeConnection } from "../kube/mod.ts";
import { KubeApiError } from "../kube/mod.ts";

/** A Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

/** What names one object. */
export type ObjectRef = Pick<KubeObject, "apiVersion" | "kind"> & {
  metadata: { name: string; namespace?: string };
};

/** The field manager of tpx's server-side applies. */
export const FIELD_MANAGER = "tpx";

/** The generic object operations install and uninstall need. */
export interface KubeObjects {
  /** Creates or updates by server-side apply, taking over fields others set. */
  apply(object: KubeObject): Promise<KubeObject>;
  /** The object, or undefined when it does not exist. */
  read(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** Objects of one kind matching a label selector; all namespaces when none is given. */
  list(
    apiVersion: string,
    kind: string,
    labelSelector: string,
    namespace?: string,
  ): Promise<KubeObject[]>;
  /** Deletes the object; false when it was already gone. */
  delete(ref: ObjectRef): Promise<boolean>;
}

/**
 * {@link KubeObjects} over a connection; every failure is a mapped `TpxError`.
 *
 * @param kube the connection
 * @returns the operations
 * @throws {TpxError} from each operation, as `toKubeError()` maps it
 * @example
 * ```ts
 * const objects = await kubeObjects(kube);
 * await objects.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "tpx-system" } });
 * ```
 */
export async function kubeObjects(kube: KubeConnection): Promise<KubeObjects> {
  const client = await import("@kubernetes/client-node");
  const api = client.KubernetesObjectApi.makeApiClient(kube.kubeconfig);
  const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as KubeObject;
  return {
    apply: async (object) =>
      plain(
        await kube.call(() =>
          api.patch(
            object,
            undefined,
            undefined,
            FIELD_MANAGER,
            true,
            client.PatchStrategy.ServerSideApply,
          )
        ),
      ),
    read: async (ref) => {
      try {
        return plain(await kube.call(() => api.read(ref)));
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    list: async (apiVersion, kind, labelSelector, namespace) => {
      const list = await kube.call(() =>
        api.list(
          apiVersion,
          kind,
          namespace,
          undefined,
          undefined,
          undefined,
          undefined,
          labelSelector,
        )
      );
      // A list's items carry no apiVersion and kind; uninstall needs them to delete.
      return list.items.map((item) => ({ ...plain(item), apiVersion, kind }));
    },
    delete: async (ref) => {
      try {
        await kube.call(() =>
          api.delete(ref, undefined, undefined, undefined, undefined, "Background")
        );
        return true;
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) return false;
        throw error;
      }
    },
  };
}
