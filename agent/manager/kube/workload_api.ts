/**
 * The few API calls the injector makes, as an interface over plain JSON objects, so that the
 * injector is tested with a fake and only {@link kubeWorkloadApi} knows client-node.
 *
 * @module
 */
import type { AppsV1Api, V1Service } from "@kubernetes/client-node";
import { KubeApiError, type KubeConnection } from "../../../cluster/kube/mod.ts";
import {
  AGENT_CONTAINER,
  Annotation,
  type Service,
  type Workload,
} from "../../../cluster/injection/mod.ts";
import { TpxError } from "../../../tunnel/protocol/errors.ts";

/** The kinds the injector handles, as the agent reports them. */
export type InjectableKind = "Deployment" | "StatefulSet" | "ReplicaSet";

/** Reads and writes of workloads and Services. Writes carry the object's resourceVersion. */
export interface WorkloadApi {
  /**
   * The workload; with no kind, a Deployment, else a StatefulSet, else a ReplicaSet.
   *
   * @throws {TpxError} `workload_not_found` when there is none of that name
   */
  readWorkload(namespace: string, name: string, kind?: InjectableKind): Promise<Workload>;
  /** Replaces the workload; a stale resourceVersion fails with a 409 {@link KubeApiError}. */
  replaceWorkload(workload: Workload): Promise<void>;
  /** The Services of a namespace. */
  listServices(namespace: string): Promise<Service[]>;
  /** Replaces a Service; a stale resourceVersion fails with a 409 {@link KubeApiError}. */
  replaceService(service: Service): Promise<void>;
  /**
   * The workloads that carry tpx's injection record, of every injectable kind, in one
   * namespace or (undefined) all of them; a ReplicaSet that a Deployment controls is left out,
   * since the Deployment's annotations are copied onto it.
   */
  listInjected(namespace: string | undefined): Promise<Workload[]>;
  /** The names of the workload's live pods that run the agent container. */
  agentPods(workload: Workload): Promise<string[]>;
}

const KINDS: readonly InjectableKind[] = ["Deployment", "StatefulSet", "ReplicaSet"];

/**
 * The {@link WorkloadApi} of a cluster connection.
 *
 * @param kube the connection (the manager's service account)
 * @returns the API
 */
export function kubeWorkloadApi(kube: KubeConnection): WorkloadApi {
  return {
    async readWorkload(namespace, name, kind) {
      for (const candidate of kind ? [kind] : KINDS) {
        try {
          const object = await readOne(kube.apps(), candidate, namespace, name);
          // Reads omit apiVersion and kind on some paths; injection and writes need them.
          return { ...plain<Workload>(object), apiVersion: "apps/v1", kind: candidate };
        } catch (error) {
          if (!(error instanceof KubeApiError && error.status === 404)) throw error;
        }
      }
      throw new TpxError(
        "user",
        `No ${
          kind ?? "Deployment, StatefulSet or ReplicaSet"
        } "${name}" in namespace "${namespace}"`,
        { code: "workload_not_found" },
      );
    },
    async replaceWorkload(workload) {
      const apps = kube.apps();
      const name = workload.metadata.name;
      const namespace = workload.metadata.namespace ?? "";
      // client-node serializes by its models; plain JSON of the same shape passes through.
      const body = writable(workload) as never;
      if (workload.kind === "StatefulSet") {
        await apps.replaceNamespacedStatefulSet({ name, namespace, body });
      } else if (workload.kind === "ReplicaSet") {
        await apps.replaceNamespacedReplicaSet({ name, namespace, body });
      } else {
        await apps.replaceNamespacedDeployment({ name, namespace, body });
      }
    },
    async listServices(namespace) {
      const list = await kube.core().listNamespacedService({ namespace });
      return list.items.map((item) => ({
        ...plain<Service>(item),
        apiVersion: "v1",
        kind: "Service",
      }));
    },
    async listInjected(namespace) {
      const apps = kube.apps();
      const found: Workload[] = [];
      for (const kind of KINDS) {
        const list = await listKind(apps, kind, namespace);
        // A list's items carry no kind; the restore and its writes need it.
        const items = list.items.map((item) => ({
          ...plain<Workload>(item),
          apiVersion: "apps/v1",
          kind,
        }));
        found.push(...items.filter(isInjectedRoot));
      }
      return found;
    },
    async agentPods(workload) {
      const matchLabels =
        (workload.spec.selector as { matchLabels?: Record<string, string> } | undefined)
          ?.matchLabels ?? {};
      const labelSelector = Object.entries(matchLabels).map(([k, v]) => `${k}=${v}`).join(",");
      if (labelSelector === "") return [];
      const list = await kube.core().listNamespacedPod({
        namespace: workload.metadata.namespace ?? "",
        labelSelector,
      });
      return list.items
        .filter((pod) => pod.metadata?.deletionTimestamp === undefined)
        .filter((pod) => pod.spec?.containers.some((c) => c.name === AGENT_CONTAINER))
        .map((pod) => pod.metadata?.name ?? "")
        .filter((name) => name !== "");
    },
    async replaceService(service) {
      await kube.core().replaceNamespacedService({
        name: service.metadata.name,
        namespace: service.metadata.namespace ?? "",
        body: writable(service) as unknown as V1Service,
      });
    },
  };
}

/**
 * Whether a listed workload is one tpx injected itself (not a ReplicaSet that merely inherited
 * its Deployment's annotations).
 *
 * @param workload the workload as listed
 * @returns true when it carries the record and no Deployment controls it
 */
export function isInjectedRoot(workload: Workload): boolean {
  if (workload.metadata.annotations?.[Annotation.Injected] === undefined) return false;
  const owners = workload.metadata.ownerReferences ?? [];
  return !owners.some((owner) => owner.controller && owner.kind === "Deployment");
}

async function listKind(
  apps: AppsV1Api,
  kind: InjectableKind,
  namespace: string | undefined,
): Promise<{ items: unknown[] }> {
  if (kind === "StatefulSet") {
    return namespace === undefined
      ? await apps.listStatefulSetForAllNamespaces()
      : await apps.listNamespacedStatefulSet({ namespace });
  }
  if (kind === "ReplicaSet") {
    return namespace === undefined
      ? await apps.listReplicaSetForAllNamespaces()
      : await apps.listNamespacedReplicaSet({ namespace });
  }
  return namespace === undefined
    ? await apps.listDeploymentForAllNamespaces()
    : await apps.listNamespacedDeployment({ namespace });
}

function readOne(apps: AppsV1Api, kind: InjectableKind, namespace: string, name: string) {
  const request = { name, namespace };
  if (kind === "StatefulSet") return apps.readNamespacedStatefulSet(request);
  if (kind === "ReplicaSet") return apps.readNamespacedReplicaSet(request);
  return apps.readNamespacedDeployment(request);
}

/** client-node returns model classes with Date fields; injection reads and writes plain JSON. */
function plain<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * The object without `status` and `managedFields`: an update ignores the one and keeps the
 * other when absent, and neither should be sent back as read.
 */
function writable<T extends { metadata: Record<string, unknown> }>(object: T): T {
  const { status: _status, ...rest } = object as T & { status?: unknown };
  const { managedFields: _managed, ...metadata } = object.metadata;
  return { ...rest, metadata } as unknown as T;
}
