/**
 * The traffic-agent's HTTP/1.1 router: per request, the app or a developer's personal
 * intercept. The agent serves each accepted connection with {@link serveHttpConnection}; the
 * manager checks an intercept's filters with {@link compileFilters} when it is created.
 *
 * @example
 * ```ts
 * import { compileFilters, serveHttpConnection } from "./mod.ts";
 *
 * const ann = compileFilters([{ on: "header", name: "x-dev", match: "exact", value: "ann" }]);
 * for await (const conn of listener) {
 *   void serveHttpConnection(conn, {
 *     route: (head) => ann.matches(head) ? { interceptId: "ann" } : undefined,
 *     app: { connect: () => Deno.connect({ hostname: "127.0.0.1", port: appPort }) },
 *     intercept: (id) => ({ connect: () => openInterceptStream(id) }),
 *     logger,
 *   });
 * }
 * ```
 *
 * @module
 */
export { compileFilters, type FilterableHead, type FilterMatcher, matches } from "./filters.ts";
export { HttpHeaders } from "./http_headers.ts";
export { MAX_HEAD_BYTES } from "./head_syntax.ts";
export { parseRequestHead, type RequestHead, type RequestHeadParse } from "./request_head.ts";
export type { BodyFraming } from "./body_framing.ts";
export { type HttpRouterOptions, type RouteTarget, serveHttpConnection } from "./router.ts";
