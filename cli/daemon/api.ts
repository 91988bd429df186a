/**
 * The daemon's HTTP API, served on its owner-only Unix socket.
 *
 * | route | body | answer |
 * | --- | --- | --- |
 * | `GET /version` | | `{tpx, protocol, pid}` |
 * | `GET /status` | | `StatusResponse` |
 * | `GET /handover` | | `DaemonHandover`: what a replacing daemon carries over |
 * | `POST /connect` | `ConnectRequest` | `SessionStatus` |
 * | `POST /quit` | | `QuitResponse`; the daemon exits after answering |
 * | `POST /intercepts` | `InterceptRequest` | NDJSON `InterceptEvent` lines |
 * | `DELETE /intercepts/:name[?restore=true]` | | `LeaveResponse` |
 * | `GET /intercepts/:name/environment` | | the container's `{env, mounts, pod}` |
 * | `POST /uninstall` | `RestoreTarget` | `RestoreResult` |
 * | `GET /workloads?namespace=NS` | | `{workloads}` |
 *
 * The bodies' types are in `api_types.ts`. Errors are `{error: WireError}` with a status by
 * category.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { PROTOCOL_VERSION, toWireError, TPX_VERSION, TpxError } from "../../tunnel/protocol/mod.ts";
import type { Logger } from "../../tunnel/log.ts";
import type { ConnectRequest, InterceptEvent, InterceptRequest } from "./api_types.ts";
import type { Daemon } from "./daemon.ts";
import type { RestoreTarget } from "./manager_client.ts";

/** What the API serves from. */
export interface DaemonApiDeps {
  daemon: Daemon;
  logger: Logger;
  /** Called after `/quit` answered, to stop the process. */
  onQuit: () => void;
}

const STATUS_BY_CATEGORY = { user: 400, config: 400, cluster: 502, internal: 500 } as const;

/**
 * The API.
 *
 * @param deps the daemon and what to do on quit
 * @returns the hono app
 */
export function daemonApi(deps: DaemonApiDeps): Hono {
  const { daemon, logger } = deps;
  const app = new Hono();

  app.get(
    "/version",
    (c) => c.json({ tpx: TPX_VERSION, protocol: PROTOCOL_VERSION, pid: Deno.pid }),
  );
  app.get("/status", async (c) => c.json(await daemon.status()));
  app.get("/handover", (c) => c.json(daemon.handover()));
  app.post("/connect", async (c) => c.json(await daemon.connect(await body<ConnectRequest>(c))));
  app.post("/quit", async (c) => {
    const result = await daemon.quit();
    // Answer first: the CLI waits for this reply, then for the socket to go away.
    setTimeout(deps.onQuit, 0);
    return c.json(result);
  });
  app.post("/intercepts", async (c) => {
    const request = await body<InterceptRequest>(c);
    const encoder = new TextEncoder();
    const abort = new AbortController();
    const stream = new ReadableStream<Uint8Array>({
      start: async (controller) => {
        const send = (event: InterceptEvent) =>
          controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`));
        try {
          const intercept = await daemon.intercept(
            request,
            (progress) => send({ progress }),
            abort.signal,
          );
          send({ intercept });
        } catch (error) {
          if (!(error instanceof TpxError)) logger.error("intercept failed", { error });
          send({ error: toWireError(error) });
        }
        controller.close();
      },
      // The CLI was interrupted: stop waiting, and the intercept is removed.
      cancel: () => abort.abort(new TpxError("user", "The intercept was cancelled")),
    });
    return new Response(stream, { headers: { "content-type": "application/x-ndjson" } });
  });
  app.delete("/intercepts/:name", async (c) => {
    const restore = c.req.query("restore") === "true";
    return c.json(await daemon.leave(c.req.param("name"), restore));
  });
  app.get(
    "/intercepts/:name/environment",
    async (c) => c.json(await daemon.environment(c.req.param("name"))),
  );
  app.post("/uninstall", async (c) => c.json(await daemon.uninstall(await body<RestoreTarget>(c))));
  app.get("/workloads", async (c) => {
    const namespace = c.req.query("namespace");
    return c.json({ workloads: await daemon.list(namespace || undefined) });
  });

  app.onError((error, c) => {
    const wire = toWireError(error);
    if (wire.category === "internal") logger.error("request failed", { path: c.req.path, error });
    return c.json({ error: wire }, STATUS_BY_CATEGORY[wire.category]);
  });
  app.notFound((c) => {
    const error = new TpxError("internal", `The daemon has no route "${c.req.path}"`, {
      code: "not_found",
      hint: 'the CLI and the daemon differ in version; "tpx quit" and connect again',
    });
    return c.json({ error: error.toWire() }, 404);
  });
  return app;
}

async function body<T>(c: Context): Promise<T> {
  try {
    return await c.req.json<T>();
  } catch {
    throw new TpxError("internal", "The daemon got a request body it cannot read", {
      code: "bad_request",
    });
  }
}
