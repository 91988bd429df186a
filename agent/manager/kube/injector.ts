/**
 * The manager's hands on workloads: injecting the agent when an intercept waits for it, and
 * removing it exactly once it is idle. The order keeps traffic flowing: the workload first, its
 * Services only when every pod runs the agent; removal the other way round.
 *
 * @module
 */
import {
  inject,
  type PortChoice,
  remove,
  type Service,
  type Workload,
} from "../../../cluster/injection/mod.ts";
import type { KubeConnection } from "../../../cluster/kube/mod.ts";
import type { Logger } from "../../../tunnel/log.ts";
import { retryOnConflict } from "./conflict_retry.ts";
import { type AgentRolloutOptions, waitForAgentRollout } from "./rollout.ts";
import { type InjectableKind, kubeWorkloadApi, type WorkloadApi } from "./workload_api.ts";

/** Waits until the written workload's pods all run the agent; throws why they do not. */
export type RolloutWaiter = (
  workload: Workload,
  read: () => Promise<Workload>,
  progress: (line: string) => void,
) => Promise<void>;

/** Options of {@link Injector}. */
export interface InjectorOptions {
  api: WorkloadApi;
  /** The agent's image: the manager's own. */
  image: string;
  /** `host:port` of the manager's agent listener, as the agent reaches it. */
  managerAddress: string;
  waitForRollout: RolloutWaiter;
  logger: Logger;
  /** Progress of an injection, such as `waiting for the agent in deployment/web (…)`. */
  progress?: (namespace: string, workload: string, line: string) => void;
}

/**
 * Injects and removes agents through a {@link WorkloadApi}.
 *
 * @example
 * ```ts
 * const injector = kubeInjector(kube, { image, managerAddress: "tpx-manager.tpx:8082", logger });
 * await injector.ensureAgent("shop", "web");
 * await injector.removeAgent("shop", "web");
 * ```
 */
export class Injector {
  readonly #options: InjectorOptions;

  constructor(options: InjectorOptions) {
    this.#options = options;
  }

  /**
   * Makes sure the workload runs the agent: injects it if needed and waits for the rollout;
   * does nothing to a workload and Services already injected the same way.
   *
   * @param namespace the workload's namespace
   * @param workload its name
   * @param kind its kind, when known
   * @param choice the Service port to take, when the workload's Services have several
   * @throws {TpxError} `user` when the workload cannot be intercepted; `agent_rollout_failed`
   *   with the reason when its pods do not come up; an API error otherwise
   */
  async ensureAgent(
    namespace: string,
    workload: string,
    kind?: InjectableKind,
    choice: PortChoice = {},
  ): Promise<void> {
    const { api, logger } = this.#options;
    const agent = { image: this.#options.image, managerAddress: this.#options.managerAddress };
    const read = () => api.readWorkload(namespace, workload, kind);
    const written = await retryOnConflict(async () => {
      const [current, services] = await Promise.all([read(), api.listServices(namespace)]);
      const next = inject(current, services, { ...agent, ...choice }).workload;
      if (changed(current, next)) {
        logger.info("injecting the agent", { namespace, workload, kind: current.kind });
        await api.replaceWorkload(next);
      }
      return next;
    });
    await this.#options.waitForRollout(
      written,
      read,
      (line) => this.#options.progress?.(namespace, workload, line),
    );
    // Only now do the Services send traffic to the agent's ports, which every pod has.
    await retryOnConflict(async () => {
      const [current, services] = await Promise.all([read(), api.listServices(namespace)]);
      await this.#writeServices(services, inject(current, services, { ...agent, ...choice }));
    });
  }

  /**
   * Restores the workload and its Services exactly as they were before the injection, keeping
   * what others changed since; does nothing when tpx has not injected them.
   *
   * @param namespace the workload's namespace
   * @param workload its name
   * @param kind its kind, when known
   * @throws {TpxError} an API error, or `cluster` when tpx's record cannot be read
   */
  async removeAgent(namespace: string, workload: string, kind?: InjectableKind): Promise<void> {
    const { api, logger } = this.#options;
    const read = () => api.readWorkload(namespace, workload, kind);
    // The Services first: the app's own port takes the traffic before the agent goes away.
    await retryOnConflict(async () => {
      const [current, services] = await Promise.all([read(), api.listServices(namespace)]);
      await this.#writeServices(services, remove(current, services));
    });
    await retryOnConflict(async () => {
      const [current, services] = await Promise.all([read(), api.listServices(namespace)]);
      const next = remove(current, services).workload;
      if (!changed(current, next)) return;
      logger.info("removing the agent", { namespace, workload, kind: current.kind });
      await api.replaceWorkload(next);
    });
  }

  async #writeServices(before: readonly Service[], after: { services: Service[] }) {
    for (const [i, service] of after.services.entries()) {
      if (changed(before[i], service)) await this.#options.api.replaceService(service);
    }
  }
}

/** Options of {@link kubeInjector}. */
export interface KubeInjectorOptions {
  image: string;
  managerAddress: string;
  logger: Logger;
  rollout?: Omit<AgentRolloutOptions, "progress">;
  progress?: InjectorOptions["progress"];
}

/**
 * An {@link Injector} on a cluster connection.
 *
 * @param kube the connection, with the manager's service account
 * @param options the agent's image and manager address, the logger, rollout timeouts
 * @returns the injector
 */
export function kubeInjector(kube: KubeConnection, options: KubeInjectorOptions): Injector {
  return new Injector({
    api: kubeWorkloadApi(kube),
    image: options.image,
    managerAddress: options.managerAddress,
    logger: options.logger,
    ...(options.progress ? { progress: options.progress } : {}),
    waitForRollout: (workload, read, progress) =>
      waitForAgentRollout(kube, read, workload, { ...options.rollout, progress }),
  });
}

function changed(before: unknown, after: unknown): boolean {
  return JSON.stringify(before) !== JSON.stringify(after);
}
