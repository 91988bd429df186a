/**
 * Request and reply over control messages: a request carries an `id`; the reply with the same
 * `id` settles it, and a `failure` reply rejects it with the error it carries.
 *
 * @module
 */
import { type Clock, systemClock, type TimerId } from "./clock.ts";
import { TpxError, type WireError } from "./protocol/mod.ts";

/** A reply as this module sees it. */
interface Reply {
  type: string;
  id?: number;
  error?: WireError;
}

interface Pending {
  resolve: (reply: Reply) => void;
  reject: (error: Error) => void;
  timer: TimerId | undefined;
}

/**
 * Requests waiting for their replies.
 *
 * @example
 * ```ts
 * const requests = new PendingRequests();
 * const id = requests.nextId();
 * const reply = requests.wait(id, 10_000);
 * await session.send({ type: "lookup", id, name: "web.shop" });
 * ```
 */
export class PendingRequests {
  readonly #pending = new Map<number, Pending>();
  readonly #clock: Clock;
  #lastId = 0;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  /** A fresh request id. */
  nextId(): number {
    this.#lastId = this.#lastId >= 2 ** 32 - 1 ? 1 : this.#lastId + 1;
    return this.#lastId;
  }

  /**
   * Waits for the reply to request `id`.
   *
   * @param id the request's id
   * @param timeoutMs how long; 0 waits for good
   * @param what the request, for the timeout's message
   * @returns the reply
   * @throws {TpxError} the error a `failure` reply carried, or a timeout
   */
  wait<R extends Reply>(id: number, timeoutMs: number, what = "the manager's reply"): Promise<R> {
    return new Promise<Reply>((resolve, reject) => {
      const timer = timeoutMs > 0
        ? this.#clock.setTimeout(() => {
          this.#pending.delete(id);
          reject(
            new TpxError("cluster", `Timed out after ${timeoutMs} ms waiting for ${what}`, {
              code: "request_timeout",
              retryable: true,
            }),
          );
        }, timeoutMs)
        : undefined;
      this.#pending.set(id, { resolve, reject, timer });
    }) as Promise<R>;
  }

  /**
   * Settles the request a reply answers.
   *
   * @param reply a received control message
   * @returns whether it answered a pending request
   */
  settle(reply: Reply): boolean {
    if (reply.id === undefined) return false;
    const pending = this.#pending.get(reply.id);
    if (!pending) return false;
    this.#pending.delete(reply.id);
    if (pending.timer !== undefined) this.#clock.clearTimeout(pending.timer);
    if (reply.type === "failure" && reply.error) pending.reject(TpxError.fromWire(reply.error));
    else pending.resolve(reply);
    return true;
  }

  /**
   * Rejects every pending request, as when the session ends.
   *
   * @param error why
   */
  failAll(error: Error): void {
    for (const pending of this.#pending.values()) {
      if (pending.timer !== undefined) this.#clock.clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
  }
}
