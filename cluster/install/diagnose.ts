/**
 * Why the manager is not available yet, read from its Deployment, pods and events: a pure
 * function, so that every failure the user can meet (image pull, unschedulable, crash loop,
 * readiness, quota, Pod Security) is named, and tested without a cluster.
 *
 * @module
 */

/** The fields of a condition this module reads. */
interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** The fields of a Deployment this module reads, as JSON. */
export interface DeploymentView {
  metadata: { generation?: number };
  /**
   * `template`: when given, only pods that run its containers (by name and image) can fail
   * the rollout; a pod of an earlier template may still be failing while it is replaced.
   */
  spec?: { replicas?: number; template?: { spec?: { containers?: ContainerView[] } } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: Condition[];
  };
}

/** A container as a pod spec or a template names it. */
interface ContainerView {
  name: string;
  image?: string;
}

/** A container's state, as in a pod's `status.containerStatuses`. */
interface ContainerStatus {
  name: string;
  ready?: boolean;
  restartCount?: number;
  image?: string;
  state?: { waiting?: { reason?: string; message?: string } };
}

/** The fields of a Pod this module reads, as JSON. */
export interface PodView {
  metadata: { name: string; deletionTimestamp?: string };
  spec?: { containers?: ContainerView[] };
  status?: {
    phase?: string;
    conditions?: Condition[];
    containerStatuses?: ContainerStatus[];
  };
}

/** The fields of an Event this module reads, as JSON. */
export interface EventView {
  type?: string;
  reason?: string;
  message?: string;
  involvedObject: { kind?: string; name?: string };
}

/** What {@link diagnose} concludes. */
export type Diagnosis =
  | { state: "ready" }
  /** `detail`: `1 of 1 not ready: ContainerCreating`; `blocker`: what may never resolve. */
  | { state: "waiting"; detail: string; blocker?: string }
  /** `crashed`: the container whose logs explain it. */
  | { state: "failed"; message: string; crashed?: { pod: string; container: string } };

const PULL_ERRORS = ["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"];
const CONFIG_ERRORS = ["CreateContainerConfigError", "CreateContainerError", "RunContainerError"];

/**
 * The state of the manager's rollout.
 *
 * @param deployment the Deployment as read now
 * @param pods its pods
 * @param events the namespace's events since the install began
 * @returns ready, waiting (with what it waits for), or failed (with why)
 * @example
 * ```ts
 * diagnose(deployment, pods, events); // { state: "waiting", detail: "1 of 1 not ready: ContainerCreating" }
 * ```
 */
export function diagnose(
  deployment: DeploymentView,
  pods: readonly PodView[],
  events: readonly EventView[],
): Diagnosis {
  const failedCreate = deploymentFailure(deployment, events);
  if (failedCreate) return { state: "failed", message: failedCreate };
  const live = pods.filter((pod) => pod.metadata.deletionTimestamp === undefined);
  for (const pod of live.filter((pod) => runsTemplate(pod, deployment))) {
    const failure = podFailure(pod);
    if (failure) return failure;
  }
  const wanted = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  if (
    (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 1) &&
    (status.updatedReplicas ?? 0) >= wanted && (status.availableReplicas ?? 0) >= wanted &&
    (status.replicas ?? 0) <= wanted
  ) {
    return { state: "ready" };
  }
  const waiting = live.filter((pod) => !podReady(pod));
  const reasons = [...new Set(waiting.map((pod) => podWaitReason(pod, events)))];
  const detail = live.length === 0
    ? "no pod yet"
    : waiting.length === 0
    ? "old pod stopping"
    : `${waiting.length} of ${live.length} not ready: ${reasons.join(", ")}`;
  const blocker = reasons.find((r) => r.startsWith("unschedulable"));
  return blocker === undefined
    ? { state: "waiting", detail }
    : { state: "waiting", detail, blocker };
}

/** Whether the pod runs the containers of the current template (any pod, without one). */
function runsTemplate(pod: PodView, deployment: DeploymentView): boolean {
  const wanted = deployment.spec?.template?.spec?.containers;
  if (wanted === undefined) return true;
  const running = pod.spec?.containers ?? [];
  return wanted.length === running.length &&
    wanted.every((c) => running.some((r) => r.name === c.name && r.image === c.image));
}

/** The Deployment or its ReplicaSet could not create a pod: quota, Pod Security, a webhook. */
function deploymentFailure(deployment: DeploymentView, events: readonly EventView[]) {
  for (const condition of deployment.status?.conditions ?? []) {
    if (condition.type === "ReplicaFailure" && condition.status === "True") {
      return `The manager's pod cannot be created: ${condition.message ?? condition.reason}`;
    }
    if (condition.type === "Progressing" && condition.reason === "ProgressDeadlineExceeded") {
      return `The manager's rollout stopped progressing: ${condition.message ?? ""}`;
    }
  }
  const failed = events.find((e) =>
    e.reason === "FailedCreate" && e.involvedObject.kind === "ReplicaSet"
  );
  return failed && `The manager's pod cannot be created: ${failed.message ?? "FailedCreate"}`;
}

function podFailure(pod: PodView): Diagnosis | undefined {
  for (const status of pod.status?.containerStatuses ?? []) {
    const waiting = status.state?.waiting;
    const reason = waiting?.reason ?? "";
    if (PULL_ERRORS.includes(reason)) {
      const image = pod.spec?.containers?.find((c) => c.name === status.name)?.image ??
        status.image;
      return {
        state: "failed",
        message: `The manager's image "${image}" cannot be pulled (${reason}): ` +
          (waiting?.message ?? "no message"),
      };
    }
    if (CONFIG_ERRORS.includes(reason)) {
      return {
        state: "failed",
        message: `The manager's container cannot start (${reason}): ${waiting?.message ?? ""}`,
      };
    }
    // A container that restarted but is ready now has recovered.
    if (reason === "CrashLoopBackOff" || ((status.restartCount ?? 0) >= 2 && !status.ready)) {
      return {
        state: "failed",
        message: `The manager keeps crashing (pod "${pod.metadata.name}", ` +
          `${status.restartCount ?? 0} restarts)`,
        crashed: { pod: pod.metadata.name, container: status.name },
      };
    }
  }
  return undefined;
}

function podReady(pod: PodView): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

function podWaitReason(pod: PodView, events: readonly EventView[]): string {
  const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False") {
    return scheduled.reason === "Unschedulable"
      ? `unschedulable: ${scheduled.message ?? "no node fits"}`
      : `not scheduled: ${scheduled.message ?? scheduled.reason ?? "pending"}`;
  }
  const waiting = pod.status?.containerStatuses?.find((s) => s.state?.waiting)?.state?.waiting;
  if (waiting?.reason) return waiting.reason;
  const unhealthy = [...events].reverse().find((e) =>
    e.reason === "Unhealthy" && e.involvedObject.name === pod.metadata.name
  );
  if (unhealthy) return `probe failing: ${unhealthy.message ?? ""}`.trim();
  return pod.status?.phase === "Running"
    ? "running, not ready yet"
    : pod.status?.phase ?? "Pending";
}
