/**
 * The cluster's part of `tpx gather-logs`: the traffic-manager's logs and every traffic-agent's,
 * as archive entries, with a line saying why for each one that could not be read. One failed
 * pod never stops the others.
 *
 * @module
 */
import type { KubeConnection } from "../../cluster/kube/mod.ts";
import { Label, Names } from "../../cluster/install/labels.ts";
import type { TarEntry } from "./tar.ts";

/** A pod whose containers' logs are wanted. */
export interface PodRef {
  namespace: string;
  name: string;
  containers: { name: string; restarts: number }[];
}

/** Where pods and their logs come from: the cluster, or a fake in tests. */
export interface PodLogSource {
  /** The pods labelled as the manager's in `namespace`. */
  managerPods(namespace: string): Promise<PodRef[]>;
  /** Every pod, in any namespace, that has an agent container; only that container listed. */
  agentPods(): Promise<PodRef[]>;
  /** A container's log; `previous` for the one before its last restart. */
  log(pod: PodRef, container: string, previous: boolean): Promise<string>;
}

/** What was gathered, and what could not be. */
export interface Gathered {
  files: TarEntry[];
  /** One line per missing part, naming it and the reason. */
  missing: string[];
}

const encoder = new TextEncoder();

/**
 * Reads the manager's and the agents' logs.
 *
 * @param source the cluster
 * @param managerNamespace where the manager runs
 * @returns entries named `manager/<pod>/<container>.log` and
 *   `agents/<namespace>/<pod>/<container>.log` (`.previous.log` for a restarted container's
 *   earlier run), and the missing parts
 */
export async function gatherPodLogs(
  source: PodLogSource,
  managerNamespace: string,
): Promise<Gathered> {
  const gathered: Gathered = { files: [], missing: [] };
  const selector = `${Label.Name}=${Names.App}`;
  await listThen(
    gathered,
    `manager logs (pods "${selector}" in "${managerNamespace}")`,
    async () => {
      const pods = await source.managerPods(managerNamespace);
      if (pods.length === 0) {
        gathered.missing.push(
          `manager logs: no pod labelled "${selector}" in namespace "${managerNamespace}"`,
        );
      }
      for (const pod of pods) await readPod(source, gathered, pod, `manager/${pod.name}`);
    },
  );
  await listThen(gathered, "agent logs (listing pods in every namespace)", async () => {
    for (const pod of await source.agentPods()) {
      await readPod(source, gathered, pod, `agents/${pod.namespace}/${pod.name}`);
    }
  });
  return gathered;
}

async function listThen(gathered: Gathered, what: string, run: () => Promise<void>) {
  try {
    await run();
  } catch (error) {
    gathered.missing.push(`${what}: ${reason(error)}`);
  }
}

async function readPod(source: PodLogSource, gathered: Gathered, pod: PodRef, dir: string) {
  for (const container of pod.containers) {
    const runs = container.restarts > 0 ? [true, false] : [false];
    for (const previous of runs) {
      const name = `${dir}/${container.name}${previous ? ".previous" : ""}.log`;
      try {
        const text = await source.log(pod, container.name, previous);
        gathered.files.push({ name, data: encoder.encode(text) });
      } catch (error) {
        gathered.missing.push(`${name}: ${reason(error)}`);
      }
    }
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The fields of a client-node pod that this module reads. */
interface PodObject {
  metadata?: { name?: string; namespace?: string };
  spec?: { containers: { name: string }[] };
  status?: { containerStatuses?: { name: string; restartCount: number }[] };
}

function podRef(pod: PodObject, only?: string): PodRef {
  const restarts = new Map(
    (pod.status?.containerStatuses ?? []).map((s) => [s.name, s.restartCount]),
  );
  return {
    namespace: pod.metadata?.namespace ?? "",
    name: pod.metadata?.name ?? "",
    containers: (pod.spec?.containers ?? [])
      .filter((c) => only === undefined || c.name === only)
      .map((c) => ({ name: c.name, restarts: restarts.get(c.name) ?? 0 })),
  };
}

/**
 * The cluster behind `kube` as a {@link PodLogSource}.
 *
 * @param kube the connection
 * @param agentContainer the agent container's name
 * @returns the source
 */
export function kubePodLogSource(kube: KubeConnection, agentContainer: string): PodLogSource {
  return {
    async managerPods(namespace) {
      const list = await kube.core().listNamespacedPod({
        namespace,
        labelSelector: `${Label.Name}=${Names.App}`,
      });
      return list.items.map((pod) => podRef(pod as PodObject));
    },
    async agentPods() {
      const list = await kube.core().listPodForAllNamespaces({});
      return list.items
        .filter((pod) => pod.spec?.containers.some((c) => c.name === agentContainer))
        .map((pod) => podRef(pod as PodObject, agentContainer));
    },
    async log(pod, container, previous) {
      return await kube.core().readNamespacedPodLog({
        name: pod.name,
        namespace: pod.namespace,
        container,
        previous,
      });
    },
  };
}
