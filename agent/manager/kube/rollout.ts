/**
 * Waiting until an injected workload runs its agent, and failing early — with the reason
 * cluster/install's diagnosis gives — when it cannot.
 *
 * @module
 */
import {
  type DeploymentView,
  diagnose,
  type EventView,
  type PodView,
} from "../../../cluster/install/diagnose.ts";
import { AGENT_CONTAINER, type Workload } from "../../../cluster/injection/mod.ts";
import type { KubeConnection } from "../../../cluster/kube/mod.ts";
import { type Logger, silentLogger } from "../../../tunnel/log.ts";
import { TpxError } from "../../../tunnel/protocol/errors.ts";
import { podSource, PodWatch } from "./pod_watch.ts";

/** Stable codes of the errors of this module. */
export const AgentRolloutErrorCode = { Failed: "agent_rollout_failed" } as const;

/** Options of {@link waitForAgentRollout}. */
export interface AgentRolloutOptions {
  /** Give up after this long; 120 s by default. */
  timeoutMs?: number;
  /** Fail when a blocker (such as "unschedulable") lasts this long; 30 s by default. */
  blockedMs?: number;
  /**
   * The longest wait between two looks when no pod changes (the workload's conditions and the
   * events can change without one); 5 s by default.
   */
  recheckMs?: number;
  /** Where the pod watch logs its retries. */
  logger?: Logger;
  /** Receives lines such as `1 of 2 not ready: ContainerCreating`, when they change. */
  progress?: (line: string) => void;
}

/** A workload's pod: what {@link rolloutView} needs beyond the diagnosis's view. */
export type WorkloadPod = PodView & { spec?: { containers?: { name: string }[] } };

/**
 * The workload's rollout as a Deployment-shaped view, whatever its kind: a pod counts as
 * updated when it runs the agent, so the diagnosis waits until every pod does and the old
 * ones are gone.
 *
 * @param workload the workload as read now
 * @param pods the pods its selector matches
 * @returns the view {@link diagnose} reads
 */
export function rolloutView(workload: Workload, pods: readonly WorkloadPod[]): DeploymentView {
  const live = pods.filter((pod) => pod.metadata.deletionTimestamp === undefined);
  const updated = live.filter(hasAgent);
  const ready = updated.filter((pod) =>
    (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
  );
  const status = (workload.status ?? {}) as NonNullable<DeploymentView["status"]>;
  const { replicas, template } = workload.spec as NonNullable<DeploymentView["spec"]>;
  return {
    metadata: { generation: (workload.metadata.generation as number | undefined) ?? 1 },
    spec: template === undefined
      ? { replicas: replicas ?? 1 }
      : { replicas: replicas ?? 1, template },
    status: {
      observedGeneration: status.observedGeneration ?? 0,
      replicas: live.length,
      updatedReplicas: updated.length,
      availableReplicas: ready.length,
      conditions: status.conditions ?? [],
    },
  };
}

/**
 * Whether a pod runs the agent.
 *
 * @param pod the pod
 * @returns true when it has the agent container
 */
export function hasAgent(pod: WorkloadPod): boolean {
  return (pod.spec?.containers ?? []).some((c) => c.name === AGENT_CONTAINER);
}

/**
 * Watches the workload's pods (reading the workload and its events on each change) until
 * every pod runs the agent. A ReplicaSet does
 * not replace its pods when its template changes, and the manager may not delete pods, so the
 * wait for one names the pods to delete.
 *
 * @param kube the connection
 * @param read reads the workload as it is now
 * @param workload the workload as written
 * @param options timeouts and the progress callback
 * @throws {TpxError} `agent_rollout_failed` naming why: the image cannot be pulled, a pod
 *   cannot be scheduled or created, a container crashes, or the time ran out
 */
export async function waitForAgentRollout(
  kube: KubeConnection,
  read: () => Promise<Workload>,
  workload: Workload,
  options: AgentRolloutOptions = {},
): Promise<void> {
  const namespace = workload.metadata.namespace ?? "";
  const name = `${workload.kind.toLowerCase()}/${workload.metadata.name}`;
  const matchLabels = (workload.spec.selector as { matchLabels?: Record<string, string> })
    ?.matchLabels ?? {};
  const labelSelector = Object.entries(matchLabels).map(([k, v]) => `${k}=${v}`).join(",");
  const started = Date.now();
  let last = "";
  let blockedSince: number | undefined;
  // Pod changes wake the wait; the workload and the events (quota, admission) are read then,
  // and at least every `recheckMs`, since they can change while no pod does.
  using watch = PodWatch.start({
    source: podSource(kube, namespace, labelSelector),
    logger: options.logger ?? silentLogger,
  });
  const timeoutMs = options.timeoutMs ?? 120_000;
  while (!watch.synced) {
    if (Date.now() - started >= timeoutMs) {
      throw rolloutFailed(name, namespace, "Cannot list its pods");
    }
    await watch.changed(options.recheckMs ?? 5_000);
  }
  while (true) {
    const [current, eventList] = await Promise.all([
      read(),
      kube.core().listNamespacedEvent({ namespace }),
    ]);
    const pods = plain<WorkloadPod[]>(watch.pods);
    const events = plain<EventView[]>(eventList.items).filter((e) =>
      (e.involvedObject.name ?? "").startsWith(workload.metadata.name) && recent(e, started)
    );
    const state = diagnose(rolloutView(current, pods), pods, events);
    if (state.state === "ready") return;
    if (state.state === "failed") {
      throw rolloutFailed(name, namespace, renamed(state.message, name));
    }
    const detail = workload.kind === "ReplicaSet" && pods.some((p) => !hasAgent(p))
      ? `${state.detail}; a ReplicaSet keeps its pods: "kubectl delete pods -n ${namespace} ` +
        `-l ${labelSelector}" lets it recreate them with the agent`
      : state.detail;
    const line = `waiting for the agent in ${name} (${detail})`;
    if (line !== last) options.progress?.(line);
    last = line;
    blockedSince = state.blocker === undefined ? undefined : blockedSince ?? Date.now();
    if (blockedSince !== undefined && Date.now() - blockedSince >= (options.blockedMs ?? 30_000)) {
      throw rolloutFailed(name, namespace, `The pods of ${name} cannot start: ${state.blocker}`);
    }
    if (Date.now() - started >= timeoutMs) {
      const seconds = Math.round((Date.now() - started) / 1000);
      throw rolloutFailed(
        name,
        namespace,
        `The agent in ${name} did not become ready within ${seconds} s: ${detail}`,
      );
    }
    const blockedLeft = blockedSince === undefined
      ? Infinity
      : (options.blockedMs ?? 30_000) - (Date.now() - blockedSince);
    const left = Math.min(timeoutMs - (Date.now() - started), blockedLeft);
    await watch.changed(Math.max(0, Math.min(options.recheckMs ?? 5_000, left)));
  }
}

/** The diagnosis speaks of the manager, whose rollouts it was written for. */
function renamed(message: string, name: string): string {
  return message.replace(/^The manager's /, `${name}: the `).replace(/^The manager /, `${name} `);
}

function recent(event: EventView, since: number): boolean {
  const e = event as EventView & {
    lastTimestamp?: string;
    eventTime?: string;
    metadata?: { creationTimestamp?: string };
  };
  const at = e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp;
  // Timestamps have whole seconds; an event of the same second counts as recent.
  return at === undefined || new Date(at).getTime() >= since - 1_000;
}

function rolloutFailed(name: string, namespace: string, message: string): TpxError {
  return new TpxError("cluster", message, {
    code: AgentRolloutErrorCode.Failed,
    hint: `"kubectl describe ${name} -n ${namespace}" and its pods' events show more`,
  });
}

function plain<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
