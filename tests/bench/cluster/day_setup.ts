/**
 * The cluster side of the day benchmark: an app namespace with the echo Deployment (one
 * replica) and a client pod, and a manager installed the way `tpx manager install` does,
 * limited to that namespace, with a short lease (so that a crash is cleaned up quickly) and a
 * long agent idle time (so that the agent is still there when the benchmark intercepts again;
 * each round removes it itself). Everything is deleted afterwards, whatever happens.
 *
 * `withInjectionSetup` of the end-to-end tests does the same but takes no lease, and starts a
 * client of its own that the benchmark does not want beside the CLI's daemon.
 *
 * @module
 */
import { install } from "../../../cluster/install/mod.ts";
import { connectKube } from "../../../cluster/kube/mod.ts";
import {
  applyYaml,
  clientPod,
  createNamespace,
  deleteNamespace,
  echoApp,
  forceRemoveManager,
  images,
  kubeconfigPath,
  kubectl,
  rolloutStatus,
} from "../../e2e/cluster.ts";

/** What the benchmark gets from {@link withDaySetup}. */
export interface DaySetup {
  /** Where the echo Deployment, its Service and the client pod are. */
  namespace: string;
  managerNamespace: string;
  /** The manager's lease. */
  leaseMs: number;
}

/** The manager's lease in the benchmark: short, so that a crash ends within seconds. */
export const LEASE_MS = 5_000;

/** Long enough that an agent left by `leave` is there for the next intercept. */
const AGENT_IDLE_MS = 30 * 60_000;

/**
 * Runs `fn` with a fresh app namespace and a manager for it.
 *
 * @param fn the benchmark body
 * @returns what `fn` returns
 */
export async function withDaySetup<T>(fn: (setup: DaySetup) => Promise<T>): Promise<T> {
  const managerNamespace = `bench-tpx-day-system-${crypto.randomUUID().slice(0, 8)}`;
  let namespace: string | undefined;
  try {
    namespace = await createNamespace("bench-tpx-day");
    await applyYaml(echoApp({ namespace, name: "echo" }) + "---" + clientPod(namespace));
    {
      await using kube = await connectKube({ kubeconfig: kubeconfigPath() });
      await install(kube, {
        image: images.tpx,
        namespace: managerNamespace,
        namespaces: [namespace],
        leaseMs: LEASE_MS,
        agentIdleMs: AGENT_IDLE_MS,
      });
    }
    await rolloutStatus(namespace, "deployment/echo");
    await kubectl(
      ["wait", "-n", namespace, "pod/client", "--for=condition=Ready", "--timeout=120s"],
      { check: true },
    );
    return await fn({ namespace, managerNamespace, leaseMs: LEASE_MS });
  } finally {
    await forceRemoveManager(managerNamespace);
    if (namespace !== undefined) await deleteNamespace(namespace);
  }
}
