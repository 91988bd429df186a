/**
 * The traffic-agent: in front of each port of the app it fronts, passes connections to the
 * app, or hands them (whole, or request by request) to the developer who intercepts them.
 * UDP ports are passed through to the app.
 *
 * @module
 */
import type { ByteChannel } from "../../tunnel/channel.ts";
import type { Clock } from "../../tunnel/clock.ts";
import { dialTcp } from "../../tunnel/dial.ts";
import type { Logger } from "../../tunnel/log.ts";
import { pipe } from "../../tunnel/pipe.ts";
import {
  agentCodec,
  type AgentToManager,
  type ManagerToAgent,
  MIN_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  ResetCode,
  Role,
  TPX_VERSION,
  Transport,
} from "../../tunnel/protocol/mod.ts";
import { closeQuietly, type DuplexConn, relay } from "../../tunnel/relay.ts";
import { PendingRequests } from "../../tunnel/requests.ts";
import type { Session } from "../../tunnel/session.ts";
import type { Stream } from "../../tunnel/stream.ts";
import { streamConn } from "../../tunnel/stream_conn.ts";
import { StreamResetError } from "../../tunnel/stream_errors.ts";
import { localDatagramPath } from "../../tunnel/local_datagrams.ts";
import { TcpServer } from "../../tunnel/tcp_server.ts";
import { UdpForwarder } from "../../tunnel/udp_forwarder.ts";
import { TunnelClient } from "../../tunnel/tunnel_client.ts";
import type { AgentConfig, FrontedPort } from "./config.ts";
import { serveHttpConnection } from "./http/router.ts";
import { buildRouting, type PortRouting, routeRequest } from "./routing.ts";

/** Options of {@link TrafficAgent}. */
export interface TrafficAgentOptions {
  logger: Logger;
  clock?: Clock;
  /** Opens the byte stream to the manager; TCP to the configured address by default. */
  connectManager?: () => Promise<ByteChannel>;
  /** How long a client may take to send a request head (personal intercepts). */
  headerTimeoutMs?: number;
}

type AgentSession = Session<AgentToManager, ManagerToAgent>;

/**
 * The agent process's core.
 *
 * @example
 * ```ts
 * await using agent = await TrafficAgent.start(readAgentConfig(Deno.env.toObject()), { logger });
 * ```
 */
export class TrafficAgent {
  readonly #config: AgentConfig;
  readonly #options: TrafficAgentOptions;
  readonly #client: TunnelClient<AgentToManager, ManagerToAgent>;
  readonly #servers: { close(): Promise<void> }[] = [];
  readonly #requests: PendingRequests;
  #routing = new Map<number, PortRouting>();

  private constructor(config: AgentConfig, options: TrafficAgentOptions) {
    this.#config = config;
    this.#options = options;
    this.#requests = new PendingRequests(options.clock);
    const hello = {
      role: Role.Agent,
      minProtocol: MIN_PROTOCOL_VERSION,
      maxProtocol: PROTOCOL_VERSION,
      software: TPX_VERSION,
    };
    this.#client = new TunnelClient({
      connect: options.connectManager ??
        (() => dialTcp(config.managerHost, config.managerPort)),
      session: { hello, codec: agentCodec, onMessage: (m) => this.#receive(m) },
      onSession: (session) => this.#register(session),
      onDisconnect: () => {
        // Until the manager is back, every port serves the app.
        this.#routing = new Map();
      },
      logger: options.logger,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  /**
   * Listens on every fronted TCP port and starts connecting to the manager.
   *
   * @param config the agent's configuration
   * @param options see {@link TrafficAgentOptions}
   * @returns the running agent
   * @throws {TpxError} when a port cannot be bound
   */
  static start(config: AgentConfig, options: TrafficAgentOptions): TrafficAgent {
    const agent = new TrafficAgent(config, options);
    try {
      for (const port of config.ports) {
        if (port.protocol === "UDP") {
          // UDP is passed through to the app; intercepts take HTTP and TCP traffic.
          agent.#servers.push(UdpForwarder.listen({
            hostname: config.listenHost,
            port: port.agentPort,
            open: () => localDatagramPath(config.appHost, port.appPort),
            label: `app UDP port ${port.appPort}`,
            logger: options.logger,
          }));
          continue;
        }
        agent.#servers.push(TcpServer.listen({
          hostname: config.listenHost,
          port: port.agentPort,
          logger: options.logger,
          handle: (conn) => agent.#serve(conn, port),
        }));
      }
    } catch (error) {
      for (const server of agent.#servers) server.close();
      throw error;
    }
    agent.#client.start();
    return agent;
  }

  /** Resolves once the agent is registered with the manager. */
  async registered(): Promise<void> {
    await this.#client.connected();
  }

  /** The routing in force, for tests and status. */
  get routing(): ReadonlyMap<number, PortRouting> {
    return this.#routing;
  }

  async #register(session: AgentSession): Promise<void> {
    const c = this.#config;
    const id = this.#requests.nextId();
    const welcome = this.#requests.wait(id, 10_000, "the manager's welcome");
    await session.send({
      type: "agentArrive",
      id,
      namespace: c.namespace,
      workload: c.workload,
      workloadKind: c.workloadKind,
      pod: c.pod,
      podIp: c.podIp,
      container: c.container,
      ports: c.ports.map((p) => ({ ...p })),
      env: c.appEnv,
      mounts: c.mounts,
    });
    session.closed.then(() => this.#requests.failAll(new Error("the manager went away")));
    await welcome;
  }

  #receive(message: ManagerToAgent): void {
    if (this.#requests.settle(message)) return;
    if (message.type === "agentIntercepts") {
      this.#routing = buildRouting(message.intercepts, this.#options.logger);
      this.#options.logger.info("intercepts changed", {
        intercepts: message.intercepts.map((i) => `${i.id}:${i.state}`),
      });
    }
  }

  async #serve(client: Deno.TcpConn, port: FrontedPort): Promise<void> {
    const routing = this.#routing.get(port.agentPort);
    const session = this.#client.session;
    if (!routing || !session) return await this.#passThrough(client, port);
    if (routing.global) {
      const stream = await this.#openIntercept(session, routing.global.id, client, port);
      if (stream === "refused") return;
      if (stream) return void await relay(client, stream, this.#options.logger);
      return await this.#passThrough(client, port);
    }
    await serveHttpConnection(client, {
      route: (head) => {
        // Read the routing at each request, so a leave takes effect on the next one.
        const current = this.#routing.get(port.agentPort);
        const interceptId = current && routeRequest(current, head);
        return interceptId ? { interceptId } : undefined;
      },
      app: { connect: () => dialTcp(this.#config.appHost, port.appPort) },
      intercept: (interceptId) => ({
        connect: async () => {
          const live = this.#client.session;
          if (!live) throw new Error("no tunnel to the manager");
          const stream = await this.#openIntercept(live, interceptId, client, port);
          if (!stream || stream === "refused") throw new Error(`intercept ${interceptId} is down`);
          return streamConn(stream);
        },
      }),
      logger: this.#options.logger,
      ...(this.#options.clock ? { clock: this.#options.clock } : {}),
      ...(this.#options.headerTimeoutMs ? { headerTimeoutMs: this.#options.headerTimeoutMs } : {}),
    });
  }

  /**
   * A stream to the developer holding `interceptId`; undefined when their tunnel is down (the
   * app serves instead), "refused" when nothing listens on their side (the client is closed,
   * fast, rather than served by someone it did not ask for).
   */
  async #openIntercept(
    session: AgentSession,
    interceptId: string,
    client: Deno.TcpConn,
    port: FrontedPort,
  ): Promise<Stream | "refused" | undefined> {
    try {
      return await session.open({
        transport: Transport.Tcp,
        host: (client.remoteAddr as Deno.NetAddr).hostname,
        port: port.appPort,
        tag: interceptId,
      });
    } catch (error) {
      const refused = error instanceof StreamResetError && error.resetCode === ResetCode.Refused;
      this.#options.logger.info(
        refused ? "intercept target refused the connection" : "intercept unreachable; app serves",
        { interceptId, error },
      );
      if (refused) closeQuietly(client);
      return refused ? "refused" : undefined;
    }
  }

  async #passThrough(client: DuplexConn, port: FrontedPort): Promise<void> {
    let app: Deno.TcpConn;
    try {
      app = await dialTcp(this.#config.appHost, port.appPort);
    } catch (error) {
      // Close the client as the app's own refusal would have.
      this.#options.logger.debug("app not reachable", { port: port.appPort, error });
      closeQuietly(client);
      return;
    }
    await pipe(client, app);
  }

  /** Stops listening, ends every connection, and leaves the manager. */
  async close(): Promise<void> {
    await Promise.all(this.#servers.map((s) => s.close()));
    await this.#client.close();
    this.#requests.failAll(new Error("the agent is stopping"));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
