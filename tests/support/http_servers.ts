/**
 * Small HTTP servers for cross-process tests: each answers with who it is, so a test can tell
 * whether a request reached the app or a developer's machine.
 *
 * @module
 */

/** A server that answers every request with `{who, path, headers}`. */
export interface WhoServer extends AsyncDisposable {
  port: number;
  /** Requests it served. */
  served: number;
}

/**
 * Starts a server on loopback that answers as `who`.
 *
 * @param who the name it answers with
 * @returns the server
 */
export function whoServer(who: string): WhoServer {
  const state = { served: 0 };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    state.served++;
    const url = new URL(request.url);
    return Response.json({ who, path: url.pathname, headers: Object.fromEntries(request.headers) });
  });
  return {
    port: server.addr.port,
    get served() {
      return state.served;
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/**
 * GETs `path` from a loopback port with a fresh client, and says who answered.
 *
 * @param port where
 * @param path what
 * @param headers extra request headers
 * @returns the `who` of the answer, or the error's message
 */
export async function whoAnswers(
  port: number,
  path = "/",
  headers: Record<string, string> = {},
): Promise<string> {
  using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers, client });
    const body = await response.json() as { who: string };
    return body.who;
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}
