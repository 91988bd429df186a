/**
 * Before the manager goes, every workload that still carries an agent is restored, with its
 * Services: otherwise its pods would keep an agent whose manager no longer exists. Each write
 * carries the resourceVersion that was read, so a concurrent change is never overwritten; on a
 * conflict the objects are read again and removal is computed afresh.
 *
 * @module
 */
import { Annotation, remove, type Service, type Workload } from "../injection/mod.ts";
import { ApiErrorCode, type KubeConnection } from "../kube/mod.ts";
import { TpxError } from "../../tunnel/protocol/errors.ts";
import type { Progress } from "./rollout.ts";

/** A workload kind that injection supports, with its client-node calls. */
interface KindCalls {
  kind: string;
  list(namespace: string | undefined): Promise<Workload[]>;
  read(name: string, namespace: string): Promise<Workload>;
  replace(workload: Workload): Promise<unknown>;
}

/** How many times a workload is read again after a conflicting write. */
const CONFLICT_RETRIES = 5;

/**
 * Restores every injected workload in the namespaces given.
 *
 * @param kube the connection
 * @param namespaces where to look; undefined: every namespace
 * @param progress receives one line per restored workload
 * @returns `Kind/namespace/name` of each restored workload
 * @throws {TpxError} when a workload keeps changing under tpx, or the cluster refuses
 */
export async function restoreInjectedWorkloads(
  kube: KubeConnection,
  namespaces: readonly string[] | undefined,
  progress?: Progress,
): Promise<string[]> {
  const restored: string[] = [];
  for (const calls of kindCalls(kube)) {
    const found = namespaces === undefined
      ? await calls.list(undefined)
      : (await Promise.all(namespaces.map((ns) => calls.list(ns)))).flat();
    for (const workload of found.filter(isInjectedRoot)) {
      const { name, namespace = "" } = workload.metadata;
      progress?.(`restoring ${calls.kind} "${name}" in namespace "${namespace}"`);
      await restoreOne(kube, calls, name, namespace);
      restored.push(`${calls.kind}/${namespace}/${name}`);
    }
  }
  return restored;
}

/** Injected, and not a ReplicaSet whose Deployment (also injected) owns it. */
function isInjectedRoot(workload: Workload): boolean {
  if (workload.metadata.annotations?.[Annotation.Injected] === undefined) return false;
  const owners = workload.metadata.ownerReferences ?? [];
  return !owners.some((owner) => owner.controller && owner.kind === "Deployment");
}

async function restoreOne(
  kube: KubeConnection,
  calls: KindCalls,
  name: string,
  namespace: string,
): Promise<void> {
  for (let attempt = 0;; attempt++) {
    try {
      const workload = await calls.read(name, namespace);
      const list = await kube.core().listNamespacedService({ namespace });
      // A list's items carry no kind; the write needs it.
      const services = list.items.map((s) =>
        ({ ...s, apiVersion: "v1", kind: "Service" }) as unknown as Service
      );
      const result = remove(workload, services);
      // Services first: a Service that still targets the agent's port reaches no app.
      for (const [i, service] of result.services.entries()) {
        if (service === services[i]) continue;
        await kube.core().replaceNamespacedService({
          name: service.metadata.name,
          namespace,
          body: service as never,
        });
      }
      if (result.workload !== workload) await calls.replace(result.workload);
      return;
    } catch (error) {
      const conflict = error instanceof TpxError && error.code === ApiErrorCode.Conflict;
      if (!conflict) throw error;
      if (attempt >= CONFLICT_RETRIES) {
        throw new TpxError(
          "cluster",
          `Cannot restore ${calls.kind} "${name}" in namespace "${namespace}": it keeps changing`,
          {
            code: "restore_conflict",
            retryable: true,
            hint: "run the command again",
            cause: error,
          },
        );
      }
    }
  }
}

function kindCalls(kube: KubeConnection): KindCalls[] {
  const apps = kube.apps();
  const asWorkloads = (list: { items: unknown[] }) => list.items as Workload[];
  const meta = (w: Workload) => ({ name: w.metadata.name, namespace: w.metadata.namespace ?? "" });
  return [
    {
      kind: "Deployment",
      list: async (namespace) =>
        asWorkloads(
          namespace === undefined
            ? await apps.listDeploymentForAllNamespaces()
            : await apps.listNamespacedDeployment({ namespace }),
        ),
      read: async (name, namespace) =>
        await apps.readNamespacedDeployment({ name, namespace }) as unknown as Workload,
      replace: (w) => apps.replaceNamespacedDeployment({ ...meta(w), body: w as never }),
    },
    {
      kind: "StatefulSet",
      list: async (namespace) =>
        asWorkloads(
          namespace === undefined
            ? await apps.listStatefulSetForAllNamespaces()
            : await apps.listNamespacedStatefulSet({ namespace }),
        ),
      read: async (name, namespace) =>
        await apps.readNamespacedStatefulSet({ name, namespace }) as unknown as Workload,
      replace: (w) => apps.replaceNamespacedStatefulSet({ ...meta(w), body: w as never }),
    },
    {
      kind: "ReplicaSet",
      list: async (namespace) =>
        asWorkloads(
          namespace === undefined
            ? await apps.listReplicaSetForAllNamespaces()
            : await apps.listNamespacedReplicaSet({ namespace }),
        ),
      read: async (name, namespace) =>
        await apps.readNamespacedReplicaSet({ name, namespace }) as unknown as Workload,
      replace: (w) => apps.replaceNamespacedReplicaSet({ ...meta(w), body: w as never }),
    },
  ];
}
