/**
 * The manager's HTTP API: health and readiness probes, Prometheus metrics, a read-only admin
 * view of the state, and the log level, changeable at run time.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { type LevelSwitch, type Logger, LogLevel } from "../../tunnel/log.ts";
import { toWireError, TpxError } from "../../tunnel/protocol/mod.ts";
import type { ManagerState } from "./state/manager_state.ts";
import { type Metrics, PROMETHEUS_CONTENT_TYPE } from "./state/metrics.ts";

/** What {@link managerHttpApi} serves from. */
export interface ManagerHttpApiDeps {
  state: ManagerState;
  metrics: Metrics;
  /** Whether the manager is ready to serve tunnels. */
  ready: () => boolean;
  /** Why it is not ready, for the `/readyz` answer; default: it is starting. */
  notReadyReason?: () => string;
  /** The switch that `PUT /admin/log-level` turns. */
  levels: LevelSwitch;
  logger: Logger;
}

/**
 * The manager's HTTP API.
 *
 * | route | answer |
 * | --- | --- |
 * | `GET /healthz` | 200 `ok` |
 * | `GET /readyz` | 200 `ready`, or 503 `not ready: REASON` |
 * | `GET /metrics` | Prometheus text |
 * | `GET /admin` | `{sessions, agents, intercepts}` |
 * | `GET /admin/sessions`, `/admin/agents`, `/admin/intercepts` | `{sessions}` and so on |
 * | `GET /admin/log-level` | `{level}` |
 * | `PUT /admin/log-level` with `{"level": "debug"}` | `{level, previous}` |
 *
 * Errors are JSON `{error: WireError}`.
 *
 * @example
 * ```ts
 * const app = managerHttpApi({ state, metrics, ready: () => true, levels, logger });
 * Deno.serve({ hostname: "0.0.0.0", port: 8081 }, app.fetch);
 * ```
 *
 * @param deps the state and switches it serves
 * @returns the hono app
 */
export function managerHttpApi(deps: ManagerHttpApiDeps): Hono {
  const { state, metrics, levels, logger } = deps;
  const app = new Hono();

  app.get("/healthz", (c) => c.text("ok"));
  app.get("/readyz", (c) => {
    if (deps.ready()) return c.text("ready");
    return c.text(`not ready: ${deps.notReadyReason?.() ?? "the manager is starting"}`, 503);
  });
  app.get("/metrics", (c) => {
    recordStateCounts(state, metrics);
    return c.body(metrics.render(), 200, { "content-type": PROMETHEUS_CONTENT_TYPE });
  });

  app.get("/admin", (c) => c.json(state.listing()));
  app.get("/admin/sessions", (c) => c.json({ sessions: state.listing().sessions }));
  app.get("/admin/agents", (c) => c.json({ agents: state.listing().agents }));
  app.get("/admin/intercepts", (c) => c.json({ intercepts: state.listing().intercepts }));
  app.get("/admin/log-level", (c) => c.json({ level: levels.level }));
  app.put("/admin/log-level", async (c) => {
    const level = readLevel(await readJson(c));
    const previous = levels.level;
    levels.level = level;
    logger.info("log level changed", { level, previous });
    return c.json({ level, previous });
  });

  app.notFound((c) => {
    const error = new TpxError("user", `No such path "${c.req.path}"`, { code: "not_found" });
    return c.json({ error: error.toWire() }, 404);
  });
  app.onError((error, c) => {
    if (error instanceof TpxError && error.category !== "internal") {
      return c.json({ error: error.toWire() }, 400);
    }
    logger.error("admin request failed", { path: c.req.path, error });
    return c.json({ error: toWireError(error) }, 500);
  });
  return app;
}

function recordStateCounts(state: ManagerState, metrics: Metrics): void {
  const counts = state.counts();
  metrics.gauge("tpx_sessions").set(counts.sessions);
  metrics.gauge("tpx_agents").set(counts.agents);
  for (const [name, count] of Object.entries(counts.intercepts)) {
    metrics.gauge("tpx_intercepts", { state: name }).set(count);
  }
}

async function readJson(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch (error) {
    throw new TpxError("user", "Invalid request body: it is not JSON", {
      code: "bad_request",
      cause: error,
    });
  }
}

function readLevel(body: unknown): LogLevel {
  const level = typeof body === "object" && body !== null && "level" in body
    ? body.level
    : undefined;
  if (typeof level === "string" && Object.hasOwn(LogLevel, level)) return level as LogLevel;
  const known = Object.keys(LogLevel).map((name) => `"${name}"`).join(", ");
  throw new TpxError("user", `Invalid log level ${JSON.stringify(level) ?? "(none)"}`, {
    code: "bad_request",
    hint: `send {"level": L} with L one of ${known}`,
  });
}
