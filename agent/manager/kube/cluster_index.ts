/**
 * The manager's lookup index, filled by watches: Services, EndpointSlices and (when it serves
 * every namespace) Namespaces, each listed once and then watched, cluster-wide or in each
 * namespace the manager is limited to. Lookups read it without calling the API server.
 *
 * @module
 */
import type { KubeConnection } from "../../../cluster/kube/mod.ts";
import type { ClusterIndex, EndpointFacts, ServiceFacts } from "../../../cluster/lookup/answer.ts";
import type { Backoff } from "../../../tunnel/backoff.ts";
import type { Clock } from "../../../tunnel/clock.ts";
import type { Logger } from "../../../tunnel/log.ts";
import { type IndexedKind, IndexState } from "./cluster_index_state.ts";
import { type ListResult, ListWatch, type WatchSource } from "./cluster_index_watch.ts";

/** A source and the kind and scope of its objects. */
export interface IndexSource {
  kind: IndexedKind;
  /** The namespace it lists, or undefined for all of them. */
  namespace: string | undefined;
  source: WatchSource;
}

/** Options of {@link WatchedClusterIndex}. */
export interface WatchedClusterIndexOptions {
  /** The namespaces the manager is limited to; absent: all of them. */
  namespaces?: readonly string[] | undefined;
  logger: Logger;
  clock?: Clock;
  /** A backoff for each loop; tests pass one without jitter. */
  backoff?: () => Backoff;
}

/**
 * The index and the loops that keep it current.
 *
 * @example
 * ```ts
 * const index = WatchedClusterIndex.start(kube, { namespaces: ["shop"], logger });
 * // ... once index.ready:
 * answerFor("web.shop.svc.cluster.local", index, "cluster.local");
 * index.stop();
 * ```
 */
export class WatchedClusterIndex implements ClusterIndex, Disposable {
  readonly #state: IndexState;
  readonly #loops: ListWatch[];

  /**
   * Starts the loops over the given sources (see {@link kubeIndexSources}).
   *
   * @param sources what to list and watch
   * @param options the namespaces, the logger, and the timing
   */
  constructor(sources: readonly IndexSource[], options: WatchedClusterIndexOptions) {
    this.#state = new IndexState({ namespaces: options.namespaces });
    this.#loops = sources.map(({ kind, namespace, source }) =>
      new ListWatch({
        source,
        replace: (items) => this.#state.replace(kind, namespace, items),
        apply: (type, object) => this.#state.apply(kind, type, object),
        logger: options.logger,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.backoff ? { backoff: options.backoff() } : {}),
      })
    );
    for (const loop of this.#loops) loop.start();
  }

  /**
   * Watches the cluster over a connection.
   *
   * @param kube the manager's connection (its service account)
   * @param options the namespaces the manager is limited to, and the logger
   * @returns the running index
   */
  static start(kube: KubeConnection, options: WatchedClusterIndexOptions): WatchedClusterIndex {
    return new WatchedClusterIndex(kubeIndexSources(kube, options.namespaces), options);
  }

  /** Whether every source has been listed once. */
  get ready(): boolean {
    return this.#loops.every((loop) => loop.synced);
  }

  /**
   * Why the index is not ready, for `/readyz`.
   *
   * @returns such as `listing services in "shop" failed: ...`, or the sources still awaited
   */
  notReadyReason(): string {
    const waiting = this.#loops.filter((loop) => !loop.synced);
    const failed = waiting.find((loop) => loop.lastError !== undefined);
    if (failed) return `${failed.description}: ${failed.lastError}`;
    return `waiting for the first list of ${waiting.map((l) => l.description).join(", ")}`;
  }

  /** How many objects of each kind the index holds. */
  get sizes(): Record<IndexedKind, number> {
    return this.#state.sizes;
  }

  service(namespace: string, name: string): ServiceFacts | undefined {
    return this.#state.service(namespace, name);
  }

  endpoints(namespace: string, service: string): readonly EndpointFacts[] {
    return this.#state.endpoints(namespace, service);
  }

  hasNamespace(namespace: string): boolean {
    return this.#state.hasNamespace(namespace);
  }

  /** Ends every watch. */
  stop(): void {
    for (const loop of this.#loops) loop.stop();
  }

  [Symbol.dispose](): void {
    this.stop();
  }
}

/**
 * What the manager lists and watches: per namespace when it is limited to some (it may not
 * list across namespaces then, nor read Namespaces), else across all of them.
 *
 * @param kube the connection
 * @param namespaces the namespaces the manager is limited to; absent: all
 * @returns the sources
 */
export function kubeIndexSources(
  kube: KubeConnection,
  namespaces: readonly string[] | undefined,
): IndexSource[] {
  if (namespaces === undefined) {
    return [
      { kind: "Service", namespace: undefined, source: kubeSource(kube, "Service", undefined) },
      {
        kind: "EndpointSlice",
        namespace: undefined,
        source: kubeSource(kube, "EndpointSlice", undefined),
      },
      { kind: "Namespace", namespace: undefined, source: kubeSource(kube, "Namespace", undefined) },
    ];
  }
  return [...new Set(namespaces)].flatMap((namespace) =>
    (["Service", "EndpointSlice"] as const).map((kind) => ({
      kind,
      namespace,
      source: kubeSource(kube, kind, namespace),
    }))
  );
}

const RESOURCES: Record<IndexedKind, { prefix: string; plural: string }> = {
  Service: { prefix: "/api/v1", plural: "services" },
  EndpointSlice: { prefix: "/apis/discovery.k8s.io/v1", plural: "endpointslices" },
  Namespace: { prefix: "/api/v1", plural: "namespaces" },
};

/**
 * One resource over client-node: lists with the typed clients (which refresh a refused
 * credential and map errors), watches with client-node's `Watch`.
 */
function kubeSource(
  kube: KubeConnection,
  kind: IndexedKind,
  namespace: string | undefined,
): WatchSource {
  const { prefix, plural } = RESOURCES[kind];
  const path = namespace === undefined
    ? `${prefix}/${plural}`
    : `${prefix}/namespaces/${encodeURIComponent(namespace)}/${plural}`;
  return {
    description: namespace === undefined ? plural : `${plural} in "${namespace}"`,
    list: () => listOf(kube, kind, namespace),
    async watch(resourceVersion, handlers) {
      const { Watch } = await import("@kubernetes/client-node");
      const end = watchEnd(handlers.done);
      const controller = await new Watch(kube.kubeconfig).watch(
        path,
        {
          resourceVersion,
          allowWatchBookmarks: true,
          // Like client-go: the server ends each watch after 5 to 10 minutes, and it resumes.
          timeoutSeconds: 300 + Math.floor(Math.random() * 300),
        },
        (type, object) => handlers.event(type, object),
        (error) => end.report(error ?? null),
      );
      end.follow(controller);
      return () => end.stop(controller);
    },
  };
}

/** The end of one client-node watch, reported once. */
export interface WatchEnd {
  /** client-node's `done`: the server closed the watch (`null`) or it failed. */
  report(error: unknown): void;
  /** Reports an abort of the watch's controller that client-node did not report. */
  follow(controller: AbortController): void;
  /** Ends the watch on purpose: nothing is reported. */
  stop(controller: AbortController): void;
}

/**
 * Makes sure the end of a client-node watch is reported. Under Deno, client-node's `Watch`
 * never calls `done` when its own 30-second inactivity timer aborts the request (nor when the
 * connection breaks without a close, which ends in that timer): the watch would stop in
 * silence. Every end aborts the watch's controller, so the abort is reported too, after
 * client-node's own report when there is one, which carries the better error.
 *
 * @param done where the end goes, once
 * @returns the three ways a watch ends
 */
export function watchEnd(done: (error: unknown) => void): WatchEnd {
  let ended = false;
  const report = (error: unknown) => {
    if (ended) return;
    ended = true;
    done(error);
  };
  return {
    report,
    follow(controller) {
      const aborted = () => queueMicrotask(() => report(controller.signal.reason ?? null));
      if (controller.signal.aborted) aborted();
      else controller.signal.addEventListener("abort", aborted, { once: true });
    },
    stop(controller) {
      ended = true;
      controller.abort();
    },
  };
}

async function listOf(
  kube: KubeConnection,
  kind: IndexedKind,
  namespace: string | undefined,
): Promise<ListResult> {
  const plain = (list: { items: unknown[]; metadata?: { resourceVersion?: string } }) => ({
    items: list.items,
    resourceVersion: list.metadata?.resourceVersion ?? "",
  });
  if (kind === "Namespace") return plain(await kube.core().listNamespace());
  if (kind === "Service") {
    const core = kube.core();
    return plain(
      namespace === undefined
        ? await core.listServiceForAllNamespaces()
        : await core.listNamespacedService({ namespace }),
    );
  }
  const client = await import("@kubernetes/client-node");
  const discovery = kube.kubeconfig.makeApiClient(client.DiscoveryV1Api);
  return plain(
    await kube.call(() =>
      namespace === undefined
        ? discovery.listEndpointSliceForAllNamespaces()
        : discovery.listNamespacedEndpointSlice({ namespace })
    ),
  );
}
