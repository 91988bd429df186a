/**
 * One list-and-watch loop, as client-go's reflector runs it: list once, then watch from the
 * list's resourceVersion and keep resuming from the last one seen. Only an expired
 * resourceVersion (410 Gone) or a refused credential costs a new list; an ended watch resumes
 * at once, a failure retries with backoff. Nothing polls. The source is an interface, so the
 * loop is tested with a fake clock and without a cluster.
 *
 * @module
 */
import { Backoff } from "../../../tunnel/backoff.ts";
import { type Clock, systemClock, type TimerId } from "../../../tunnel/clock.ts";
import type { Logger } from "../../../tunnel/log.ts";
import type { ChangeType } from "./cluster_index_state.ts";

/** A list's objects and the resourceVersion to watch from. */
export interface ListResult {
  items: readonly unknown[];
  resourceVersion: string;
}

/** What a running watch reports. */
export interface WatchHandlers {
  /** One event: `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK` or `ERROR` (a Status object). */
  event(type: string, object: unknown): void;
  /** The watch ended: `null` when the server closed it, else the error. Called once. */
  done(error: unknown): void;
}

/** A resource that can be listed and watched. */
export interface WatchSource {
  /** Such as `services in "shop"`, for logs and the readiness reason. */
  readonly description: string;
  list(): Promise<ListResult>;
  /**
   * Starts watching after `resourceVersion`.
   *
   * @returns a function that ends the watch (its `done` may still be called)
   */
  watch(resourceVersion: string, handlers: WatchHandlers): Promise<() => void>;
}

/** Options of {@link ListWatch}. */
export interface ListWatchOptions {
  source: WatchSource;
  /** Takes a fresh list: every object of the source, replacing what was there. */
  replace(items: readonly unknown[]): void;
  /** Takes one change. */
  apply(type: ChangeType, object: unknown): void;
  logger: Logger;
  clock?: Clock;
  /** Delays between failed attempts; 0.5 s growing to 30 s by default. */
  backoff?: Backoff;
  /** A watch that lasted this long counts as healthy even without events; 5 s by default. */
  healthyWatchMs?: number;
}

/** Why a watch ended, as far as the loop cares. */
type Ending = "expired" | "unauthorized" | "closed" | "failed";

/**
 * The loop. Start it once; stop it to end the watch and every timer.
 *
 * @example
 * ```ts
 * const loop = new ListWatch({ source, replace, apply, logger });
 * loop.start();
 * // ... loop.synced once the first list is in
 * loop.stop();
 * ```
 */
export class ListWatch {
  readonly #options: ListWatchOptions;
  readonly #clock: Clock;
  readonly #backoff: Backoff;
  readonly #logger: Logger;
  #resourceVersion = "";
  #synced = false;
  #lastError: string | undefined;
  #stopped = false;
  /** Bumped for each watch, so the callbacks of an ended one are ignored. */
  #generation = 0;
  #stopWatch: (() => void) | undefined;
  #timer: TimerId | undefined;

  /** @param options the source, where its objects go, and the timing */
  constructor(options: ListWatchOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#backoff = options.backoff ?? new Backoff({ initialMs: 500, maxMs: 30_000 });
    this.#logger = options.logger.child({ watch: options.source.description });
  }

  /** What the loop watches, such as `services in "shop"`. */
  get description(): string {
    return this.#options.source.description;
  }

  /** Whether the first list is in. */
  get synced(): boolean {
    return this.#synced;
  }

  /** The last failure, until an attempt succeeds. */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** The resourceVersion the next watch resumes from; empty when the next step is a list. */
  get resourceVersion(): string {
    return this.#resourceVersion;
  }

  /** Lists and starts watching. */
  start(): void {
    this.#schedule(0);
  }

  /** Ends the watch and cancels a pending retry. */
  stop(): void {
    this.#stopped = true;
    this.#generation++;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#stopWatch?.();
    this.#stopWatch = undefined;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#connect().catch((error) => this.#failed("watching", error));
    }, delayMs);
  }

  async #connect(): Promise<void> {
    if (this.#resourceVersion === "") {
      try {
        await this.#list();
      } catch (error) {
        this.#failed("listing", error);
        return;
      }
    }
    if (this.#stopped) return;
    const generation = ++this.#generation;
    const started = this.#clock.now();
    let progressed = false;
    let status: Ending = "closed";
    const stop = await this.#options.source.watch(this.#resourceVersion, {
      event: (type, object) => {
        if (generation !== this.#generation) return;
        const ending = this.#event(type, object);
        if (ending) status = ending;
        else progressed = true;
      },
      done: (error) => {
        if (generation !== this.#generation) return;
        this.#generation++;
        this.#stopWatch = undefined;
        const healthy = progressed ||
          this.#clock.now() - started >= (this.#options.healthyWatchMs ?? 5_000);
        this.#ended(
          error === null || error === undefined ? status : endingOf(error),
          healthy,
          error,
        );
      },
    });
    if (generation === this.#generation) this.#stopWatch = stop;
    else if (this.#stopped) stop();
  }

  async #list(): Promise<void> {
    const list = await this.#options.source.list();
    if (this.#stopped) return;
    this.#options.replace(list.items);
    this.#resourceVersion = list.resourceVersion;
    this.#lastError = undefined;
    if (!this.#synced) this.#logger.info("listed", { objects: list.items.length });
    this.#synced = true;
  }

  /** Takes one event; returns how the watch is ending when the event says so. */
  #event(type: string, object: unknown): Ending | undefined {
    const resourceVersion = (object as { metadata?: { resourceVersion?: string } } | undefined)
      ?.metadata?.resourceVersion;
    switch (type) {
      case "ADDED":
      case "MODIFIED":
      case "DELETED":
        try {
          this.#options.apply(type, object);
        } catch (error) {
          // client-node drops what its callback throws; one odd object must not go unseen.
          this.#logger.error("an event could not be applied", { type, error });
        }
        break;
      case "BOOKMARK":
        break;
      case "ERROR": {
        const code = (object as { code?: number } | undefined)?.code;
        if (code === 410) return "expired";
        this.#logger.warn("the watch reported an error", { status: object });
        return "failed";
      }
      default:
        this.#logger.debug("unknown watch event", { type });
        return undefined;
    }
    if (resourceVersion) this.#resourceVersion = resourceVersion;
    this.#lastError = undefined;
    return undefined;
  }

  #ended(ending: Ending, healthy: boolean, error: unknown): void {
    if (this.#stopped) return;
    if (healthy) this.#backoff.reset();
    switch (ending) {
      case "expired":
        // The server no longer has the changes since our resourceVersion: list again.
        this.#logger.info("the watch expired; listing again");
        this.#resourceVersion = "";
        this.#schedule(healthy ? 0 : this.#backoff.next());
        return;
      case "unauthorized":
        // A list goes through the guarded client, which refreshes the credential.
        this.#resourceVersion = "";
        this.#retry("watching", error);
        return;
      case "closed":
        this.#logger.debug("the watch ended; resuming", { resourceVersion: this.#resourceVersion });
        if (healthy) this.#schedule(0);
        else this.#retry("watching", new Error("the server ended the watch at once"));
        return;
      case "failed":
        this.#retry("watching", error ?? new Error("the server reported an error"));
    }
  }

  #failed(doing: string, error: unknown): void {
    if (this.#stopped) return;
    this.#retry(doing, error);
  }

  #retry(doing: string, error: unknown): void {
    const delayMs = this.#backoff.next();
    this.#lastError = `${doing} failed: ${messageOf(error)}`;
    this.#logger.warn(`${doing} failed; retrying`, { error: messageOf(error), delayMs });
    this.#schedule(delayMs);
  }
}

/** How client-node's `Watch` reports the end of a watch, as an {@link Ending}. */
function endingOf(error: unknown): Ending {
  const status = error as { statusCode?: number; code?: number } | undefined;
  const code = status?.statusCode ?? status?.code;
  if (code === 410) return "expired";
  if (code === 401) return "unauthorized";
  // client-node aborts a watch that received nothing for 30 s; resuming is all it takes.
  if ((error as { name?: string }).name === "TimeoutError") return "closed";
  return "failed";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
