/**
 * The daemon's answer to "what is this cluster name": the manager's lookup, turned into a
 * loopback address of this machine on which the daemon listens on the service's ports (TCP
 * and UDP) and forwards through the tunnel to the real destination in the cluster.
 *
 * @module
 */
import type { ClusterAnswer, ClusterResolver } from "../../tunnel/dns/mod.ts";
import type { LoopbackPool } from "../../tunnel/dns/mod.ts";
import type { Logger } from "../../tunnel/log.ts";
import { type ForwardTarget, type StreamOpener, TcpForwarder } from "../../tunnel/tcp_forwarder.ts";
import { throughTunnel, UdpForwarder } from "../../tunnel/udp_forwarder.ts";
import type { LookupResult } from "./manager_client.ts";
import { TpxError } from "../../tunnel/protocol/mod.ts";

/** Options of {@link ClusterRoutes}. */
export interface ClusterRoutesOptions {
  /** Asks the manager. */
  lookup: (name: string) => Promise<LookupResult>;
  /** Opens tunnel streams (the current session). */
  opener: StreamOpener;
  /** Hands out the loopback addresses. */
  pool: LoopbackPool;
  logger: Logger;
}

/** A service the daemon forwards, for `tpx status`. */
export interface Route {
  name: string;
  address: string;
  /** Where its connections go in the cluster. */
  target: string;
  ports: { port: number; protocol: "TCP" | "UDP"; listening: boolean; problem?: string }[];
}

type Forwarder = TcpForwarder | UdpForwarder;

/** How many addresses a name may try before giving up. */
const MAX_ADDRESS_ATTEMPTS = 16;

/**
 * Cluster names → local addresses with forwarders behind them.
 *
 * @example
 * ```ts
 * const routes = new ClusterRoutes({ lookup: (n) => client.lookup(n), opener, pool, logger });
 * await routes.resolve("web.shop.svc.cluster.local", signal); // { ipv4: ["127.241.0.1"], ... }
 * ```
 */
export class ClusterRoutes implements ClusterResolver, AsyncDisposable {
  readonly #options: ClusterRoutesOptions;
  readonly #routes = new Map<string, Route>();
  /** By `address port/protocol`; a target that moves is updated in place. */
  readonly #forwarders = new Map<string, { forwarder?: Forwarder; target: ForwardTarget }>();
  #closed = false;

  /** @param options the manager lookup, the tunnel, the address pool */
  constructor(options: ClusterRoutesOptions) {
    this.#options = options;
  }

  /** The services forwarded now. */
  get routes(): Route[] {
    return [...this.#routes.values()];
  }

  /**
   * Looks a cluster name up and makes it reachable on a loopback address.
   *
   * @param fqdn such as `web.shop.svc.cluster.local`
   * @returns the loopback address and the service's ports; `undefined` for no such name
   */
  async resolve(fqdn: string): Promise<ClusterAnswer | undefined> {
    const answer = await this.#options.lookup(fqdn);
    if (answer.kind === "none" || answer.addresses.length === 0 || this.#closed) return undefined;
    const name = answer.canonical ?? fqdn;
    const ports = answer.ports.map((p) => ({
      ...(p.name === undefined ? {} : { name: p.name }),
      port: p.port,
      protocol: p.protocol,
    }));
    // A headless service's endpoints each get an address of their own, so that a client
    // that picks one pod keeps talking to it.
    const targets = answer.kind === "headless" ? answer.addresses : [answer.addresses[0]!];
    const addresses = targets.map((target, index) => {
      const routeName = answer.kind === "headless" && index > 0 ? `${target}.${name}` : name;
      return this.#route(routeName, target, ports);
    });
    return { ipv4: addresses, ipv6: [], ports, ttl: answer.ttl };
  }

  /**
   * Where a connection to `host:port` goes in the cluster, for the proxy: the host may be a
   * loopback address this daemon handed out.
   *
   * @param address a loopback address from {@link resolve}
   * @returns the cluster address, or `undefined` when the address is not one of ours
   */
  clusterTarget(address: string): string | undefined {
    const name = this.#options.pool.reverse(address);
    return name === undefined ? undefined : this.#routes.get(name)?.target;
  }

  /**
   * The name behind an address this daemon handed out.
   *
   * @param address an IPv4 loopback address
   * @returns the name, for PTR answers
   */
  reverse(address: string): string | undefined {
    return this.#options.pool.reverse(address);
  }

  /**
   * Gives the name its forwarders, on its known address or — when another program (another
   * user's daemon) already listens there — on the next free one.
   *
   * @returns the address the name is reachable on
   */
  #route(
    name: string,
    target: string,
    ports: readonly { port: number; protocol: "TCP" | "UDP" }[],
  ): string {
    const { pool } = this.#options;
    let address = pool.address(name);
    for (let attempt = 0; attempt < MAX_ADDRESS_ATTEMPTS; attempt++) {
      const route = this.#forward(name, address, target, ports);
      if (route !== "in use") {
        this.#routes.set(name, route);
        return address;
      }
      this.#options.logger.info("loopback address taken by another program", { name, address });
      address = pool.reassign(name);
    }
    throw new TpxError(
      "config",
      `Cannot find a free loopback address for "${name}" after ${MAX_ADDRESS_ATTEMPTS} tries`,
      { code: "loopback_addresses_in_use", hint: "other programs listen on the loopback range" },
    );
  }

  /** Listens on each port at `address`; "in use" when a fresh address is taken by another. */
  #forward(
    name: string,
    address: string,
    target: string,
    ports: readonly { port: number; protocol: "TCP" | "UDP" }[],
  ): Route | "in use" {
    const route: Route = { name, address, target, ports: [] };
    const opened: string[] = [];
    for (const { port, protocol } of ports) {
      const key = `${address} ${port}/${protocol}`;
      const known = this.#forwarders.get(key);
      if (known) {
        known.target.host = target;
        route.ports.push({ port, protocol, listening: known.forwarder !== undefined });
        continue;
      }
      const forwardTarget: ForwardTarget = { host: target, port };
      try {
        const forwarder = this.#listen(address, protocol, forwardTarget, name);
        this.#forwarders.set(key, { forwarder, target: forwardTarget });
        opened.push(key);
        route.ports.push({ port, protocol, listening: true });
      } catch (error) {
        if (error instanceof TpxError && error.code === "address_in_use") {
          // Someone else's: give back what this attempt opened, and try another address.
          for (const done of opened) {
            this.#forwarders.get(done)?.forwarder?.close();
            this.#forwarders.delete(done);
          }
          return "in use";
        }
        // Ports below 1024 need root on most systems; the proxy path still reaches them.
        const problem = error instanceof Error ? error.message : String(error);
        this.#options.logger.warn("cannot listen for a cluster service", { name, port, problem });
        this.#forwarders.set(key, { target: forwardTarget });
        route.ports.push({ port, protocol, listening: false, problem });
      }
    }
    return route;
  }

  #listen(address: string, protocol: "TCP" | "UDP", target: ForwardTarget, name: string) {
    const { opener, logger } = this.#options;
    if (protocol === "TCP") {
      return TcpForwarder.listen({ hostname: address, port: target.port, target, opener, logger });
    }
    return UdpForwarder.listen({
      hostname: address,
      port: target.port,
      open: throughTunnel(opener, target),
      label: `${name}:${target.port}`,
      logger,
    });
  }

  /** Stops every forwarder. */
  async close(): Promise<void> {
    this.#closed = true;
    const forwarders = [...this.#forwarders.values()];
    this.#forwarders.clear();
    this.#routes.clear();
    await Promise.all(forwarders.map(({ forwarder }) => forwarder?.close()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
