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

/** What {@link Injector.ensureAgent} leaves running. */
export interface AgentRollout {
  kind: InjectableKind;
  /** The pods that run the agent once the rollout finished (for the messages about them). */
  pods: string[];
}

/** What {@link Injector.removeAgent} did. */
export interface AgentRemoval {
  kind: InjectableKind;
  /** False when tpx had nothing in the workload or its Services: nothing was written. */
  restored: boolean;
}

/** A workload that carries tpx's injection record. */
export interface InjectedWorkload {
  kind: InjectableKind;
  namespace: string;
  workload: string;
}

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
   * @returns the workload's kind and the pods that run the agent
   * @throws {TpxError} `user` when the workload cannot be intercepted; `agent_rollout_failed`
   *   with the reason when its pods do not come up; an API error otherwise
   */
  async ensureAgent(
    namespace: string,
    workload: string,
    kind?: InjectableKind,
    choice: PortChoice = {},
  ): Promise<AgentRollout> {
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
    return { kind: written.kind as InjectableKind, pods: await api.agentPods(written) };
  }

  /**
   * Restores the workload and its Services exactly as they were before the injection, keeping
   * what others changed since; does nothing when tpx has not injected them.
   *
   * @param namespace the workload's namespace
   * @param workload its name
   * @param kind its kind, when known
   * @returns its kind, and whether anything of tpx's was there to remove
   * @throws {TpxError} an API error, or `cluster` when tpx's record cannot be read
   */
  async removeAgent(
    namespace: string,
    workload: string,
    kind?: InjectableKind,
  ): Promise<AgentRemoval> {
    const { api, logger } = this.#options;
    const read = () => api.readWorkload(namespace, workload, kind);
    // The Services first: the app's own port takes the traffic before the agent goes away.
    const servicesWritten = await retryOnConflict(async () => {
      const [current, services] = await Promise.all([read(), api.listServices(namespace)]);
      return await this.#writeServices(services, remove(current, services));
    });
    return await retryOnConflict(async () => {
      const [current, services] = await Promise.all([read(), api.listServices(namespace)]);
      const next = remove(current, services).workload;
      const found = current.kind as InjectableKind;
      if (!changed(current, next)) return { kind: found, restored: servicesWritten };
      logger.info("removing the agent", { namespace, workload, kind: current.kind });
      await api.replaceWorkload(next);
      return { kind: found, restored: true };
    });
  }

  /**
   * The workloads that carry tpx's injection record, as the cluster lists them now.
   *
   * @param namespaces where to look; undefined: every namespace
   * @returns each injected workload once
   * @throws {TpxError} an API error (such as a namespace the manager may not list)
   */
  async listInjected(namespaces: readonly string[] | undefined): Promise<InjectedWorkload[]> {
    const { api } = this.#options;
    const lists = namespaces === undefined
      ? [await api.listInjected(undefined)]
      : await Promise.all(namespaces.map((ns) => api.listInjected(ns)));
    return lists.flat().map((w) => ({
      kind: w.kind as InjectableKind,
      namespace: w.metadata.namespace ?? "",
      workload: w.metadata.name,
    }));
  }

  /** Writes the Services that changed; tells whether it wrote any. */
  async #writeServices(
    before: readonly Service[],
    after: { services: Service[] },
  ): Promise<boolean> {
    let wrote = false;
    for (const [i, service] of after.services.entries()) {
      if (!changed(before[i], service)) continue;
      await this.#options.api.replaceService(service);
      wrote = true;
    }
    return wrote;
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
      waitForAgentRollout(kube, read, workload, {
        logger: options.logger,
        ...options.rollout,
        progress,
      }),
  });
}

function changed(before: unknown, after: unknown): boolean {
  return JSON.stringify(before) !== JSON.stringify(after);
}
