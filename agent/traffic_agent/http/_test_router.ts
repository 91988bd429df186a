/**
 * The router behind a loopback listener, for the router tests. Nothing outside this folder's
 * `*_test.ts` files imports this.
 *
 * @module
 */
import type { Clock } from "../../../tunnel/clock.ts";
import { MemoryLogger } from "../../../tunnel/log.ts";
import type { InterceptFilter } from "../../../tunnel/protocol/mod.ts";
import { closeQuietly } from "../../../tunnel/relay.ts";
import { compileFilters } from "./filters.ts";
import { type HttpRouterOptions, serveHttpConnection } from "./router.ts";

/** An intercept of the router fixture. */
export interface TestIntercept {
  id: string;
  filters: InterceptFilter[];
  /** Where its developer's process listens. */
  port: number;
}

/** Options of {@link startRouter}. */
export interface RouterFixtureOptions {
  appPort: number;
  intercepts?: TestIntercept[];
  clock?: Clock;
  headerTimeoutMs?: number;
}

/** The router behind a loopback listener. */
export interface RouterFixture extends AsyncDisposable {
  readonly port: number;
  readonly logger: MemoryLogger;
  /** Client connections accepted so far. */
  readonly connections: number;
}

/**
 * Listens on loopback and serves each accepted connection with `serveHttpConnection`.
 *
 * @param options the app, the intercepts and the clock
 * @returns the fixture; dispose it to stop it and wait for every connection's task
 */
export function startRouter(options: RouterFixtureOptions): RouterFixture {
  const logger = new MemoryLogger();
  const intercepts = (options.intercepts ?? []).map((intercept) => ({
    ...intercept,
    matcher: compileFilters(intercept.filters),
  }));
  const target = (port: number) => ({
    connect: () => Deno.connect({ hostname: "127.0.0.1", port }),
  });
  const routerOptions: HttpRouterOptions = {
    route(head) {
      const intercept = intercepts.find((candidate) => candidate.matcher.matches(head));
      return intercept && { interceptId: intercept.id };
    },
    app: target(options.appPort),
    intercept: (id) => target(intercepts.find((intercept) => intercept.id === id)!.port),
    logger,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.headerTimeoutMs ? { headerTimeoutMs: options.headerTimeoutMs } : {}),
  };
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  let connections = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      connections++;
      conns.add(conn);
      const task = serveHttpConnection(conn, routerOptions).finally(() => {
        conns.delete(conn);
        tasks.delete(task);
      });
      tasks.add(task);
    }
  })();
  return {
    port: listener.addr.port,
    logger,
    get connections() {
      return connections;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const conn of conns) closeQuietly(conn);
      await Promise.all(tasks);
    },
  };
}

/** A port on which nothing listens. */
export function closedPort(): number {
  using probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return probe.addr.port;
}
