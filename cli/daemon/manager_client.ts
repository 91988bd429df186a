/**
 * The daemon's side of the manager protocol: one session that survives reconnects, its
 * heartbeats, intercepts, name lookups, and the intercepted connections the manager sends,
 * which it dials to the developer's local ports.
 *
 * @module
 */
import type { ByteChannel } from "../../tunnel/channel.ts";
import { type Clock, systemClock, type TimerId } from "../../tunnel/clock.ts";
import { dialTcp } from "../../tunnel/dial.ts";
import type { Logger } from "../../tunnel/log.ts";
import {
  daemonCodec,
  type DaemonToManager,
  type InterceptInfo,
  type InterceptSpec,
  type ManagerToDaemon,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  type RefusedWorkload,
  ResetCode,
  type RestoredWorkload,
  Role,
  TPX_VERSION,
  TpxError,
} from "../../tunnel/protocol/mod.ts";
import { relay } from "../../tunnel/relay.ts";
import { PendingRequests } from "../../tunnel/requests.ts";
import type { IncomingStream, Session } from "../../tunnel/session.ts";
import { TunnelClient } from "../../tunnel/tunnel_client.ts";

/** Where an intercept's connections go on this machine. */
export interface LocalTarget {
  host: string;
  port: number;
}

/** Options of {@link ManagerClient}. */
export interface ManagerClientOptions {
  connect: () => Promise<ByteChannel>;
  user: string;
  host: string;
  namespaces: string[];
  logger: Logger;
  clock?: Clock;
  /** How long a request may wait for the manager's reply. Default 30 s. */
  requestTimeoutMs?: number;
  /**
   * How long a restore may wait: it queues behind an injection of the same workload that may
   * still be waiting for its rollout. Default 180 s.
   */
  restoreTimeoutMs?: number;
}

/** An agent, as `tpx status` shows it. */
export type AgentSummary = Extract<ManagerToDaemon, { type: "agents" }>["agents"][number];

/** An intercepted container's environment. */
export interface ContainerEnvironment {
  env: Record<string, string>;
  mounts: string[];
  pod: string;
}

/** What a lookup returns. */
export type LookupResult = Extract<ManagerToDaemon, { type: "lookupResult" }>;

/** The workloads a restore gave back their original spec, and those it refused, with why. */
export interface RestoreResult {
  restored: RestoredWorkload[];
  refused: RefusedWorkload[];
}

/** What {@link ManagerClient.restoreWorkloads} restores. */
export type RestoreTarget =
  /** One workload. */
  | { namespace: string; workload: string }
  /** Every workload that carries an agent, in the manager's scope or in `namespace`. */
  | { all: true; namespace?: string };

/** Options of {@link ManagerClient.removeIntercept}. */
export interface RemoveInterceptOptions {
  /** Restore the workload at once when no other intercept uses it. */
  restore?: boolean;
}

type DaemonSession = Session<DaemonToManager, ManagerToDaemon>;

/**
 * The daemon's connection to the manager.
 *
 * @example
 * ```ts
 * const client = new ManagerClient({ connect, user: "ana", host: "laptop", namespaces: ["shop"], logger });
 * await client.start();
 * await client.createIntercept(spec, { host: "127.0.0.1", port: 8080 });
 * ```
 */
export class ManagerClient {
  readonly #options: ManagerClientOptions;
  readonly #clock: Clock;
  readonly #requests: PendingRequests;
  readonly #tunnel: TunnelClient<DaemonToManager, ManagerToDaemon>;
  /** This machine's intercepts by name: what was asked, and where its traffic goes. */
  readonly #wanted = new Map<string, { spec: InterceptSpec; target: LocalTarget }>();
  #sessionId: string | undefined;
  #leaseMs = 15_000;
  #heartbeat: TimerId | undefined;
  #intercepts: InterceptInfo[] = [];
  #listeners = new Set<(intercepts: InterceptInfo[]) => void>();
  #closing = false;

  constructor(options: ManagerClientOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#requests = new PendingRequests(this.#clock);
    this.#tunnel = new TunnelClient({
      connect: options.connect,
      session: {
        hello: {
          role: Role.Daemon,
          minProtocol: MIN_PROTOCOL_VERSION,
          maxProtocol: PROTOCOL_VERSION,
          software: TPX_VERSION,
        },
        codec: daemonCodec,
        onMessage: (message) => this.#receive(message),
        onStream: (stream) => this.#serveIntercepted(stream),
      },
      onSession: (session) => this.#arrive(session),
      onDisconnect: () => this.#stopHeartbeat(),
      logger: options.logger,
      clock: this.#clock,
    });
  }

  /** Connects, and resolves once the session is established. */
  async start(): Promise<void> {
    this.#tunnel.start();
    await this.#tunnel.connected();
  }

  /** The session id the manager gave. */
  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  /** Why the last attempt to reach the manager failed; `undefined` once connected. */
  get lastError(): unknown {
    return this.#tunnel.lastError;
  }

  /** The live tunnel session, if connected (to open streams for forwarding). */
  get session(): DaemonSession | undefined {
    return this.#tunnel.session;
  }

  /** This session's intercepts, as the manager last reported them. */
  get intercepts(): InterceptInfo[] {
    return this.#intercepts;
  }

  /**
   * Calls `listener` with every new list of this session's intercepts.
   *
   * @param listener the callback
   * @returns a function that removes it
   */
  onIntercepts(listener: (intercepts: InterceptInfo[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Asks the manager for an intercept; its connections will be dialed to `target`.
   *
   * @param spec what to intercept
   * @param target where its traffic goes on this machine
   * @returns the intercept as the manager holds it
   * @throws {TpxError} the manager's refusal (a conflict names the holder)
   */
  async createIntercept(spec: InterceptSpec, target: LocalTarget): Promise<InterceptInfo> {
    this.#wanted.set(spec.name, { spec, target });
    try {
      const reply = await this.#request<Extract<ManagerToDaemon, { type: "interceptResult" }>>(
        (id) => ({ type: "createIntercept", id, spec }),
        `the intercept "${spec.name}"`,
      );
      return reply.intercept;
    } catch (error) {
      this.#wanted.delete(spec.name);
      throw error;
    }
  }

  /**
   * Ends an intercept of this session.
   *
   * @param name the intercept's name
   * @param options `restore`: also restore its workload now, unless another intercept uses it
   * @returns with `restore`, once the manager restored the workload: the workload in
   *   `restored`, or in `refused` with why; undefined without `restore`, or from a manager
   *   too old to restore (it answered with a plain acknowledgement)
   * @throws {TpxError} the manager's refusal to remove the intercept
   */
  async removeIntercept(
    name: string,
    options: RemoveInterceptOptions = {},
  ): Promise<RestoreResult | undefined> {
    const restore = options.restore === true;
    const reply = await this.#request<ManagerToDaemon>(
      (id) => ({ type: "removeIntercept", id, name, ...(restore ? { restore } : {}) }),
      restore ? `leaving "${name}" and restoring its workload` : `leaving "${name}"`,
      restore ? this.#restoreTimeoutMs : undefined,
    );
    this.#wanted.delete(name);
    if (reply.type !== "restoreResult") return undefined;
    return { restored: reply.restored, refused: reply.refused };
  }

  /**
   * Asks the manager to restore workloads: take their agent out and give them and their
   * Services their original spec. This session's intercepts on them end first; a workload
   * another session intercepts is refused, naming who.
   *
   * @param target one workload, or `{ all: true }` (optionally in one namespace)
   * @returns the restored workloads and the refused ones with why
   * @throws {TpxError} the manager's refusal of the whole request (such as a namespace it does
   *   not manage, or a manager that does not inject agents)
   */
  async restoreWorkloads(target: RestoreTarget): Promise<RestoreResult> {
    const what = "all" in target
      ? `restoring every workload with an agent${
        target.namespace !== undefined ? ` in "${target.namespace}"` : ""
      }`
      : `restoring "${target.workload}" in "${target.namespace}"`;
    const reply = await this.#request<Extract<ManagerToDaemon, { type: "restoreResult" }>>(
      (id) => ({ type: "restoreWorkloads", id, ...target }),
      what,
      this.#restoreTimeoutMs,
    );
    // The manager ended this session's intercepts on the workloads it went on to restore (its
    // `interceptsChanged` came before this reply): they must not be created again on reconnect.
    const touched = [...reply.restored, ...reply.refused];
    for (const [name, { spec }] of this.#wanted) {
      const onTarget = touched.some((w) =>
        w.namespace === spec.namespace && w.workload === spec.workload
      );
      if (onTarget && !this.#intercepts.some((i) => i.spec.name === name)) {
        this.#wanted.delete(name);
      }
    }
    return { restored: reply.restored, refused: reply.refused };
  }

  get #restoreTimeoutMs(): number {
    return this.#options.restoreTimeoutMs ?? 180_000;
  }

  /**
   * The environment of the container behind one of this session's intercepts, as its agent
   * read it: what `tpx intercept -- CMD` gives the command.
   *
   * @param name the intercept's name
   * @returns the variables, the mount paths and the pod they were read in
   * @throws {TpxError} when there is no such intercept or no agent yet
   */
  async environment(name: string): Promise<ContainerEnvironment> {
    const reply = await this.#request<Extract<ManagerToDaemon, { type: "environment" }>>(
      (id) => ({ type: "interceptEnvironment", id, name }),
      `the environment of "${name}"`,
    );
    return { env: reply.env, mounts: reply.mounts, pod: reply.pod };
  }

  /**
   * The agents the manager knows, with when each dormant one is removed.
   *
   * @returns the agents
   */
  async agents(): Promise<AgentSummary[]> {
    const reply = await this.#request<Extract<ManagerToDaemon, { type: "agents" }>>(
      (id) => ({ type: "listAgents", id }),
      "the list of agents",
    );
    return reply.agents;
  }

  /**
   * Resolves a cluster name through the manager.
   *
   * @param name such as `web.shop.svc.cluster.local`
   * @returns the manager's answer
   */
  lookup(name: string): Promise<LookupResult> {
    return this.#request<LookupResult>((id) => ({ type: "lookup", id, name }), `"${name}"`);
  }

  /** Ends the session at the manager (its intercepts end now) and disconnects. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#stopHeartbeat();
    await this.#tunnel.session?.send({ type: "depart" }).catch(() => {});
    await this.#tunnel.close();
    this.#requests.failAll(new TpxError("user", "Disconnected from the manager"));
  }

  /** Drops the connection without departing, as a crash would; for tests. */
  async abandon(): Promise<void> {
    this.#closing = true;
    this.#stopHeartbeat();
    await this.#tunnel.close();
    this.#requests.failAll(new TpxError("user", "Disconnected from the manager"));
  }

  async #request<R extends ManagerToDaemon>(
    build: (id: number) => DaemonToManager,
    what: string,
    timeoutMs = this.#options.requestTimeoutMs ?? 30_000,
  ): Promise<R> {
    const session = this.#tunnel.session ?? await this.#tunnel.connected();
    const message = build(this.#requests.nextId());
    const id = (message as { id: number }).id;
    const reply = this.#requests.wait<R>(id, timeoutMs, what);
    await session.send(message);
    return await reply;
  }

  async #arrive(session: DaemonSession): Promise<void> {
    const id = this.#requests.nextId();
    const reply = this.#requests.wait<Extract<ManagerToDaemon, { type: "welcome" }>>(
      id,
      this.#options.requestTimeoutMs ?? 30_000,
      "the manager's welcome",
    );
    session.closed.then(() => this.#requests.failAll(new TpxError("cluster", "Lost the manager")));
    const { user, host, namespaces } = this.#options;
    await session.send({
      type: "arrive",
      id,
      user,
      host,
      namespaces,
      ...(this.#sessionId ? { resume: this.#sessionId } : {}),
    });
    const welcome = await reply;
    const lost = this.#sessionId !== undefined && !welcome.resumed;
    this.#sessionId = welcome.sessionId;
    this.#leaseMs = welcome.leaseMs;
    this.#setIntercepts(welcome.intercepts);
    this.#startHeartbeat(session);
    // A manager that restarted (or a lease that ran out) forgot this machine's intercepts:
    // ask for them again, so the developer's work goes on without them doing anything.
    if (lost) await this.#recreateIntercepts(session);
  }

  async #recreateIntercepts(session: DaemonSession): Promise<void> {
    const { logger } = this.#options;
    logger.warn("the manager did not resume the session; creating its intercepts again", {
      intercepts: [...this.#wanted.keys()],
    });
    for (const [name, { spec }] of this.#wanted) {
      const id = this.#requests.nextId();
      const reply = this.#requests.wait(id, this.#options.requestTimeoutMs ?? 30_000, name);
      await session.send({ type: "createIntercept", id, spec });
      await reply.catch((error) => {
        logger.error("could not create an intercept again", { intercept: name, error });
      });
    }
  }

  #receive(message: ManagerToDaemon): void {
    if (this.#requests.settle(message)) return;
    if (message.type === "interceptsChanged") this.#setIntercepts(message.intercepts);
  }

  #setIntercepts(intercepts: InterceptInfo[]): void {
    this.#intercepts = intercepts;
    for (const listener of this.#listeners) listener(intercepts);
  }

  #startHeartbeat(session: DaemonSession): void {
    this.#stopHeartbeat();
    const beat = () => {
      if (this.#closing || session.isClosed) return;
      session.send({ type: "heartbeat" }).catch(() => {});
      this.#heartbeat = this.#clock.setTimeout(beat, Math.max(100, this.#leaseMs / 3));
    };
    this.#heartbeat = this.#clock.setTimeout(beat, Math.max(100, this.#leaseMs / 3));
  }

  #stopHeartbeat(): void {
    if (this.#heartbeat !== undefined) this.#clock.clearTimeout(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  /** An intercepted connection: dial the developer's port, or refuse fast. */
  #serveIntercepted(incoming: IncomingStream): void {
    const interceptId = incoming.destination.tag;
    const intercept = this.#intercepts.find((i) => i.id === interceptId);
    const target = intercept && this.#wanted.get(intercept.spec.name)?.target;
    if (!target) {
      incoming.reset(ResetCode.NotAllowed, `no intercept "${interceptId}" on this machine`);
      return;
    }
    dialTcp(target.host, target.port).then(
      (conn) => relay(conn, incoming.accept(), this.#options.logger),
      (error) => {
        this.#options.logger.warn("nothing listens on the intercept's local port", {
          intercept: intercept.spec.name,
          port: target.port,
          error,
        });
        incoming.reset(ResetCode.Refused, (error as Error).message);
      },
    );
  }
}
