/**
 * The pods of one workload, kept current by a list and a watch (the same loop as the
 * manager's index), so that a rollout wait wakes up when a pod changes instead of polling.
 *
 * @module
 */
import type { KubeConnection } from "../../../cluster/kube/mod.ts";
import type { Clock } from "../../../tunnel/clock.ts";
import type { Logger } from "../../../tunnel/log.ts";
import { watchEnd } from "./cluster_index.ts";
import { ListWatch, type WatchSource } from "./cluster_index_watch.ts";

/** A pod as the watch delivers it: only its name is read here. */
interface NamedObject {
  metadata?: { name?: string };
}

/**
 * The pods a label selector matches, and a way to wait for the next change.
 *
 * @example
 * ```ts
 * using pods = PodWatch.start({ source: podSource(kube, "shop", "app=web"), logger });
 * await pods.changed(5_000); // the next change, or 5 s
 * pods.pods; // as they are now
 * ```
 */
export class PodWatch implements Disposable {
  readonly #pods = new Map<string, unknown>();
  readonly #loop: ListWatch;
  #wake: (() => void) | undefined;

  private constructor(source: WatchSource, logger: Logger, clock: Clock | undefined) {
    this.#loop = new ListWatch({
      source,
      replace: (items) => {
        this.#pods.clear();
        for (const item of items) this.#pods.set(nameOf(item), item);
        this.#changed();
      },
      apply: (type, object) => {
        if (type === "DELETED") this.#pods.delete(nameOf(object));
        else this.#pods.set(nameOf(object), object);
        this.#changed();
      },
      logger,
      ...(clock ? { clock } : {}),
    });
  }

  /**
   * Starts listing and watching.
   *
   * @param options the source (such as {@link podSource}), the logger and a clock for tests
   * @returns the running watch
   */
  static start(options: { source: WatchSource; logger: Logger; clock?: Clock }): PodWatch {
    const watch = new PodWatch(options.source, options.logger, options.clock);
    watch.#loop.start();
    return watch;
  }

  /** Whether the first list is in. */
  get synced(): boolean {
    return this.#loop.synced;
  }

  /** The pods now, as JSON objects. */
  get pods(): unknown[] {
    return [...this.#pods.values()];
  }

  /**
   * Waits for the next change, but not longer than `ms` (the caller's next deadline).
   *
   * @param ms the longest wait
   */
  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      const previous = this.#wake;
      this.#wake = () => {
        previous?.();
        done();
      };
    });
  }

  #changed(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Ends the watch and wakes a waiter. */
  stop(): void {
    this.#loop.stop();
    this.#changed();
  }

  [Symbol.dispose](): void {
    this.stop();
  }
}

function nameOf(object: unknown): string {
  return (object as NamedObject).metadata?.name ?? "";
}

/**
 * Pods of a namespace that match a label selector, over client-node.
 *
 * @param kube the connection
 * @param namespace the pods' namespace
 * @param labelSelector such as `app=web`
 * @returns the source
 */
export function podSource(
  kube: KubeConnection,
  namespace: string,
  labelSelector: string,
): WatchSource {
  return {
    description: `pods "${labelSelector}" in "${namespace}"`,
    async list() {
      const list = await kube.core().listNamespacedPod({ namespace, labelSelector });
      // The watch needs plain JSON, as the list's model classes carry Dates.
      return {
        items: JSON.parse(JSON.stringify(list.items)) as unknown[],
        resourceVersion: list.metadata?.resourceVersion ?? "",
      };
    },
    async watch(resourceVersion, handlers) {
      const { Watch } = await import("@kubernetes/client-node");
      const end = watchEnd(handlers.done);
      const controller = await new Watch(kube.kubeconfig).watch(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
        { resourceVersion, labelSelector, allowWatchBookmarks: true, timeoutSeconds: 300 },
        (type, object) => handlers.event(type, object),
        (error) => end.report(error ?? null),
      );
      end.follow(controller);
      return () => end.stop(controller);
    },
  };
}
