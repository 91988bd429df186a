/**
 * The demo's two HTTP ends: servers that answer one sentence (the sample service, and the
 * handler on "your machine"), and a request that says which one answered.
 *
 * @module
 */
import { TpxError } from "../../tunnel/protocol/mod.ts";

/** Stable codes of the errors of this module. */
export const HttpErrorCode = { WrongAnswer: "demo_wrong_answer" } as const;

/** A server answering every request with one sentence. */
export interface SentenceServer extends AsyncDisposable {
  port: number;
  /** Requests answered so far. */
  readonly served: number;
}

/**
 * Starts a server on 127.0.0.1 that answers every request with `sentence`.
 *
 * @param sentence such as `hello from the sample service`
 * @returns the server, listening on a free port
 */
export function sentenceServer(sentence: string): SentenceServer {
  const state = { served: 0 };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, () => {
    state.served++;
    return new Response(`${sentence}\n`, { headers: { "content-type": "text/plain" } });
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
 * GETs `url` on a connection of its own (a pooled one could reach the destination the
 * previous request chose) and returns the body's text, trimmed.
 *
 * @param url such as `http://127.241.0.1:18080/`
 * @param signal gives up when aborted
 * @returns the body
 * @throws {Error} when the request fails or the status is not 200
 */
export async function getText(url: string, signal: AbortSignal): Promise<string> {
  using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const response = await fetch(url, { client, signal });
  const body = (await response.text()).trim();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${body}`);
  return body;
}

/** Options of {@link expectAnswer}. */
export interface ExpectAnswerOptions {
  /** How long to keep trying; keep it below the step's time limit, so the error says why. */
  withinMs: number;
  /** Gives up at once when aborted (Ctrl-C). */
  signal: AbortSignal;
  /** Pause between tries; default 100 ms. */
  retryMs?: number;
}

/**
 * GETs `url` until it answers `expected`: a change of route (intercept, leave) reaches the
 * agent a moment after the daemon confirms it, and a busy machine can stretch that moment.
 *
 * @param url where
 * @param expected the body wanted
 * @param options how long to try, and the signal that ends the tries
 * @returns how many tries it took
 * @throws {TpxError} `demo_wrong_answer` with the last answer or error, when time is up;
 *   the signal's reason when aborted
 */
export async function expectAnswer(
  url: string,
  expected: string,
  options: ExpectAnswerOptions,
): Promise<number> {
  const { signal } = options;
  const deadline = performance.now() + options.withinMs;
  let last = "";
  for (let tries = 1;; tries++) {
    try {
      const body = await getText(url, signal);
      if (body === expected) return tries;
      last = `"${body}"`;
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      last = `an error: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (performance.now() >= deadline) {
      throw new TpxError("internal", `${url} answered ${last}, not "${expected}"`, {
        code: HttpErrorCode.WrongAnswer,
        hint: `${tries} tries in ${Math.round(options.withinMs / 1000)} s`,
      });
    }
    await pause(options.retryMs ?? 100, signal);
    if (signal.aborted) throw signal.reason;
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
