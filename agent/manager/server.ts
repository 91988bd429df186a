/**
 * The traffic-manager process's core: a port for daemons' tunnels, a port for agents'
 * tunnels, the HTTP API, and the wiring between the state's events and the peers.
 *
 * @module
 */
import type { Clock } from "../../tunnel/clock.ts";
import { systemClock } from "../../tunnel/clock.ts";
import type { LevelSwitch, Logger } from "../../tunnel/log.ts";
import { Outbound } from "../../tunnel/outbound.ts";
import { TcpServer } from "../../tunnel/tcp_server.ts";
import { type AgentSession, serveAgent } from "./agent_link.ts";
import { type AgentInjection, AgentProvisioner } from "./kube/provisioner.ts";
import { Restorer } from "./kube/restorer.ts";
import { type DaemonSession, serveDaemon } from "./daemon_link.ts";
import { managerHttpApi } from "./http_api.ts";
import { routeIntercepted } from "./intercept_router.ts";
import { lookupWithDns, type NameLookup } from "./lookup.ts";
import {
  type ManagerEvent,
  ManagerState,
  Metrics,
  type PortResolver,
  type WorkloadRef,
} from "./state/mod.ts";

/** Something the manager waits for before it reports ready. */
export interface Readiness {
  readonly ready: boolean;
  /** Why it is not ready yet. */
  notReadyReason(): string;
}

/** Options of {@link ManagerServer.start}. */
export interface ManagerServerOptions {
  hostname: string;
  /** Daemons' tunnels (reached through the Kubernetes port-forward). */
  daemonPort: number;
  /** Agents' tunnels (reached through the manager's Service). */
  agentPort: number;
  /** The HTTP API: health, readiness, metrics, admin listing. */
  apiPort: number;
  logger: Logger;
  levels: LevelSwitch;
  clock?: Clock;
  leaseMs?: number;
  agentIdleMs?: number;
  resolvePort?: PortResolver;
  /** Answers daemons' lookups; the host's DNS ({@link lookupWithDns}) by default. */
  lookup?: NameLookup;
  /** What `/readyz` waits for besides the listening ports, such as the lookup index. */
  readiness?: Readiness;
  /** Asked to remove a workload's agent once it stayed idle (the injection does it). */
  onAgentIdle?: (workload: WorkloadRef) => void;
  /**
   * When given, the manager injects an agent for an intercept that waits for one (failing the
   * intercept with the reason when it cannot) and removes idle agents. Absent: neither.
   */
  injection?: AgentInjection;
  /** How long an injected agent may take to connect before its intercepts fail; 60 s default. */
  agentArrivalMs?: number;
  /** The namespaces the manager manages, where `restoreWorkloads` looks; absent: all. */
  managedNamespaces?: readonly string[];
  /** The manager's own namespace, named in hints. */
  managerNamespace?: string;
  /** Keepalive of every tunnel; see SessionOptions. */
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
}

/**
 * The manager.
 *
 * @example
 * ```ts
 * await using manager = ManagerServer.start({ hostname: "0.0.0.0", daemonPort: 8081, agentPort: 8082, apiPort: 8080, logger, levels });
 * ```
 */
export class ManagerServer {
  readonly state: ManagerState;
  readonly metrics = new Metrics();
  readonly #options: ManagerServerOptions;
  readonly #outbound: Outbound;
  readonly #daemons = new Map<string, DaemonSession>();
  readonly #agents = new Map<string, { tunnel: AgentSession; workload: WorkloadRef }>();
  readonly #servers: TcpServer[] = [];
  #api: Deno.HttpServer<Deno.NetAddr> | undefined;
  readonly #provisioner: AgentProvisioner | undefined;
  readonly #restorer: Restorer;

  private constructor(options: ManagerServerOptions) {
    this.#options = options;
    const clock = options.clock ?? systemClock;
    this.state = new ManagerState({
      clock,
      logger: options.logger.child({ component: "state" }),
      ...(options.leaseMs !== undefined ? { leaseMs: options.leaseMs } : {}),
      ...(options.agentIdleMs !== undefined ? { agentIdleMs: options.agentIdleMs } : {}),
      ...(options.resolvePort ? { resolvePort: options.resolvePort } : {}),
    });
    this.#outbound = new Outbound({
      logger: options.logger.child({ component: "outbound" }),
      clock,
      observe: {
        opened: () => this.metrics.gauge("tpx_open_streams").add(1),
        closed: (_destination, bytes) => {
          this.metrics.gauge("tpx_open_streams").add(-1);
          this.metrics.counter("tpx_bytes_total", { direction: "in" }).add(bytes.toPeer);
          this.metrics.counter("tpx_bytes_total", { direction: "out" }).add(bytes.fromPeer);
        },
      },
    });
    this.state.on((event) => this.#react(event));
    this.#provisioner = options.injection &&
      new AgentProvisioner(
        this.state,
        options.injection,
        options.logger.child({ component: "injection" }),
        {
          clock,
          ...(options.agentArrivalMs !== undefined ? { arrivalMs: options.agentArrivalMs } : {}),
        },
      );
    this.#restorer = new Restorer({
      state: this.state,
      provisioner: this.#provisioner,
      injection: options.injection,
      scope: options.managedNamespaces,
      logger: options.logger.child({ component: "restore" }),
    });
  }

  /**
   * Listens on the three ports.
   *
   * @param options see {@link ManagerServerOptions}
   * @returns the running manager
   * @throws {TpxError} when a port cannot be bound
   */
  static start(options: ManagerServerOptions): ManagerServer {
    const manager = new ManagerServer(options);
    try {
      manager.#listen();
    } catch (error) {
      manager.close();
      throw error;
    }
    return manager;
  }

  /** The ports it listens on (useful when started with port 0). */
  get ports(): { daemon: number; agent: number; api: number } {
    return {
      daemon: this.#servers[0]!.port,
      agent: this.#servers[1]!.port,
      api: this.#api?.addr.port ?? 0,
    };
  }

  #listen(): void {
    const { hostname, logger } = this.#options;
    const keepalive = {
      ...(this.#options.keepaliveIntervalMs !== undefined
        ? { keepaliveIntervalMs: this.#options.keepaliveIntervalMs }
        : {}),
      ...(this.#options.keepaliveTimeoutMs !== undefined
        ? { keepaliveTimeoutMs: this.#options.keepaliveTimeoutMs }
        : {}),
    };
    this.#servers.push(TcpServer.listen({
      hostname,
      port: this.#options.daemonPort,
      logger,
      handle: (conn) =>
        serveDaemon(conn, {
          state: this.state,
          outbound: this.#outbound,
          lookup: this.#options.lookup ?? lookupWithDns,
          restorer: this.#restorer,
          ...(this.#options.managedNamespaces
            ? { managedNamespaces: this.#options.managedNamespaces }
            : {}),
          ...(this.#options.managerNamespace
            ? { managerNamespace: this.#options.managerNamespace }
            : {}),
          logger: logger.child({ peer: "daemon" }),
          attached: (id, tunnel) => {
            this.#daemons.set(id, tunnel);
            this.#updateGauges();
          },
          detached: (id, tunnel) => {
            if (this.#daemons.get(id) === tunnel) this.#daemons.delete(id);
          },
          ...keepalive,
        }),
    }));
    this.#servers.push(TcpServer.listen({
      hostname,
      port: this.#options.agentPort,
      logger,
      handle: (conn) =>
        serveAgent(conn, {
          state: this.state,
          logger: logger.child({ peer: "agent" }),
          attached: (agent, tunnel) => {
            this.#agents.set(agent.id, { tunnel, workload: agent });
            this.#updateGauges();
          },
          detached: (agent) => {
            this.#agents.delete(agent.id);
            this.#updateGauges();
          },
          route: (incoming) => {
            routeIntercepted(incoming, {
              ownerOf: (id) => this.state.intercept(id)?.owner.sessionId,
              tunnelOf: (sessionId) => this.#daemons.get(sessionId),
              metrics: this.metrics,
              logger,
              ...(this.#options.clock ? { clock: this.#options.clock } : {}),
            }).catch((error) => logger.error("routing an intercepted stream failed", { error }));
          },
          ...keepalive,
        }),
    }));
    const readiness = this.#options.readiness;
    const api = managerHttpApi({
      state: this.state,
      metrics: this.metrics,
      ready: () => readiness?.ready ?? true,
      ...(readiness ? { notReadyReason: () => readiness.notReadyReason() } : {}),
      levels: this.#options.levels,
      logger,
    });
    this.#api = Deno.serve({
      hostname,
      port: this.#options.apiPort,
      onListen: () => {},
      onError: (error) => {
        logger.error("API request failed", { error });
        return new Response("internal error", { status: 500 });
      },
    }, api.fetch);
  }

  /** Pushes intercept changes to the daemons and agents concerned. */
  #react(event: ManagerEvent): void {
    if (event.type === "interceptsChanged") {
      for (const sessionId of event.sessionIds) {
        this.#daemons.get(sessionId)?.send({
          type: "interceptsChanged",
          intercepts: this.state.interceptsOfSession(sessionId),
        }).catch(() => {/* the tunnel is closing; it gets the list when it resumes */});
      }
      for (const workload of event.workloads) {
        const intercepts = this.state.interceptsOfWorkload(workload.namespace, workload.workload);
        for (const { tunnel, workload: w } of this.#agents.values()) {
          if (w.namespace !== workload.namespace || w.workload !== workload.workload) continue;
          tunnel.send({ type: "agentIntercepts", intercepts }).catch(() => {});
        }
      }
    } else if (event.type === "agentIdle") {
      this.#options.logger.info("agent idle; requesting its removal", { ...event });
      this.#options.onAgentIdle?.({ namespace: event.namespace, workload: event.workload });
    } else if (event.type === "sessionEnded") {
      this.#options.logger.info("session ended", { ...event });
    }
    this.#updateGauges();
  }

  #updateGauges(): void {
    const counts = this.state.counts();
    this.metrics.gauge("tpx_sessions").set(counts.sessions);
    this.metrics.gauge("tpx_agents").set(counts.agents);
    for (const [state, count] of Object.entries(counts.intercepts)) {
      this.metrics.gauge("tpx_intercepts", { state }).set(count);
    }
  }

  /** Stops listening, closes every tunnel, and stops the state's timers. */
  async close(): Promise<void> {
    await this.#api?.shutdown();
    await Promise.all(this.#servers.map((s) => s.close()));
    await this.#outbound.close();
    this.#provisioner?.[Symbol.dispose]();
    this.state.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
