/**
 * The CLI's side of the daemon API: JSON over HTTP on the daemon's Unix socket.
 *
 * @module
 */
import { TpxError, type WireError } from "../../tunnel/protocol/mod.ts";

/** Stable codes of the errors of this module. */
export const DaemonClientErrorCode = {
  NotRunning: "daemon_not_running",
  BadAnswer: "daemon_bad_answer",
} as const;

/**
 * Talks to the daemon at `socket`.
 *
 * @example
 * ```ts
 * using daemon = new DaemonClient(daemonPaths().socket);
 * const status = await daemon.call<Status>("GET", "/status");
 * ```
 */
export class DaemonClient implements Disposable {
  readonly #socket: string;
  readonly #client: Deno.HttpClient;

  /** @param socket the daemon's Unix socket */
  constructor(socket: string) {
    this.#socket = socket;
    this.#client = Deno.createHttpClient({ proxy: { transport: "unix", path: socket } });
  }

  /**
   * Whether a daemon answers on the socket.
   *
   * @returns its version, or `undefined` when none runs
   */
  async running(): Promise<{ tpx: string; protocol: number; pid: number } | undefined> {
    try {
      return await this.call("GET", "/version");
    } catch (error) {
      if (error instanceof TpxError && error.code === DaemonClientErrorCode.NotRunning) {
        return undefined;
      }
      throw error;
    }
  }

  /**
   * Calls the daemon.
   *
   * @param method the HTTP method
   * @param path such as `/status`
   * @param body sent as JSON
   * @param signal aborts the call
   * @returns the answer's JSON
   * @throws {TpxError} the daemon's error as it sent it, or `daemon_not_running`
   */
  async call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return await this.#json<T>(await this.#fetch(method, path, body, signal));
  }

  async #fetch(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    try {
      return await fetch(`http://daemon${path}`, {
        method,
        client: this.#client,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new TpxError("user", "tpx is not connected: no daemon answers", {
        code: DaemonClientErrorCode.NotRunning,
        hint: '"tpx connect" starts it',
        cause: error,
      });
    }
  }

  async #json<T>(response: Response): Promise<T> {
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw badAnswer(this.#socket, `${response.status} ${text.slice(0, 200)}`);
    }
    if (!response.ok) {
      const wire = (json as { error?: WireError }).error;
      if (wire === undefined) throw badAnswer(this.#socket, `${response.status} ${text}`);
      throw TpxError.fromWire(wire);
    }
    return json as T;
  }

  /**
   * Calls a route that answers with JSON lines, such as `POST /intercepts`.
   *
   * @param path the route
   * @param body sent as JSON
   * @param onLine receives each line, parsed
   * @param signal aborts the call; the daemon then cancels what it was doing
   * @throws {TpxError} as {@link call}
   */
  async stream<T>(
    path: string,
    body: unknown,
    onLine: (line: T) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const response = await this.#fetch("POST", path, body, signal);
    if (!response.ok || response.body === null) {
      await this.#json(response);
      throw badAnswer(this.#socket, `${response.status} without a body`);
    }
    let pending = "";
    for await (const chunk of response.body.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      let end: number;
      while ((end = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        if (line.trim() !== "") onLine(JSON.parse(line) as T);
      }
    }
  }

  [Symbol.dispose](): void {
    this.#client.close();
  }
}

function badAnswer(socket: string, detail: string): TpxError {
  return new TpxError("internal", `The daemon at "${socket}" gave an answer tpx cannot read`, {
    code: DaemonClientErrorCode.BadAnswer,
    hint: `"tpx quit" stops it; the next "tpx connect" starts a new one: ${detail}`,
  });
}
