/**
 * Which names the cluster answers: the forms a pod's resolv.conf search list makes work
 * (`web`, `web.shop`, `web.shop.svc`, `web.shop.svc.cluster.local`), headless pod names, pod
 * IP names and SRV names. Everything else belongs to the machine's own resolvers.
 *
 * @module
 */

/** How {@link ClusterNames} recognises cluster names. */
export interface ClusterNamesOptions {
  /** The cluster's DNS domain; default `cluster.local`. */
  clusterDomain?: string;
  /** The namespace a single-label name such as `web` lives in; default `default`. */
  defaultNamespace?: string;
  /**
   * Whether a namespace exists. Asked per query, because namespaces come and go; by default
   * only the default namespace is known.
   */
  isNamespace?: (namespace: string) => boolean;
}

/** A name the cluster answers, as {@link ClusterNames.classify} found it. */
export type ClusterName =
  | {
    kind: "name";
    /** The fully qualified name, lower case, without trailing dot. */
    fqdn: string;
    /**
     * True for a single label such as `printer`: when the cluster has no such service, the
     * name may still be the local network's, so it goes upstream instead of NXDOMAIN.
     */
    upstreamIfUnknown: boolean;
  }
  | {
    kind: "srv";
    /** The service's fully qualified name. */
    fqdn: string;
    /** The port's name (or number) without the underscore, such as `http`. */
    port: string;
    protocol: "TCP" | "UDP";
  };

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const SRV_PROTOCOLS = new Map<string, "TCP" | "UDP">([["_tcp", "TCP"], ["_udp", "UDP"]]);

/**
 * Tells cluster names from the rest.
 *
 * @example
 * ```ts
 * const names = new ClusterNames({ isNamespace: (ns) => ns === "shop" });
 * names.classify("web.shop."); // { kind: "name", fqdn: "web.shop.svc.cluster.local", ... }
 * names.classify("example.com"); // undefined: goes upstream
 * ```
 */
export class ClusterNames {
  readonly #domain: string[];
  readonly #defaultNamespace: string;
  readonly #isNamespace: (namespace: string) => boolean;

  /** @param options the cluster domain, the default namespace and the known namespaces */
  constructor(options: ClusterNamesOptions = {}) {
    this.#domain = normalize(options.clusterDomain ?? "cluster.local").split(".");
    this.#defaultNamespace = (options.defaultNamespace ?? "default").toLowerCase();
    const isNamespace = options.isNamespace;
    this.#isNamespace = isNamespace === undefined
      ? (ns) => ns === this.#defaultNamespace
      : (ns) => isNamespace(ns);
  }

  /** The cluster domain, such as `cluster.local`. */
  get clusterDomain(): string {
    return this.#domain.join(".");
  }

  /**
   * Classifies a queried name. Case and a trailing dot do not matter.
   *
   * @param name the name from the question
   * @returns how the cluster answers it, or `undefined` when it goes upstream
   */
  classify(name: string): ClusterName | undefined {
    const labels = splitName(name);
    if (labels === undefined) return undefined;
    if (endsWith(labels, this.#domain)) return this.#underDomain(labels);
    return this.#searchForm(labels);
  }

  /**
   * Every name in the cluster domain is ours, except ones no Kubernetes object can have
   * (which go upstream untouched); only SRV names need taking apart.
   */
  #underDomain(labels: string[]): ClusterName | undefined {
    const relative = labels.slice(0, labels.length - this.#domain.length);
    if (!relative.every((label) => /^[a-z0-9_-]+$/.test(label))) return undefined;
    const srv = splitSrv(relative);
    if (srv && srv.rest.length === 3 && srv.rest[2] === "svc") {
      return {
        kind: "srv",
        fqdn: labels.slice(2).join("."),
        port: srv.port,
        protocol: srv.protocol,
      };
    }
    return { kind: "name", fqdn: labels.join("."), upstreamIfUnknown: false };
  }

  #searchForm(labels: string[]): ClusterName | undefined {
    const srv = splitSrv(labels);
    const rest = srv ? srv.rest : labels;
    if (!rest.every((label) => LABEL.test(label))) return undefined;
    const full = this.#expand(rest, srv !== undefined);
    if (full === undefined) return undefined;
    const fqdn = [...full, ...this.#domain].join(".");
    if (srv) return { kind: "srv", fqdn, port: srv.port, protocol: srv.protocol };
    return { kind: "name", fqdn, upstreamIfUnknown: rest.length === 1 };
  }

  /** The labels before the cluster domain, or `undefined` for a name that is not a form. */
  #expand(rest: string[], isSrv: boolean): string[] | undefined {
    const last = rest[rest.length - 1]!;
    switch (rest.length) {
      case 1: // web
        return last === "localhost" ? undefined : [last, this.#defaultNamespace, "svc"];
      case 2: // web.shop
        return this.#isNamespace(last) ? [...rest, "svc"] : undefined;
      case 3: // web.shop.svc, 10-0-0-1.shop.pod, web-0.web.shop
        if (last === "svc") return rest;
        if (last === "pod") return isSrv ? undefined : rest;
        return !isSrv && this.#isNamespace(last) ? [...rest, "svc"] : undefined;
      case 4: // web-0.web.shop.svc
        return !isSrv && last === "svc" ? rest : undefined;
      default:
        return undefined;
    }
  }
}

/**
 * The IPv4 address a reverse name stands for.
 *
 * @param name such as `1.0.241.127.in-addr.arpa.`
 * @returns such as `127.241.0.1`, or `undefined` for any other name
 */
export function parseReverseName(name: string): string | undefined {
  const labels = splitName(name);
  if (labels?.length !== 6 || labels[4] !== "in-addr" || labels[5] !== "arpa") return undefined;
  const octets = labels.slice(0, 4).reverse();
  if (!octets.every((o) => /^(0|[1-9][0-9]{0,2})$/.test(o) && Number(o) <= 255)) {
    return undefined;
  }
  return octets.join(".");
}

/**
 * A name as the stub compares it: lower case, without the trailing dot.
 *
 * @param name a name from a question
 * @returns the normalized name
 */
export function normalize(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

function splitName(name: string): string[] | undefined {
  const normalized = normalize(name);
  if (normalized === "" || normalized.length > 253) return undefined;
  const labels = normalized.split(".");
  return labels.every((l) => l.length > 0 && l.length <= 63) ? labels : undefined;
}

function endsWith(labels: string[], suffix: string[]): boolean {
  if (labels.length < suffix.length) return false;
  const offset = labels.length - suffix.length;
  return suffix.every((label, i) => labels[offset + i] === label);
}

function splitSrv(
  labels: string[],
): { port: string; protocol: "TCP" | "UDP"; rest: string[] } | undefined {
  const [port, protocol, ...rest] = labels;
  if (port === undefined || protocol === undefined || rest.length === 0) return undefined;
  const proto = SRV_PROTOCOLS.get(protocol);
  if (proto === undefined || !port.startsWith("_") || !LABEL.test(port.slice(1))) {
    return undefined;
  }
  return { port: port.slice(1), protocol: proto, rest };
}
