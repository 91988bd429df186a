/**
 * The lookup index as plain data: Services, EndpointSlices and Namespaces reduced to the
 * facts a lookup needs, changed by the events of their watches and replaced by a relist. No
 * I/O, so it is tested without a cluster.
 *
 * @module
 */
import type {
  ClusterIndex,
  EndpointFacts,
  ServiceFacts,
  ServicePortFacts,
} from "../../../cluster/lookup/answer.ts";

/** The resources the index watches. */
export type IndexedKind = "Service" | "EndpointSlice" | "Namespace";

/** The types of watch events that change objects. */
export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/** The fields of any object the index reads; the rest is ignored. */
interface ObjectMeta {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
}

interface RawService extends ObjectMeta {
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalName?: string;
    ports?: { name?: string; port?: number; protocol?: string }[];
  };
}

interface RawEndpointSlice extends ObjectMeta {
  endpoints?: {
    addresses?: string[];
    hostname?: string;
    conditions?: { ready?: boolean | null };
  }[];
}

/** One EndpointSlice's part: which Service, and its endpoints. */
interface SliceFacts {
  service: string;
  endpoints: EndpointFacts[];
}

/** Options of {@link IndexState}. */
export interface IndexStateOptions {
  /**
   * The namespaces the manager serves, when it is limited to some: then they are the only
   * ones known (it may not list namespaces), and objects elsewhere are ignored. Absent: every
   * namespace, as the Namespace watch reports them.
   */
  namespaces?: readonly string[] | undefined;
}

/**
 * The index. Reads are answered from maps keyed `namespace/name`; each event costs one map
 * change (an EndpointSlice also updates its Service's set of slices).
 *
 * @example
 * ```ts
 * const state = new IndexState();
 * state.apply("Service", "ADDED", { metadata: { name: "web", namespace: "shop" }, spec: { clusterIP: "10.96.0.20", ports: [{ port: 80 }] } });
 * state.service("shop", "web"); // { clusterIPs: ["10.96.0.20"], headless: false, ports: [{ port: 80, protocol: "TCP" }] }
 * ```
 */
export class IndexState implements ClusterIndex {
  readonly #services = new Map<string, ServiceFacts>();
  readonly #slices = new Map<string, SliceFacts>();
  /** `namespace/service` → the keys of its slices. */
  readonly #slicesOfService = new Map<string, Set<string>>();
  readonly #namespaces = new Set<string>();
  readonly #limitedTo: ReadonlySet<string> | undefined;

  /** @param options the namespaces the manager is limited to, if any */
  constructor(options: IndexStateOptions = {}) {
    this.#limitedTo = options.namespaces && new Set(options.namespaces);
  }

  service(namespace: string, name: string): ServiceFacts | undefined {
    return this.#services.get(key(namespace, name));
  }

  endpoints(namespace: string, service: string): readonly EndpointFacts[] {
    const keys = this.#slicesOfService.get(key(namespace, service));
    if (keys === undefined) return [];
    return [...keys].flatMap((k) => this.#slices.get(k)?.endpoints ?? []);
  }

  hasNamespace(namespace: string): boolean {
    return this.#limitedTo ? this.#limitedTo.has(namespace) : this.#namespaces.has(namespace);
  }

  /** How many objects of each kind the index holds, for logs. */
  get sizes(): Record<IndexedKind, number> {
    return {
      Service: this.#services.size,
      EndpointSlice: this.#slices.size,
      Namespace: this.#limitedTo ? this.#limitedTo.size : this.#namespaces.size,
    };
  }

  /**
   * Applies one watch event. An object without a name, or in a namespace the manager does
   * not serve, changes nothing.
   *
   * @param kind the watched resource
   * @param type ADDED and MODIFIED store the object, DELETED removes it
   * @param object the event's object, as JSON
   */
  apply(kind: IndexedKind, type: ChangeType, object: unknown): void {
    const meta = (object as ObjectMeta | undefined)?.metadata;
    const name = meta?.name;
    const namespace = meta?.namespace ?? "";
    if (!name) return;
    if (kind !== "Namespace" && this.#limitedTo && !this.#limitedTo.has(namespace)) return;
    if (type === "DELETED") {
      this.#remove(kind, namespace, name);
    } else {
      this.#store(kind, namespace, name, object);
    }
  }

  /**
   * Replaces every object of a kind in a scope with a fresh list, as after a relist: what the
   * list lacks is gone.
   *
   * @param kind the listed resource
   * @param namespace the listed namespace, or undefined for a list across all of them
   * @param objects the list's items
   */
  replace(kind: IndexedKind, namespace: string | undefined, objects: readonly unknown[]): void {
    for (const [namespaceOf, name] of this.#keysOf(kind)) {
      if (namespace === undefined || namespaceOf === namespace) {
        this.#remove(kind, namespaceOf, name);
      }
    }
    for (const object of objects) this.apply(kind, "ADDED", object);
  }

  #keysOf(kind: IndexedKind): [string, string][] {
    const split = (k: string): [string, string] => {
      const slash = k.indexOf("/");
      return [k.slice(0, slash), k.slice(slash + 1)];
    };
    switch (kind) {
      case "Service":
        return [...this.#services.keys()].map(split);
      case "EndpointSlice":
        return [...this.#slices.keys()].map(split);
      case "Namespace":
        return [...this.#namespaces].map((name) => ["", name]);
    }
  }

  #store(kind: IndexedKind, namespace: string, name: string, object: unknown): void {
    switch (kind) {
      case "Service":
        this.#services.set(key(namespace, name), serviceFacts(object as RawService));
        return;
      case "EndpointSlice":
        this.#storeSlice(namespace, name, object as RawEndpointSlice);
        return;
      case "Namespace":
        this.#namespaces.add(name);
    }
  }

  #storeSlice(namespace: string, name: string, slice: RawEndpointSlice): void {
    const sliceKey = key(namespace, name);
    // A slice's service label does not change, but dropping the old link first is cheap.
    this.#unlinkSlice(sliceKey);
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!service) return; // Not a Service's slice: nothing to look up through it.
    this.#slices.set(sliceKey, { service, endpoints: endpointFacts(slice) });
    const serviceKey = key(namespace, service);
    const keys = this.#slicesOfService.get(serviceKey) ?? new Set();
    keys.add(sliceKey);
    this.#slicesOfService.set(serviceKey, keys);
  }

  #unlinkSlice(sliceKey: string): void {
    const previous = this.#slices.get(sliceKey);
    if (previous === undefined) return;
    this.#slices.delete(sliceKey);
    const serviceKey = key(sliceKey.slice(0, sliceKey.indexOf("/")), previous.service);
    const keys = this.#slicesOfService.get(serviceKey);
    keys?.delete(sliceKey);
    if (keys?.size === 0) this.#slicesOfService.delete(serviceKey);
  }

  #remove(kind: IndexedKind, namespace: string, name: string): void {
    switch (kind) {
      case "Service":
        this.#services.delete(key(namespace, name));
        return;
      case "EndpointSlice":
        this.#unlinkSlice(key(namespace, name));
        return;
      case "Namespace":
        this.#namespaces.delete(name);
    }
  }
}

function key(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

function serviceFacts(service: RawService): ServiceFacts {
  const spec = service.spec ?? {};
  const ports: ServicePortFacts[] = (spec.ports ?? [])
    .filter((p) => typeof p.port === "number")
    .map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port: p.port!,
      protocol: p.protocol ?? "TCP",
    }));
  if (spec.type === "ExternalName" && spec.externalName) {
    return { clusterIPs: [], headless: false, ports, externalName: spec.externalName };
  }
  const headless = spec.clusterIP === "None";
  const clusterIPs = headless
    ? []
    : (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter((ip) => ip !== "None");
  return { clusterIPs, headless, ports };
}

function endpointFacts(slice: RawEndpointSlice): EndpointFacts[] {
  return (slice.endpoints ?? []).map((endpoint) => ({
    addresses: [...(endpoint.addresses ?? [])],
    ...(endpoint.hostname ? { hostname: endpoint.hostname } : {}),
    // The API says an unknown readiness is to be read as ready.
    ready: endpoint.conditions?.ready !== false,
  }));
}
