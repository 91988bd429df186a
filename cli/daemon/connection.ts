/**
 * One connection of the daemon to a cluster: the Kubernetes API, the tunnel to the manager,
 * the stub DNS and the forwarders behind its answers. Everything it starts, `close()` stops.
 *
 * @module
 */
import { userInfo } from "node:os";
import type { KubeConnection } from "../../cluster/kube/mod.ts";
import { dialTcp } from "../../tunnel/dial.ts";
import {
  type DnsStub,
  loadSystemNameServers,
  LoopbackPool,
  startDnsStub,
} from "../../tunnel/dns/mod.ts";
import type { Logger } from "../../tunnel/log.ts";
import { type ByteChannel, TpxError } from "../../tunnel/protocol/mod.ts";
import type { StreamOpener } from "../../tunnel/tcp_forwarder.ts";
import type { ConnectRequest, SessionStatus } from "./api_types.ts";
import { ClusterRoutes } from "./cluster_routes.ts";
import { ProxyServer } from "../../tunnel/proxy/mod.ts";
import { clusterProxyRoutes } from "./proxy_routes.ts";
import { applyLocalDns, dnsStatus, type LocalDnsPlan } from "./local_dns.ts";
import type { SystemDnsChange } from "./system_dns/mod.ts";
import { ManagerClient } from "./manager_client.ts";

/** Stable codes of the errors of this module. */
export const ConnectionErrorCode = {
  NotConnected: "not_connected",
  BadManagerAddress: "bad_manager_address",
  ManagerUnreachable: "manager_unreachable",
} as const;

/** What a connection needs from the daemon. */
export interface ConnectionDeps {
  logger: Logger;
  /** Where the stub listens, and whether the system resolver is pointed at it. */
  localDns: LocalDnsPlan;
  /** The proxy's port; 0 (any free one) by default. */
  proxyPort?: number;
  /** How long `open` waits for the manager; default 30 s. */
  managerTimeoutMs?: number;
}

/**
 * A live connection.
 *
 * @example
 * ```ts
 * await using connection = await ClusterConnection.open(request, { logger, dns });
 * await connection.manager.createIntercept(spec, target);
 * ```
 */
export class ClusterConnection implements AsyncDisposable {
  readonly request: ConnectRequest;
  readonly kube: KubeConnection | undefined;
  readonly manager: ManagerClient;
  readonly routes: ClusterRoutes;
  readonly stub: DnsStub;
  readonly systemDns: SystemDnsChange | undefined;
  /** SOCKS5 and HTTP proxy on loopback: the rootless way to the cluster (`tpx run`). */
  readonly proxy: ProxyServer;
  readonly context: string;
  readonly server: string;
  readonly namespace: string;
  readonly #namespaces: Set<string>;
  readonly #logger: Logger;

  private constructor(init: {
    request: ConnectRequest;
    kube: KubeConnection | undefined;
    manager: ManagerClient;
    routes: ClusterRoutes;
    stub: DnsStub;
    systemDns: SystemDnsChange | undefined;
    proxy: ProxyServer;
    namespaces: Set<string>;
    logger: Logger;
  }) {
    this.proxy = init.proxy;
    this.#logger = init.logger;
    this.request = init.request;
    this.kube = init.kube;
    this.manager = init.manager;
    this.routes = init.routes;
    this.stub = init.stub;
    this.systemDns = init.systemDns;
    this.#namespaces = init.namespaces;
    this.context = init.kube?.config.context ?? "(direct)";
    this.server = init.kube?.config.server ?? `tcp://${init.request.managerAddress ?? ""}`;
    this.namespace = init.request.namespace ?? init.kube?.config.namespace ?? "default";
  }

  /**
   * Connects: the Kubernetes API, the manager, then the stub DNS.
   *
   * @param request what `tpx connect` asked for
   * @param deps the logger and the stub's address
   * @returns the connection, once the manager answered
   * @throws {TpxError} kubeconfig, cluster or manager problems, with what to do
   */
  static async open(request: ConnectRequest, deps: ConnectionDeps): Promise<ClusterConnection> {
    const { logger } = deps;
    const kube = request.managerAddress === undefined ? await openKube(request) : undefined;
    const cleanup: (() => Promise<void>)[] = [];
    try {
      if (kube) cleanup.push(() => kube.close());
      const namespace = request.namespace ?? kube?.config.namespace ?? "default";
      const namespaces = new Set(
        request.mappedNamespaces?.length
          ? request.mappedNamespaces
          : kube
          ? await listNamespaces(kube)
          : [namespace],
      );
      const manager = new ManagerClient({
        connect: await channelFactory(request, kube),
        user: userName(),
        host: Deno.hostname(),
        namespaces: [...namespaces],
        logger,
      });
      cleanup.push(() => manager.close());
      await startManager(manager, deps.managerTimeoutMs ?? 30_000, request);
      const opener: StreamOpener = {
        open: (destination) => {
          const session = manager.session;
          if (session === undefined) return Promise.reject(notConnected());
          return session.open(destination);
        },
      };
      const routes = new ClusterRoutes({
        lookup: (name) => manager.lookup(name),
        opener,
        pool: new LoopbackPool(),
        logger,
      });
      cleanup.push(() => routes.close());
      const stub = startDnsStub({
        hostname: deps.localDns.stub.address,
        port: deps.localDns.stub.port,
        resolver: routes,
        upstreams: await loadSystemNameServers(deps.localDns.upstreamsFile),
        defaultNamespace: namespace,
        isNamespace: (ns) => namespaces.has(ns),
        logger,
      });
      cleanup.push(() => stub.close());
      const proxy = ProxyServer.listen({
        hostname: "127.0.0.1",
        port: deps.proxyPort ?? 0,
        routes: clusterProxyRoutes({
          lookup: (name) => manager.lookup(name),
          opener,
          routes,
          defaultNamespace: namespace,
          isNamespace: (ns) => namespaces.has(ns),
        }),
        logger,
      });
      cleanup.push(() => proxy.close());
      const searched = [namespace, ...[...namespaces].filter((ns) => ns !== namespace)];
      const systemDns = await applyLocalDns(deps.localDns, stub.addr, searched, logger);
      return new ClusterConnection({
        request,
        kube,
        manager,
        routes,
        stub,
        systemDns,
        proxy,
        namespaces,
        logger,
      });
    } catch (error) {
      for (const step of cleanup.reverse()) await step().catch(() => {});
      throw error;
    }
  }

  /** Namespaces whose names resolve. */
  get namespaces(): string[] {
    return [...this.#namespaces];
  }

  /**
   * The session as `tpx status` shows it.
   *
   * @returns the status
   */
  status(): SessionStatus {
    return {
      proxy: { address: "127.0.0.1", port: this.proxy.port },
      dns: dnsStatus(this.stub.addr, this.systemDns),
      context: this.context,
      server: this.server,
      namespace: this.namespace,
      managerNamespace: this.request.managerNamespace,
      managerVersion: this.manager.session?.peer.software ?? "",
      sessionId: this.manager.sessionId ?? "",
      tunnel: this.manager.session ? "up" : "reconnecting",
      routes: this.routes.routes,
    };
  }

  /** Ends the session at the manager and stops everything local. */
  async close(): Promise<void> {
    // The system resolver first: a machine whose names go to a stopped stub resolves nothing.
    const restored = await this.systemDns?.restore();
    if (restored && !restored.ok) {
      this.#logger.warn("the system DNS was not fully restored", { restored });
    }
    await this.proxy.close();
    await this.stub.close();
    await this.routes.close();
    await this.manager.close();
    await this.kube?.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Who this is, as conflicts name them: the login name, from the system when unset. */
function userName(): string {
  try {
    return Deno.env.get("USER") ?? userInfo().username;
  } catch {
    return `uid ${Deno.uid() ?? "?"}`;
  }
}

async function openKube(request: ConnectRequest): Promise<KubeConnection> {
  const { connectKube } = await import("../../cluster/kube/mod.ts");
  const kube = await connectKube({
    ...(request.kubeconfig === undefined ? {} : { kubeconfig: request.kubeconfig }),
    ...(request.context === undefined ? {} : { context: request.context }),
    ...(request.namespace === undefined ? {} : { namespace: request.namespace }),
    env: request.env,
  });
  try {
    await kube.checkReachable(10_000);
    return kube;
  } catch (error) {
    await kube.close();
    throw error;
  }
}

/** Namespaces the user may list; when they may not, only the context's. */
async function listNamespaces(kube: KubeConnection): Promise<string[]> {
  try {
    const list = await kube.core().listNamespace();
    return list.items.map((ns) => ns.metadata?.name ?? "").filter((n) => n !== "");
  } catch {
    return [kube.config.namespace];
  }
}

async function channelFactory(
  request: ConnectRequest,
  kube: KubeConnection | undefined,
): Promise<() => Promise<ByteChannel>> {
  if (kube === undefined) {
    const { host, port } = parseAddress(request.managerAddress ?? "");
    let connected = false;
    return async () => {
      try {
        const conn = await dialTcp(host, port);
        connected = true;
        return conn;
      } catch (error) {
        // Before the first success a refused address is a typo, not a restart: say so now.
        if (connected || !(error instanceof TpxError)) throw error;
        throw new TpxError(
          "cluster",
          `No manager at "${request.managerAddress}": ${error.message}`,
          {
            code: ConnectionErrorCode.ManagerUnreachable,
            hint: "check the address given to --manager-address",
          },
        );
      }
    };
  }
  const { managerChannel } = await import("../../cluster/port_forward/mod.ts");
  return () => managerChannel(kube, { namespace: request.managerNamespace });
}

/**
 * `HOST:PORT` or `[IPv6]:PORT`.
 *
 * @param address the text
 * @returns host and port
 * @throws {TpxError} (user) for anything else
 */
export function parseAddress(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(address);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) {
    throw new TpxError("user", `"${address}" is not a manager address`, {
      code: ConnectionErrorCode.BadManagerAddress,
      hint: "give HOST:PORT, such as 127.0.0.1:8081",
    });
  }
  return { host: match[1]!, port };
}

/**
 * Starts the manager client and waits for its first session. The client retries by itself
 * (right for a connection that drops later), but `connect` must not keep the user waiting on
 * something retrying cannot fix: a refused protocol version, a missing manager.
 */
async function startManager(
  manager: ManagerClient,
  timeoutMs: number,
  request: ConnectRequest,
): Promise<void> {
  const started = Date.now();
  let connected = false;
  const session = manager.start().then(() => connected = true);
  while (!connected) {
    const error = manager.lastError;
    if (error instanceof TpxError && !error.retryable) {
      await manager.close();
      throw error;
    }
    if (Date.now() - started >= timeoutMs) {
      await manager.close();
      const why = error instanceof Error ? `: ${error.message}` : "";
      throw new TpxError(
        "cluster",
        `The manager in namespace "${request.managerNamespace}" did not answer within ` +
          `${Math.round(timeoutMs / 1000)} s${why}`,
        {
          code: ConnectionErrorCode.ManagerUnreachable,
          hint: `"tpx manager install -n ${request.managerNamespace}" installs it; ` +
            `"tpx gather-logs" collects its logs`,
        },
      );
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([session, new Promise((resolve) => timer = setTimeout(resolve, 100))]);
    clearTimeout(timer);
  }
}

function notConnected(): TpxError {
  return new TpxError("cluster", "The tunnel to the manager is down; tpx is reconnecting", {
    code: ConnectionErrorCode.NotConnected,
    retryable: true,
    hint: '"tpx status" shows the tunnel',
  });
}
