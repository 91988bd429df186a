/**
 * The daemon's logic behind its API: at most one cluster connection, the intercepts of this
 * machine, and what `tpx status` shows. Transport-free, so the API and tests drive it alike.
 *
 * @module
 */
import { dialTcp } from "../../tunnel/dial.ts";
import type { Logger } from "../../tunnel/log.ts";
import {
  type InterceptInfo,
  type InterceptSpec,
  TPX_VERSION,
  TpxError,
} from "../../tunnel/protocol/mod.ts";
import type {
  ConnectRequest,
  DaemonHandover,
  DormantAgent,
  InterceptRequest,
  InterceptView,
  LeaveResponse,
  QuitResponse,
  SessionStatus,
  StatusResponse,
} from "./api_types.ts";
import { ClusterConnection, ConnectionErrorCode } from "./connection.ts";
import type { ContainerEnvironment, RestoreResult, RestoreTarget } from "./manager_client.ts";
import { planLocalDns, repairLeftoverDns } from "./local_dns.ts";
import { listWorkloads, type WorkloadRow } from "./workloads.ts";

/** Stable codes of the errors of this module. */
export const DaemonErrorCode = {
  OtherContext: "connected_elsewhere",
  NoSuchIntercept: "no_such_intercept",
  InterceptFailed: "intercept_failed",
  InterceptTimeout: "intercept_timeout",
  NeedsKubernetes: "needs_kubernetes",
} as const;

/** Where intercepted connections are dialed on this machine. */
const LOCAL_HOST = "127.0.0.1";

/** Options of {@link Daemon}. */
export interface DaemonOptions {
  logger: Logger;
  /** The daemon log, for status output. */
  logPath: string;
  /** How long an intercept may wait for its agent; default 180 s. */
  interceptTimeoutMs?: number;
  /** How long an active intercept may wait for the Services to reach its agents; 30 s. */
  routedTimeoutMs?: number;
}

/**
 * The daemon.
 *
 * @example
 * ```ts
 * const daemon = new Daemon({ logger, logPath });
 * await daemon.connect(request);
 * await daemon.intercept(request, (line) => progress(line));
 * ```
 */
export class Daemon {
  readonly #options: DaemonOptions;
  #connection: ClusterConnection | undefined;
  /** A connect in progress; a second `connect` waits for it instead of racing it. */
  #connecting: Promise<ClusterConnection> | undefined;
  /**
   * What each intercept was asked with, by name: where its traffic goes here, and what a
   * replacing daemon asks for again.
   */
  readonly #asked = new Map<string, InterceptRequest>();

  /** @param options the logger, the log path and the stub's address */
  constructor(options: DaemonOptions) {
    this.#options = options;
  }

  /** The connection, or the error saying there is none. */
  get connection(): ClusterConnection {
    if (this.#connection === undefined) {
      throw new TpxError("user", "tpx is not connected to a cluster", {
        code: ConnectionErrorCode.NotConnected,
        hint: '"tpx connect" connects',
      });
    }
    return this.#connection;
  }

  /**
   * Connects, or confirms the connection to the same context.
   *
   * @param request what to connect to
   * @returns the session's status
   * @throws {TpxError} `connected_elsewhere` when connected to another context
   */
  async connect(request: ConnectRequest): Promise<SessionStatus> {
    const current = this.#connection ?? await this.#connecting?.catch(() => undefined);
    if (current) {
      if (!sameTarget(current, request)) {
        throw new TpxError(
          "user",
          `tpx is connected to context "${current.context}"` +
            ` (manager in "${current.request.managerNamespace}"), not the one asked for`,
          { code: DaemonErrorCode.OtherContext, hint: '"tpx quit" first, then connect again' },
        );
      }
      return this.#sessionStatus(current);
    }
    const { logger } = this.#options;
    this.#connecting = planLocalDns(request.systemDns ?? "off", logger)
      .then((localDns) => ClusterConnection.open(request, { logger, localDns }));
    try {
      this.#connection = await this.#connecting;
    } finally {
      this.#connecting = undefined;
    }
    this.#options.logger.info("connected", { context: this.#connection.context });
    return this.#sessionStatus(this.#connection);
  }

  /**
   * Disconnects: the intercepts end, and everything local stops.
   *
   * @returns what was ended
   */
  async quit(): Promise<QuitResponse> {
    const connection = this.#connection;
    this.#connection = undefined;
    if (connection === undefined) {
      await repairLeftoverDns(this.#options.logger);
      return { disconnected: false, intercepts: [] };
    }
    const intercepts = connection.manager.intercepts.map((i) => i.spec.name);
    this.#asked.clear();
    await connection.close();
    this.#options.logger.info("disconnected", { intercepts });
    return { disconnected: true, intercepts };
  }

  /**
   * What a daemon that replaces this one needs to carry on: how it connected, and the
   * intercepts it holds.
   *
   * @returns the connect request and the intercepts
   */
  handover(): DaemonHandover {
    const connection = this.#connection;
    if (connection === undefined) return { intercepts: [] };
    return { connect: connection.request, intercepts: [...this.#asked.values()] };
  }

  /**
   * What `tpx status` shows.
   *
   * @returns the daemon, the session and the intercepts
   */
  async status(): Promise<StatusResponse> {
    const daemon = { version: TPX_VERSION, pid: Deno.pid, log: this.#options.logPath };
    const connection = this.#connection;
    if (connection === undefined) return { daemon, intercepts: [] };
    const [intercepts, dormantAgents] = await Promise.all([
      this.#views(connection.manager.intercepts, true),
      dormant(connection),
    ]);
    return {
      daemon,
      session: this.#sessionStatus(connection),
      intercepts,
      ...(dormantAgents === undefined ? {} : { dormantAgents }),
    };
  }

  /**
   * Creates an intercept and waits until its agent takes the traffic.
   *
   * @param request what to intercept and where its traffic goes here
   * @param progress receives what it waits for, when that changes
   * @param signal the caller went away: the wait ends and the intercept is removed
   * @returns the intercept, active
   * @throws {TpxError} the manager's refusal, or why the intercept failed or timed out (it is
   *   removed then, so nothing is left behind)
   */
  async intercept(
    request: InterceptRequest,
    progress: (line: string) => void,
    signal?: AbortSignal,
  ): Promise<InterceptView> {
    const connection = this.connection;
    const namespace = request.namespace ?? connection.namespace;
    const servicePort = await agentPort(connection, namespace, request);
    const spec: InterceptSpec = {
      name: request.name,
      namespace,
      workload: request.workload,
      filters: request.filters,
      ...(request.service === undefined ? {} : { service: request.service }),
      ...(servicePort === undefined ? {} : { servicePort }),
    };
    const target = { host: LOCAL_HOST, port: request.localPort };
    const manager = connection.manager;
    const settled = this.#settled(spec.name, progress, signal);
    try {
      const created = await manager.createIntercept(spec, target);
      this.#asked.set(spec.name, { ...request, namespace: spec.namespace });
      const info = created.state === "waiting" ? await settled.wait(created) : created;
      if (info.state === "failed") {
        // The manager's detail already says what could not be intercepted, and why.
        const detail = info.detail ?? "the manager gave no reason";
        const message = detail.startsWith("Cannot intercept")
          ? detail
          : `Cannot intercept "${spec.workload}": ${detail}`;
        throw new TpxError("cluster", message, {
          code: DaemonErrorCode.InterceptFailed,
          hint: `"tpx list -n ${spec.namespace}" shows the workloads and their agents`,
        });
      }
      if (connection.kube) await this.#routed(connection, spec.namespace, progress, signal);
      return (await this.#views([info], false))[0]!;
    } catch (error) {
      if (manager.intercepts.some((i) => i.spec.name === spec.name)) {
        await manager.removeIntercept(spec.name).catch(() => {});
      }
      this.#asked.delete(spec.name);
      throw error;
    } finally {
      settled.stop();
    }
  }

  /**
   * Waits until the workload's Services send to its agents: the EndpointSlices follow new pods
   * a moment after the rollout, and "active" before that would let requests still reach the
   * app. Bounded: a Service shared with other workloads may never qualify, and the intercept
   * works for every request that reaches an agent anyway.
   */
  async #routed(
    connection: ClusterConnection,
    namespace: string,
    progress: (line: string) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const { readAgentRoutes } = await import("../../cluster/routing/agent_routes.ts");
    const deadline = Date.now() + (this.#options.routedTimeoutMs ?? 30_000);
    let last = "";
    while (Date.now() < deadline && !signal?.aborted) {
      const routing = await readAgentRoutes(connection.kube!, namespace);
      if (routing.routed) return;
      if (routing.detail !== last) {
        progress(`waiting for the Services to reach the agents: ${routing.detail}`);
      }
      last = routing.detail;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    this.#options.logger.warn("intercept active before every Service reached the agents", {
      namespace,
      detail: last,
    });
  }

  /** Waits for the intercept named `name` to leave the waiting state. */
  #settled(name: string, progress: (line: string) => void, signal?: AbortSignal) {
    const manager = this.connection.manager;
    const timeoutMs = this.#options.interceptTimeoutMs ?? 180_000;
    let stopListening = () => {};
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lastDetail = "";
    const wait = (first: InterceptInfo) =>
      new Promise<InterceptInfo>((resolve, reject) => {
        const report = (info: InterceptInfo) => {
          if (info.detail && info.detail !== lastDetail) progress(info.detail);
          lastDetail = info.detail ?? lastDetail;
          if (info.state !== "waiting") resolve(info);
        };
        stopListening = manager.onIntercepts((all) => {
          const info = all.find((i) => i.spec.name === name);
          if (info) report(info);
        });
        report(first);
        const current = manager.intercepts.find((i) => i.spec.name === name);
        if (current) report(current);
        timer = setTimeout(() => {
          reject(
            new TpxError(
              "cluster",
              `The intercept "${name}" was not ready within ${Math.round(timeoutMs / 1000)} s` +
                (lastDetail ? `: ${lastDetail}` : ""),
              {
                code: DaemonErrorCode.InterceptTimeout,
                hint: "\"tpx gather-logs\" collects the manager's and the agent's logs",
              },
            ),
          );
        }, timeoutMs);
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      });
    return {
      wait,
      stop: () => {
        stopListening();
        clearTimeout(timer);
      },
    };
  }

  /**
   * Ends an intercept of this machine.
   *
   * @param name the intercept's name
   * @param restore also remove the agent now (when no other intercept uses it), instead of
   *   after its idle time
   * @returns the intercept as it was, and what was restored
   * @throws {TpxError} `no_such_intercept` naming the ones there are
   */
  async leave(name: string, restore = false): Promise<LeaveResponse> {
    const manager = this.connection.manager;
    const info = manager.intercepts.find((i) => i.spec.name === name);
    if (info === undefined) {
      const names = manager.intercepts.map((i) => `"${i.spec.name}"`).join(", ");
      throw new TpxError("user", `There is no intercept "${name}"`, {
        code: DaemonErrorCode.NoSuchIntercept,
        hint: names ? `intercepts of this machine: ${names}` : '"tpx status" lists intercepts',
      });
    }
    const restored = await manager.removeIntercept(name, { restore });
    this.#asked.delete(name);
    return restored === undefined ? { intercept: info } : { intercept: info, ...restored };
  }

  /**
   * Removes agents and restores workloads: one, or every one in the manager's scope (or in one
   * namespace). Found in the cluster, so it also cleans up after a crash.
   *
   * @param target the workload, or all
   * @returns what was restored and what was refused, with why
   */
  async uninstall(target: RestoreTarget): Promise<RestoreResult> {
    const manager = this.connection.manager;
    const result = await manager.restoreWorkloads(target);
    // The manager removed this machine's intercepts on those workloads first.
    const live = new Set(manager.intercepts.map((i) => i.spec.name));
    for (const name of [...this.#asked.keys()].filter((n) => !live.has(n))) {
      this.#asked.delete(name);
    }
    return result;
  }

  /**
   * The environment of the container behind one of this machine's intercepts.
   *
   * @param name the intercept's name
   * @returns its variables, mounts and pod
   */
  environment(name: string): Promise<ContainerEnvironment> {
    return this.connection.manager.environment(name);
  }

  /**
   * The workloads of a namespace, with their agent and intercept state.
   *
   * @param namespace the namespace; the connection's by default
   * @returns one row per workload
   */
  async list(namespace?: string): Promise<WorkloadRow[]> {
    const connection = this.connection;
    if (connection.kube === undefined) {
      throw new TpxError("user", "Listing workloads needs the Kubernetes API", {
        code: DaemonErrorCode.NeedsKubernetes,
        hint: "connect without --manager-address",
      });
    }
    return await listWorkloads(
      connection.kube,
      namespace ?? connection.namespace,
      connection.manager.intercepts,
    );
  }

  #sessionStatus(connection: ClusterConnection): SessionStatus {
    return connection.status();
  }

  async #views(intercepts: readonly InterceptInfo[], probe: boolean): Promise<InterceptView[]> {
    return await Promise.all(intercepts.map(async (info) => {
      const local = { host: LOCAL_HOST, port: this.#asked.get(info.spec.name)?.localPort ?? 0 };
      const view: InterceptView = { ...info, local };
      if (probe && local.port > 0) view.localListening = await listening(local);
      return view;
    }));
  }
}

function sameTarget(connection: ClusterConnection, request: ConnectRequest): boolean {
  if (request.managerAddress !== undefined || connection.request.managerAddress !== undefined) {
    return request.managerAddress === connection.request.managerAddress;
  }
  return (request.context === undefined || request.context === connection.context) &&
    (request.kubeconfig === undefined || request.kubeconfig === connection.request.kubeconfig) &&
    request.managerNamespace === connection.request.managerNamespace;
}

/** Whether something accepts connections at `target` now. */
async function listening(target: { host: string; port: number }): Promise<boolean> {
  try {
    const conn = await dialTcp(target.host, target.port);
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** One row per workload whose agents are dormant; `undefined` when the manager cannot say. */
async function dormant(connection: ClusterConnection): Promise<DormantAgent[] | undefined> {
  const agents = await connection.manager.agents().catch(() => undefined);
  if (agents === undefined) return undefined;
  const rows = new Map<string, DormantAgent>();
  for (const a of agents) {
    if (a.dormantUntil === undefined) continue;
    rows.set(`${a.namespace}/${a.workload}`, {
      namespace: a.namespace,
      workload: a.workload,
      kind: a.workloadKind,
      until: a.dormantUntil,
    });
  }
  return [...rows.values()];
}

/**
 * The port to ask the manager for: a Service port number the user gave (`-p 8080:80`) becomes
 * that port's name or its target's number, which is what the agent knows.
 */
async function agentPort(
  connection: ClusterConnection,
  namespace: string,
  request: InterceptRequest,
): Promise<string | undefined> {
  const wanted = request.servicePort;
  if (wanted === undefined || connection.kube === undefined) return wanted;
  const { readAgentPortFor } = await import("../../cluster/routing/service_port.ts");
  const translated = await readAgentPortFor(
    connection.kube,
    namespace,
    request.workload,
    wanted,
    request.service,
  ).catch(() => undefined);
  return translated ?? wanted;
}
