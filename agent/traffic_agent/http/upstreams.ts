/**
 * The upstream connections of one client connection: one to the app and one per intercept,
 * opened when first needed and reused while the upstream keeps them alive.
 *
 * @module
 */
import type { Logger } from "../../../tunnel/log.ts";
import type { DuplexConn } from "../../../tunnel/relay.ts";
import { BufferedConn } from "./buffered_conn.ts";

/** One side a request can be sent to. */
export interface RouteTarget {
  /** Opens a connection to the chosen side; may throw. */
  connect(): Promise<DuplexConn>;
}

/** Where {@link UpstreamPool} connects. */
export interface UpstreamPoolOptions {
  app: RouteTarget;
  intercept(interceptId: string): RouteTarget;
  logger: Logger;
}

/** The connection a request goes out on. */
export interface Upstream {
  readonly conn: BufferedConn;
  /** The intercept it leads to; undefined for the app. */
  readonly interceptId: string | undefined;
  /** Whether it carried an exchange before, so its peer may have closed it meanwhile. */
  readonly reused: boolean;
}

/** The upstream connections of one client connection. */
export class UpstreamPool {
  readonly #options: UpstreamPoolOptions;
  #app: BufferedConn | undefined;
  readonly #intercepts = new Map<string, BufferedConn>();
  readonly #unreachable = new Set<string>();

  /** @param options the targets and the logger */
  constructor(options: UpstreamPoolOptions) {
    this.#options = options;
  }

  /**
   * The connection for a request. An intercept that cannot be reached (the developer's tunnel
   * is down) yields the app's connection instead, so the request is still served.
   *
   * @param interceptId the intercept the request was routed to; undefined for the app
   * @returns a live connection, reused when the previous one is still good
   * @throws what connecting to the app threw
   */
  async acquire(interceptId: string | undefined): Promise<Upstream> {
    if (interceptId !== undefined) {
      try {
        return await this.#upstream(interceptId);
      } catch (error) {
        this.reportUnreachable(interceptId, error);
      }
    }
    return await this.#upstream(undefined);
  }

  /**
   * Logs that an intercept could not take a request, which the app serves instead: as a
   * warning the first time on this client connection, since a keep-alive client would
   * otherwise log every request, and at debug level after that.
   *
   * @param interceptId the intercept
   * @param error why
   */
  reportUnreachable(interceptId: string, error: unknown): void {
    const first = !this.#unreachable.has(interceptId);
    this.#unreachable.add(interceptId);
    const log = first ? this.#options.logger.warn : this.#options.logger.debug;
    log.call(this.#options.logger, "intercept unreachable, the app serves the request", {
      interceptId,
      error,
    });
  }

  /**
   * Hands a connection back after an exchange.
   *
   * @param upstream what {@link UpstreamPool.acquire} returned
   * @param keep whether it may carry another request; if not, it is closed
   */
  async release(upstream: Upstream, keep: boolean): Promise<void> {
    if (keep) {
      upstream.conn.watch();
      return;
    }
    this.#forget(upstream);
    await upstream.conn.close();
  }

  /**
   * Takes a connection out of the pool, for a caller that will close it itself.
   *
   * @param upstream what {@link UpstreamPool.acquire} returned
   */
  detach(upstream: Upstream): void {
    this.#forget(upstream);
  }

  /** Closes every pooled connection. */
  async closeAll(): Promise<void> {
    const conns = [...this.#intercepts.values()];
    if (this.#app) conns.push(this.#app);
    this.#app = undefined;
    this.#intercepts.clear();
    await Promise.all(conns.map((conn) => conn.close()));
  }

  async #upstream(interceptId: string | undefined): Promise<Upstream> {
    const existing = interceptId === undefined ? this.#app : this.#intercepts.get(interceptId);
    if (existing?.reusable) return { conn: existing, interceptId, reused: true };
    // Closed by the upstream while idle, or it sent bytes nobody asked for: start afresh.
    if (existing) await existing.close();
    const target = interceptId === undefined
      ? this.#options.app
      : this.#options.intercept(interceptId);
    const conn = new BufferedConn(await target.connect());
    if (interceptId === undefined) this.#app = conn;
    else this.#intercepts.set(interceptId, conn);
    return { conn, interceptId, reused: false };
  }

  #forget(upstream: Upstream): void {
    if (upstream.interceptId === undefined) {
      if (this.#app === upstream.conn) this.#app = undefined;
    } else if (this.#intercepts.get(upstream.interceptId) === upstream.conn) {
      this.#intercepts.delete(upstream.interceptId);
    }
  }
}
