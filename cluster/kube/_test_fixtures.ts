/**
 * Test helpers: kubeconfig files, credential plugin scripts, certificates and a fake API server,
 * all in a temporary folder and on 127.0.0.1.
 *
 * @module
 */

import { join } from "node:path";
import { connectKube, type KubeConnection } from "./connect.ts";

/** A temporary folder removed on dispose. */
export async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "tpx_kube_" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** Writes `document` as a kubeconfig (JSON is YAML) and returns its path. */
export async function writeKubeconfig(
  dir: string,
  name: string,
  document: unknown,
): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(path, JSON.stringify(document, null, 2));
  return path;
}

/**
 * Connects with `document` written as the only kubeconfig, and no environment.
 *
 * @param dir where the kubeconfig goes (relative paths in it resolve against it)
 * @param document the kubeconfig
 * @returns the connection; dispose it
 */
export async function connectWith(dir: string, document: unknown): Promise<KubeConnection> {
  return await connectKube({ kubeconfig: await writeKubeconfig(dir, "c", document), env: {} });
}

/** Parts of a one-context kubeconfig. */
export interface SimpleConfig {
  server: string;
  context?: string;
  namespace?: string;
  cluster?: Record<string, unknown>;
  user?: Record<string, unknown>;
}

/** A kubeconfig document with one cluster, user and context, all named after `context`. */
export function simpleKubeconfig(config: SimpleConfig): Record<string, unknown> {
  const name = config.context ?? "test";
  return {
    apiVersion: "v1",
    kind: "Config",
    "current-context": name,
    clusters: [{ name, cluster: { server: config.server, ...config.cluster } }],
    users: [{ name, user: config.user ?? {} }],
    contexts: [{
      name,
      context: {
        cluster: name,
        user: name,
        ...(config.namespace ? { namespace: config.namespace } : {}),
      },
    }],
  };
}

/** Writes an executable `#!/bin/sh` script and returns its path. */
export async function writeScript(dir: string, name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  await Deno.chmod(path, 0o755);
  return path;
}

/**
 * A credential plugin that appends a line to `<dir>/<name>.count` on each run and prints an
 * ExecCredential whose token is `token-<run number>`.
 */
export async function countingPlugin(
  dir: string,
  name: string,
  apiVersion: string,
  expirationTimestamp?: string,
): Promise<{ path: string; runs(): Promise<number> }> {
  const counter = join(dir, `${name}.count`);
  const expiry = expirationTimestamp ? `,"expirationTimestamp":"${expirationTimestamp}"` : "";
  const path = await writeScript(
    dir,
    name,
    // Only shell built-ins: tests run plugins with PATH set to the temp folder alone.
    `echo run >> '${counter}'\nn=0\nwhile read -r _; do n=$((n + 1)); done < '${counter}'\n` +
      `printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"token-%s"${expiry}}}' ` +
      `'${apiVersion}' "$n"`,
  );
  return {
    path,
    async runs() {
      try {
        return (await Deno.readTextFile(counter)).split("\n").filter(Boolean).length;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return 0;
        throw error;
      }
    },
  };
}

/** A loopback port nothing listens on: bound, then closed. */
export function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** What the fake API server saw and does. */
export interface FakeApiServer extends AsyncDisposable {
  url: string;
  /** The Authorization header of each request, in order. */
  authorizations: (string | null)[];
}

/** Options of {@link fakeApiServer}. */
export interface FakeApiOptions {
  /** Tokens the server accepts; any other Authorization is answered 401. */
  tokens: readonly string[];
  /** Serve TLS with this certificate. */
  tls?: { cert: string; key: string };
}

/**
 * A fake Kubernetes API server on 127.0.0.1: `/version` for accepted tokens, 401 otherwise,
 * and 403 for pods in namespace `locked` with the Status body a real server sends.
 */
export function fakeApiServer(options: FakeApiOptions): FakeApiServer {
  const authorizations: (string | null)[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {}, ...options.tls },
    (request) => {
      const authorization = request.headers.get("authorization");
      authorizations.push(authorization);
      const token = authorization?.replace(/^Bearer /, "");
      if (token === undefined || !options.tokens.includes(token)) {
        return status(401, "Unauthorized", "Unauthorized");
      }
      const path = new URL(request.url).pathname;
      if (path.startsWith("/version")) {
        return Response.json({ major: "1", minor: "31", gitVersion: "v1.31.2" });
      }
      if (path === "/api/v1/namespaces/locked/pods") {
        return status(
          403,
          "Forbidden",
          'pods is forbidden: User "system:serviceaccount:dev:jane" cannot list resource "pods" ' +
            'in API group "" in the namespace "locked"',
          { kind: "pods" },
        );
      }
      return status(404, "NotFound", `the server could not find the requested resource`);
    },
  );
  const scheme = options.tls ? "https" : "http";
  return {
    url: `${scheme}://127.0.0.1:${server.addr.port}`,
    authorizations,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

function status(code: number, reason: string, message: string, details?: unknown): Response {
  return Response.json(
    {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason,
      details,
      code,
    },
    { status: code },
  );
}
