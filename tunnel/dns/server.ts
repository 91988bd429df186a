/**
 * The stub DNS server: UDP and TCP on one address and port, in front of a
 * {@link QueryHandler}. Closing it ends every listener, connection, timer and pending query.
 *
 * @module
 */

import { type Clock, systemClock } from "../clock.ts";
import type { Logger } from "../log.ts";
import { TpxError } from "../protocol/errors.ts";
import { ClusterLookup } from "./cluster_lookup.ts";
import { QueryHandler } from "./handler.ts";
import { ClusterNames, type ClusterNamesOptions } from "./names.ts";
import type { NameServer } from "./resolv_conf.ts";
import type { ClusterResolver } from "./resolver.ts";
import { TcpSessions } from "./tcp_sessions.ts";
import { Forwarder, withoutSelf } from "./upstream.ts";

/** Options of {@link startDnsStub}. */
export interface DnsStubOptions extends ClusterNamesOptions {
  /** Where to listen; default `127.0.0.1`. */
  hostname?: string;
  /** UDP and TCP port; 0 picks a free one (see {@link DnsStub.addr}). Default 53. */
  port?: number;
  /** Answers cluster names and reverse names of the addresses it handed out. */
  resolver: ClusterResolver;
  /** Where other names go, usually from {@link loadSystemNameServers}; the stub skips itself. */
  upstreams: readonly NameServer[];
  /** How long each upstream server has to answer; default 2,000 ms. */
  upstreamTimeoutMs?: number;
  /** A TCP connection without queries for this long is closed; default 10,000 ms. */
  tcpIdleTimeoutMs?: number;
  /** Entries each cache (cluster, upstream) holds at most; default 10,000. */
  cacheEntries?: number;
  /** How long "no such name" is cached, in seconds; default 5. */
  negativeTtlSeconds?: number;
  /** Queries answered at once; more UDP queries are dropped (clients retry). Default 1,024. */
  maxPendingQueries?: number;
  /** Time for caches and timeouts; the system clock by default. */
  clock?: Clock;
  logger: Logger;
}

/** A running stub. */
export interface DnsStub extends AsyncDisposable {
  /** The address both listeners are bound to, with the actual port. */
  readonly addr: { hostname: string; port: number };
  /**
   * Forgets every cached answer: for when the cluster session starts over or the machine's
   * network changes.
   */
  clearCaches(): void;
  /** Stops listening, ends connections and pending queries; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts the stub on UDP and TCP.
 *
 * @example
 * ```ts
 * await using stub = startDnsStub({ port: 0, resolver, upstreams: [], logger });
 * stub.addr.port; // the port both listeners have
 * ```
 *
 * @param options where to listen, the resolver, the upstreams and the limits
 * @returns the running stub
 * @throws {TpxError} (config) when the address is taken or may not be bound
 */
export function startDnsStub(options: DnsStubOptions): DnsStub {
  const clock = options.clock ?? systemClock;
  const { udp, tcp, addr } = bind(options.hostname ?? "127.0.0.1", options.port ?? 53);
  const servers = withoutSelf(options.upstreams, addr);
  if (servers.length < options.upstreams.length) {
    options.logger.warn("DNS stub skips itself among its upstream servers", { addr });
  }
  const cacheOptions = {
    ...(options.cacheEntries === undefined ? {} : { cacheEntries: options.cacheEntries }),
    ...(options.negativeTtlSeconds === undefined
      ? {}
      : { negativeTtlSeconds: options.negativeTtlSeconds }),
  };
  const handler = new QueryHandler({
    names: new ClusterNames(options),
    lookup: new ClusterLookup({
      resolver: options.resolver,
      now: () => clock.now(),
      ...cacheOptions,
    }),
    resolver: options.resolver,
    forwarder: new Forwarder({
      servers,
      clock,
      logger: options.logger,
      ...cacheOptions,
      ...(options.upstreamTimeoutMs === undefined ? {} : { timeoutMs: options.upstreamTimeoutMs }),
    }),
    logger: options.logger,
  });
  return new RunningStub(udp, tcp, handler, addr, {
    clock,
    logger: options.logger,
    idleTimeoutMs: options.tcpIdleTimeoutMs ?? 10_000,
    maxPending: options.maxPendingQueries ?? 1_024,
  });
}

class RunningStub implements DnsStub {
  readonly addr: { hostname: string; port: number };
  readonly #udp: Deno.DatagramConn;
  readonly #tcp: TcpSessions;
  readonly #handler: QueryHandler;
  readonly #logger: Logger;
  readonly #maxPending: number;
  readonly #abort = new AbortController();
  readonly #pending = new Set<Promise<void>>();
  readonly #udpLoop: Promise<void>;
  #closing: Promise<void> | undefined;

  constructor(
    udp: Deno.DatagramConn,
    tcp: Deno.TcpListener,
    handler: QueryHandler,
    addr: { hostname: string; port: number },
    limits: { clock: Clock; logger: Logger; idleTimeoutMs: number; maxPending: number },
  ) {
    this.addr = addr;
    this.#udp = udp;
    this.#handler = handler;
    this.#logger = limits.logger;
    this.#maxPending = limits.maxPending;
    this.#tcp = new TcpSessions(tcp, {
      ...limits,
      handle: (query) => handler.handle(query, "tcp", this.#abort.signal),
    });
    this.#udpLoop = this.#serveUdp();
  }

  clearCaches(): void {
    this.#handler.clearCaches();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #close(): Promise<void> {
    this.#abort.abort(new TpxError("internal", "The DNS stub is closing", { code: "dns_closed" }));
    this.#udp.close();
    await Promise.all([this.#udpLoop, this.#tcp.close(), ...this.#pending]);
  }

  async #serveUdp(): Promise<void> {
    for (;;) {
      let packet: [Uint8Array, Deno.Addr];
      try {
        packet = await this.#udp.receive();
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        // Some systems report an ICMP error of an earlier send here; the socket still works.
        this.#logger.debug("DNS stub UDP receive failed", { error });
        continue;
      }
      if (this.#pending.size >= this.#maxPending) continue;
      const task = this.#answerUdp(packet[0], packet[1]);
      this.#pending.add(task);
      task.finally(() => this.#pending.delete(task));
    }
  }

  async #answerUdp(query: Uint8Array, from: Deno.Addr): Promise<void> {
    try {
      const answer = await this.#handler.handle(query, "udp", this.#abort.signal);
      if (answer !== undefined && !this.#abort.signal.aborted) await this.#udp.send(answer, from);
    } catch (error) {
      if (!this.#abort.signal.aborted) this.#logger.debug("DNS stub UDP answer failed", { error });
    }
  }
}

/** Binds UDP and TCP to one port; with port 0, retries until both get the same free port. */
function bind(
  hostname: string,
  port: number,
): { udp: Deno.DatagramConn; tcp: Deno.TcpListener; addr: { hostname: string; port: number } } {
  for (let attempt = 1;; attempt++) {
    const udp = listen(
      () => Deno.listenDatagram({ transport: "udp", hostname, port }),
      hostname,
      port,
    );
    const addr = udp.addr as Deno.NetAddr;
    try {
      const tcp = listen(
        () => Deno.listen({ transport: "tcp", hostname, port: addr.port }),
        hostname,
        port,
      );
      return { udp, tcp, addr: { hostname: addr.hostname, port: addr.port } };
    } catch (error) {
      udp.close();
      if (port !== 0 || attempt >= 10) throw error;
    }
  }
}

function listen<T>(open: () => T, hostname: string, port: number): T {
  try {
    return open();
  } catch (error) {
    const where = `${hostname}:${port}`;
    if (error instanceof Deno.errors.AddrInUse) {
      throw new TpxError("config", `Cannot start the DNS stub on "${where}": address in use`, {
        code: "dns_addr_in_use",
        hint: "another DNS server listens there; stop it or give the stub another address or port",
        cause: error,
      });
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new TpxError("config", `Cannot start the DNS stub on "${where}": permission denied`, {
        code: "dns_permission_denied",
        hint: "ports below 1024 need root; use a higher port",
        cause: error,
      });
    }
    throw new TpxError("config", `Cannot start the DNS stub on "${where}"`, {
      code: "dns_listen_failed",
      cause: error,
    });
  }
}
