/**
 * `tpx list`: the workloads of a namespace that can be intercepted, with whether they carry
 * an agent and which intercepts of this machine they have.
 *
 * @module
 */
import { Annotation } from "../../cluster/injection/mod.ts";
import type { KubeConnection } from "../../cluster/kube/mod.ts";
import type { InterceptInfo } from "../../tunnel/protocol/mod.ts";

/** One workload. */
export interface WorkloadRow {
  kind: "Deployment" | "StatefulSet" | "ReplicaSet";
  name: string;
  namespace: string;
  /** `injected` when the pod template carries the agent. */
  agent: "injected" | "none";
  /** Intercepts of this machine on it. */
  intercepts: { name: string; state: InterceptInfo["state"] }[];
}

interface Listed {
  metadata?: {
    name?: string;
    annotations?: Record<string, string>;
    ownerReferences?: unknown[];
  };
}

/**
 * Lists Deployments, StatefulSets and the ReplicaSets no Deployment owns.
 *
 * @param kube the connection
 * @param namespace where
 * @param intercepts this machine's intercepts
 * @returns the rows, by kind then name
 */
export async function listWorkloads(
  kube: KubeConnection,
  namespace: string,
  intercepts: readonly InterceptInfo[],
): Promise<WorkloadRow[]> {
  const apps = kube.apps();
  const [deployments, statefulSets, replicaSets] = await Promise.all([
    kube.call(() => apps.listNamespacedDeployment({ namespace })),
    kube.call(() => apps.listNamespacedStatefulSet({ namespace })),
    kube.call(() => apps.listNamespacedReplicaSet({ namespace })),
  ]);
  const row = (kind: WorkloadRow["kind"]) => (item: Listed): WorkloadRow => {
    const name = item.metadata?.name ?? "";
    return {
      kind,
      name,
      namespace,
      agent: item.metadata?.annotations?.[Annotation.Injected] ? "injected" : "none",
      intercepts: intercepts
        .filter((i) => i.spec.namespace === namespace && i.spec.workload === name)
        .map((i) => ({ name: i.spec.name, state: i.state })),
    };
  };
  return [
    ...deployments.items.map(row("Deployment")),
    ...statefulSets.items.map(row("StatefulSet")),
    ...replicaSets.items.filter((rs) => (rs.metadata?.ownerReferences ?? []).length === 0)
      .map(row("ReplicaSet")),
  ].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}
