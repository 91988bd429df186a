// The watch index against a fake API server on loopback: real client-node lists and watches,
// a server that streams watch events, expires old resourceVersions (410 Gone) and refuses
// what RBAC would.
import assert from "node:assert/strict";
import { connectKube, type KubeConnection } from "../../../cluster/kube/mod.ts";
import { Backoff } from "../../../tunnel/backoff.ts";
import { MemoryLogger } from "../../../tunnel/log.ts";
import { indexLookup } from "../lookup.ts";
import { WatchedClusterIndex, watchEnd } from "./cluster_index.ts";

type Plural = "services" | "endpointslices" | "namespaces";
type Json = Record<string, unknown> & { metadata: Record<string, unknown> };

const PATH =
  /^\/(?:api\/v1|apis\/discovery\.k8s\.io\/v1)(?:\/namespaces\/([^/]+))?\/(services|endpointslices|namespaces)$/;

interface Watcher {
  plural: Plural;
  namespace: string | undefined;
  send(line: string): void;
  close(): void;
}

/** A fake API server holding Services, EndpointSlices and Namespaces. */
class FakeClusterApi implements AsyncDisposable {
  readonly #objects = new Map<string, Json>();
  readonly #watchers = new Set<Watcher>();
  /** Every change, for watches that start from an earlier resourceVersion. */
  readonly #history: { plural: Plural; resourceVersion: number; type: string; object: Json }[] = [];
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  #resourceVersion = 100;
  /** Watches from before this resourceVersion are answered 410 Gone. */
  #oldest = 0;
  /** `GET` lists, as `plural namespace`, in order. */
  readonly lists: string[] = [];
  /** How many watches were answered 410 Gone. */
  expired = 0;
  /** Plurals answered 403 Forbidden. */
  readonly forbidden = new Set<Plural>();

  constructor() {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) => this.#handle(request),
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Creates or replaces an object, telling the watchers. */
  put(plural: Plural, object: Json): void {
    const key = keyOf(plural, object);
    const type = this.#objects.has(key) ? "MODIFIED" : "ADDED";
    object.metadata.resourceVersion = String(++this.#resourceVersion);
    this.#objects.set(key, object);
    this.#notify(plural, type, object);
  }

  /** Deletes an object, telling the watchers. */
  remove(plural: Plural, namespace: string | undefined, name: string): void {
    const key = `${plural}/${namespace ?? ""}/${name}`;
    const object = this.#objects.get(key);
    if (!object) return;
    this.#objects.delete(key);
    object.metadata.resourceVersion = String(++this.#resourceVersion);
    this.#notify(plural, "DELETED", object);
  }

  /**
   * Loses the history, as etcd compaction does: deletes an object without telling anyone,
   * ends every watch, and answers 410 to watches from before now.
   */
  compactLosing(plural: Plural, namespace: string | undefined, name: string): void {
    this.#objects.delete(`${plural}/${namespace ?? ""}/${name}`);
    this.#oldest = ++this.#resourceVersion;
    for (const watcher of this.#watchers) watcher.close();
  }

  #notify(plural: Plural, type: string, object: Json): void {
    const copy = structuredClone(object);
    this.#history.push({ plural, resourceVersion: this.#resourceVersion, type, object: copy });
    for (const watcher of this.#watchers) {
      if (matches(watcher, plural, copy)) watcher.send(JSON.stringify({ type, object: copy }));
    }
  }

  #handle(request: Request): Response {
    const url = new URL(request.url);
    const match = PATH.exec(url.pathname);
    if (!match) return status(404, "NotFound", "the server could not find the requested resource");
    const namespace = match[1] && decodeURIComponent(match[1]);
    const plural = match[2] as Plural;
    if (this.forbidden.has(plural)) {
      return status(403, "Forbidden", `${plural} is forbidden: cannot list resource "${plural}"`);
    }
    if (url.searchParams.get("watch") === "true") {
      return this.#watch(plural, namespace, Number(url.searchParams.get("resourceVersion")));
    }
    this.lists.push(`${plural} ${namespace ?? "*"}`);
    const items = [...this.#objects.entries()]
      .filter(([key]) =>
        key.startsWith(`${plural}/${namespace === undefined ? "" : `${namespace}/`}`)
      )
      .map(([, object]) => object);
    return Response.json({
      apiVersion: "v1",
      kind: "List",
      metadata: { resourceVersion: String(this.#resourceVersion) },
      items,
    });
  }

  #watch(plural: Plural, namespace: string | undefined, from: number): Response {
    const encoder = new TextEncoder();
    if (from < this.#oldest) {
      this.expired++;
      const gone = { kind: "Status", status: "Failure", reason: "Expired", code: 410 };
      return new Response(JSON.stringify({ type: "ERROR", object: gone }) + "\n");
    }
    let watcher: Watcher | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        watcher = {
          plural,
          namespace,
          send: (line) => controller.enqueue(encoder.encode(line + "\n")),
          close: () => {
            this.#watchers.delete(watcher!);
            controller.close();
          },
        };
        this.#watchers.add(watcher);
        for (const change of this.#history) {
          if (change.resourceVersion <= from || !matches(watcher, change.plural, change.object)) {
            continue;
          }
          watcher.send(JSON.stringify({ type: change.type, object: change.object }));
        }
      },
      cancel: () => {
        this.#watchers.delete(watcher!);
      },
    });
    return new Response(body, { headers: { "content-type": "application/json" } });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const watcher of this.#watchers) watcher.close();
    await this.#server.shutdown();
  }
}

function matches(watcher: Watcher, plural: Plural, object: Json): boolean {
  return watcher.plural === plural &&
    (watcher.namespace === undefined || watcher.namespace === object.metadata.namespace);
}

function keyOf(plural: Plural, object: Json): string {
  return `${plural}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}

function status(code: number, reason: string, message: string): Response {
  return Response.json(
    { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code },
    { status: code },
  );
}

function service(namespace: string, name: string, spec: Record<string, unknown>): Json {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace }, spec };
}

const web = () =>
  service("shop", "web", {
    clusterIP: "10.96.0.20",
    clusterIPs: ["10.96.0.20"],
    ports: [
      { name: "http", port: 80, protocol: "TCP", targetPort: 8080 },
      { name: "udp", port: 9090, protocol: "UDP", targetPort: 9090 },
    ],
  });

/** A connection to `api` through a kubeconfig in a temporary folder; dispose closes both. */
async function connect(api: FakeClusterApi): Promise<KubeConnection> {
  const dir = await Deno.makeTempDir({ prefix: "tpx_index_" });
  const kubeconfig = `${dir}/config`;
  await Deno.writeTextFile(
    kubeconfig,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "fake",
      clusters: [{ name: "fake", cluster: { server: api.url } }],
      users: [{ name: "fake", user: {} }],
      contexts: [{ name: "fake", context: { cluster: "fake", user: "fake" } }],
    }),
  );
  const kube = await connectKube({ kubeconfig, env: {} });
  return Object.assign(kube, {
    async [Symbol.asyncDispose]() {
      await kube.close();
      await Deno.remove(dir, { recursive: true });
    },
  });
}

/** Waits for `check` to hold, failing after a deadline (a bound, not a speed assertion). */
async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** An index over `kube` that retries quickly; dispose stops its watches. */
function startIndex(
  kube: KubeConnection,
  namespaces?: string[],
  logger: MemoryLogger = new MemoryLogger(),
): WatchedClusterIndex {
  return WatchedClusterIndex.start(kube, {
    namespaces,
    logger,
    backoff: () => new Backoff({ initialMs: 20, maxMs: 200, jitter: 0 }),
  });
}

Deno.test("WatchedClusterIndex lists and watches a namespace's Services and EndpointSlices", async () => {
  await using api = new FakeClusterApi();
  api.put("services", web());
  api.put("services", service("shop", "db", { clusterIP: "None", ports: [{ port: 5432 }] }));
  api.put("services", service("other", "web", { clusterIP: "10.96.0.99", ports: [{ port: 80 }] }));
  api.put("endpointslices", {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "db-x1", namespace: "shop", labels: { "kubernetes.io/service-name": "db" } },
    addressType: "IPv4",
    endpoints: [{ addresses: ["10.244.0.7"], hostname: "db-0", conditions: { ready: true } }],
  });
  await using kube = await connect(api);
  using index = startIndex(kube, ["shop"]);
  assert.equal(index.ready, false);
  assert.match(index.notReadyReason(), /^waiting for the first list of services in "shop"/);
  await until("the first lists", () => index.ready);
  assert.deepEqual(api.lists.sort(), ["endpointslices shop", "services shop"]);

  const lookup = indexLookup({ index, clusterDomain: "cluster.local" });
  assert.deepEqual(await lookup("web.shop.svc.cluster.local"), {
    canonical: "web.shop.svc.cluster.local",
    kind: "service",
    addresses: ["10.96.0.20"],
    ports: [
      { name: "http", port: 80, protocol: "TCP" },
      { name: "udp", port: 9090, protocol: "UDP" },
    ],
    ttl: 30,
  });
  assert.deepEqual((await lookup("db-0.db.shop.svc.cluster.local")).addresses, ["10.244.0.7"]);
  assert.equal((await lookup("web.other.svc.cluster.local")).kind, "none");

  api.put(
    "services",
    service("shop", "api", { clusterIP: "10.96.0.30", ports: [{ port: 8080 }] }),
  );
  await until("the new Service", () => index.service("shop", "api") !== undefined);
  api.remove("services", "shop", "web");
  await until("the deleted Service to go", () => index.service("shop", "web") === undefined);
  assert.equal((await lookup("web.shop.svc.cluster.local")).kind, "none");
});

Deno.test("WatchedClusterIndex lists again when its resourceVersion expired (410 Gone)", async () => {
  await using api = new FakeClusterApi();
  api.put("services", web());
  api.put("services", service("shop", "old", { clusterIP: "10.96.0.40", ports: [{ port: 80 }] }));
  await using kube = await connect(api);
  const logger = new MemoryLogger();
  using index = startIndex(kube, ["shop"], logger);
  await until("the first lists", () => index.ready);
  assert.ok(index.service("shop", "old"));
  // The deletion is lost with the history: only a new list can show it.
  api.compactLosing("services", "shop", "old");
  await until(
    "the relist to drop the lost Service",
    () => index.service("shop", "old") === undefined,
  );
  assert.ok(api.expired >= 1, "a watch was answered 410");
  assert.equal(api.lists.filter((l) => l === "services shop").length, 2);
  assert.ok(index.service("shop", "web"));
  assert.ok(logger.messages().includes("the watch expired; listing again"));
  // And it watches again from the new list.
  api.put("services", service("shop", "later", { clusterIP: "10.96.0.50", ports: [] }));
  await until("a Service after the relist", () => index.service("shop", "later") !== undefined);
});

Deno.test("WatchedClusterIndex across the cluster follows namespaces as they come and go", async () => {
  await using api = new FakeClusterApi();
  api.put("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } });
  api.put("services", web());
  await using kube = await connect(api);
  using index = startIndex(kube);
  await until("the first lists", () => index.ready);
  assert.deepEqual(api.lists.sort(), ["endpointslices *", "namespaces *", "services *"]);
  const lookup = indexLookup({ index, clusterDomain: "cluster.local" });
  assert.equal((await lookup("10-244-0-9.shop.pod.cluster.local")).kind, "pod");
  assert.equal((await lookup("10-244-0-9.team.pod.cluster.local")).kind, "none");
  api.put("namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } });
  await until("the new namespace", () => index.hasNamespace("team"));
  api.put("services", service("team", "api", { clusterIP: "10.96.1.1", ports: [{ port: 81 }] }));
  await until("a Service in it", () => index.service("team", "api") !== undefined);
  assert.deepEqual((await lookup("api.team.svc.cluster.local")).ports, [
    { port: 81, protocol: "TCP" },
  ]);
});

Deno.test("WatchedClusterIndex is not ready while a list is forbidden, and says why", async () => {
  await using api = new FakeClusterApi();
  api.forbidden.add("endpointslices");
  await using kube = await connect(api);
  const logger = new MemoryLogger();
  using index = startIndex(kube, ["shop"], logger);
  await until(
    "the list to be refused twice",
    () => logger.messages("warn").filter((m) => m === "listing failed; retrying").length >= 2,
  );
  assert.equal(index.ready, false);
  assert.match(index.notReadyReason(), /^endpointslices in "shop": listing failed: .*forbidden/i);
  api.forbidden.clear();
  await until("the list once allowed", () => index.ready);
});

/** A watchEnd that follows a fresh controller and collects what it reports. */
function followedWatchEnd() {
  const reported: unknown[] = [];
  const end = watchEnd((error) => reported.push(error));
  const controller = new AbortController();
  end.follow(controller);
  return { reported, end, controller };
}

Deno.test("watchEnd() reports an abort client-node leaves unreported, such as its inactivity timeout", async () => {
  const { reported, controller } = followedWatchEnd();
  const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
  controller.abort(timeout);
  await Promise.resolve();
  assert.deepEqual(reported, [timeout]);
});

Deno.test("watchEnd() reports client-node's own error rather than the abort that comes with it", async () => {
  const { reported, end, controller } = followedWatchEnd();
  const gone = Object.assign(new Error("Gone"), { statusCode: 410 });
  // client-node aborts first, then calls done.
  controller.abort();
  end.report(gone);
  await Promise.resolve();
  assert.deepEqual(reported, [gone]);
});

Deno.test("watchEnd() reports nothing for a watch stopped on purpose, or already ended", async () => {
  const { reported, end: stopped, controller } = followedWatchEnd();
  stopped.stop(controller);
  await Promise.resolve();
  assert.equal(reported.length, 0);
  const early = watchEnd((error) => reported.push(error));
  early.report(null);
  const done = new AbortController();
  done.abort();
  early.follow(done);
  await Promise.resolve();
  assert.deepEqual(reported, [null]);
});
