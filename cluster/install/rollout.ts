/**
 * Waiting until the manager is available, reporting what it waits for, and failing early —
 * with the reason — when it cannot become available.
 *
 * @module
 */
import { TpxError } from "../../tunnel/protocol/errors.ts";
import type { KubeConnection } from "../kube/mod.ts";
import { type DeploymentView, diagnose, type EventView, type PodView } from "./diagnose.ts";
import { Label, Names } from "./labels.ts";

/** Receives progress lines such as `waiting for the manager pod (1 of 1 not ready: …)`. */
export type Progress = (line: string) => void;

/** Options of {@link waitForManager}. */
export interface WaitOptions {
  /** Give up after this long; 180 s by default. */
  timeoutMs?: number;
  /** Fail when a blocker (such as "unschedulable") lasts this long; 30 s by default. */
  blockedMs?: number;
  /** Between polls; 1 s by default. */
  pollMs?: number;
  /** Events before this instant are from an earlier rollout and ignored. */
  since?: Date;
  progress?: Progress;
}

/** Stable codes of the errors of this module. */
export const RolloutErrorCode = { Failed: "manager_rollout_failed" } as const;

/**
 * Polls the manager's Deployment, pods and events until the Deployment is available.
 *
 * @param kube the connection
 * @param namespace the manager's namespace
 * @param options timeouts and the progress callback
 * @throws {TpxError} `manager_rollout_failed` naming why: the image cannot be pulled, the pod
 *   cannot be scheduled or created, the container crashes (with its last log lines), or the
 *   time ran out (with what it was still waiting for)
 */
export async function waitForManager(
  kube: KubeConnection,
  namespace: string,
  options: WaitOptions = {},
): Promise<void> {
  const started = Date.now();
  const since = options.since ?? new Date(started);
  let last = "";
  let blockedSince: number | undefined;
  while (true) {
    const [deployment, pods, events] = await Promise.all([
      readDeployment(kube, namespace),
      readPods(kube, namespace),
      readEvents(kube, namespace, since),
    ]);
    const state = diagnose(deployment, pods, events);
    if (state.state === "ready") return;
    if (state.state === "failed") {
      const logs = state.crashed && await lastLogLines(kube, namespace, state.crashed);
      throw rolloutFailed(
        namespace,
        logs ? `${state.message}; its last lines:\n${logs}` : state.message,
      );
    }
    const line = `waiting for the manager pod (${state.detail})`;
    if (line !== last) options.progress?.(line);
    last = line;
    blockedSince = state.blocker === undefined ? undefined : blockedSince ?? Date.now();
    if (blockedSince !== undefined && Date.now() - blockedSince >= (options.blockedMs ?? 30_000)) {
      throw rolloutFailed(namespace, `The manager's pod cannot start: ${state.blocker}`);
    }
    if (Date.now() - started >= (options.timeoutMs ?? 180_000)) {
      const seconds = Math.round((Date.now() - started) / 1000);
      throw rolloutFailed(
        namespace,
        `The manager did not become ready within ${seconds} s: ${state.detail}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1_000));
  }
}

function rolloutFailed(namespace: string, message: string): TpxError {
  return new TpxError("cluster", message, {
    code: RolloutErrorCode.Failed,
    hint: `"kubectl describe pods -n ${namespace} -l ${Label.Name}=${Names.App}" shows more; ` +
      `"tpx manager uninstall -n ${namespace}" removes what was installed`,
  });
}

/** client-node returns model classes with Date fields; the diagnosis reads plain JSON. */
function plain<T>(value: unknown): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

async function readDeployment(kube: KubeConnection, namespace: string) {
  const deployment = await kube.apps().readNamespacedDeployment({ name: Names.Manager, namespace });
  return plain<DeploymentView>(deployment);
}

async function readPods(kube: KubeConnection, namespace: string) {
  const list = await kube.core().listNamespacedPod({
    namespace,
    labelSelector: `${Label.Name}=${Names.App}`,
  });
  return plain<PodView[]>(list.items);
}

async function readEvents(kube: KubeConnection, namespace: string, since: Date) {
  const list = await kube.core().listNamespacedEvent({ namespace });
  const recent = list.items.filter((event) => {
    const at = event.lastTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp;
    // Timestamps have whole seconds; an event of the same second counts as recent.
    return at === undefined || new Date(at).getTime() >= since.getTime() - 1_000;
  });
  return plain<EventView[]>(recent);
}

async function lastLogLines(
  kube: KubeConnection,
  namespace: string,
  target: { pod: string; container: string },
): Promise<string | undefined> {
  const request = { name: target.pod, namespace, container: target.container, tailLines: 10 };
  for (const previous of [true, false]) {
    try {
      const text = await kube.core().readNamespacedPodLog({ ...request, previous });
      if (text.trim() !== "") return text.trimEnd();
    } catch {
      // No previous container, or logs not available: try the current one, then give up.
    }
  }
  return undefined;
}
