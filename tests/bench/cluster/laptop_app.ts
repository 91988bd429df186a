/**
 * The process a developer runs behind an intercept, for the cluster benchmark: it answers
 * every request with who it is (so that a caller in the cluster can tell it from the app),
 * and `POST /sink` reads the whole body and answers how many bytes it got.
 *
 * @example
 * ```ts
 * await using laptop = laptopApp("laptop");
 * // tpx intercept echo -p ${laptop.port}:http
 * ```
 * @module
 */

/** A running laptop app. */
export interface LaptopApp extends AsyncDisposable {
  /** Its loopback port. */
  port: number;
}

/** What the laptop app answers: `bytes` only for `POST /sink`. */
export interface LaptopAnswer {
  who: string;
  path: string;
  bytes?: number;
}

/**
 * Starts the laptop app on a free loopback port.
 *
 * @param who the name it answers with
 * @returns the app; dispose to stop it
 */
export function laptopApp(who: string): LaptopApp {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = new URL(request.url).pathname;
      if (request.method === "POST" && path === "/sink") {
        return Response.json({ who, path, bytes: await count(request.body) });
      }
      await request.body?.cancel();
      return Response.json({ who, path });
    },
  );
  return {
    port: server.addr.port,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** Reads a body to its end without keeping it. */
async function count(body: ReadableStream<Uint8Array> | null): Promise<number> {
  let bytes = 0;
  if (body === null) return bytes;
  for await (const chunk of body) bytes += chunk.length;
  return bytes;
}
