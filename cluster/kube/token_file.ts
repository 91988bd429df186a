/**
 * A bearer token read from the kubeconfig's `tokenFile`. client-node reads only the
 * non-standard `token-file` key, once, relative to the working directory and with the trailing
 * newline kept; kubectl reads `tokenFile`, trims it, and re-reads it as it rotates.
 *
 * @module
 */

import { TpxError } from "../../tunnel/protocol/errors.ts";

/** How long a token read from a file is used before the file is read again, as client-go does. */
export const TOKEN_FILE_REREAD_MS = 60_000;

/**
 * A token file with a short cache, so that a rotated token (projected service-account tokens,
 * say) is picked up.
 *
 * @example
 * ```ts
 * const token = await new TokenFile("/var/run/token", "me").token();
 * ```
 */
export class TokenFile {
  readonly path: string;
  readonly user: string;
  #now: () => number;
  #token: string | undefined;
  #readAt = 0;

  /**
   * @param path the file, absolute
   * @param user the kubeconfig user entry, for messages
   * @param now the clock, replaceable in tests
   */
  constructor(path: string, user: string, now: () => number = Date.now) {
    this.path = path;
    this.user = user;
    this.#now = now;
  }

  /**
   * The token, read again if the last read is older than {@link TOKEN_FILE_REREAD_MS}.
   *
   * @returns the file's content without surrounding whitespace
   * @throws {TpxError} `token_file_unreadable` when the file cannot be read or is empty
   */
  async token(): Promise<string> {
    if (this.#token !== undefined && this.#now() - this.#readAt < TOKEN_FILE_REREAD_MS) {
      return this.#token;
    }
    let text: string;
    try {
      text = (await Deno.readTextFile(this.path)).trim();
    } catch (error) {
      throw this.#unreadable(
        error instanceof Deno.errors.NotFound ? "no such file" : String(error),
        error,
      );
    }
    if (text === "") throw this.#unreadable("the file is empty");
    this.#token = text;
    this.#readAt = this.#now();
    return text;
  }

  /** Forgets the token, so that the next request reads the file again. */
  invalidate(): void {
    this.#token = undefined;
  }

  #unreadable(reason: string, cause?: unknown): TpxError {
    return new TpxError("config", `Cannot read the token file "${this.path}": ${reason}`, {
      code: "token_file_unreadable",
      hint: `fix "tokenFile" of user "${this.user}" in the kubeconfig`,
      cause,
    });
  }
}
