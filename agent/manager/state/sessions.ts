/**
 * Daemon sessions with leases: a session lives while heartbeats renew its lease, survives a
 * dropped tunnel for the rest of the lease, and can then be resumed by the same user and host.
 *
 * @module
 */
import type { Clock, TimerId } from "../../../tunnel/clock.ts";
import type { Logger } from "../../../tunnel/log.ts";
import { TpxError } from "../../../tunnel/protocol/mod.ts";
import { randomId } from "./_time.ts";
import type { SessionEndReason } from "./events.ts";

/** How long a session outlives its last heartbeat unless configured otherwise: 15 s. */
export const DEFAULT_LEASE_MS = 15_000;

/** What a daemon says when it arrives. */
export interface SessionArrival {
  user: string;
  host: string;
  /** The daemon's software version, from the tunnel handshake. */
  version: string;
  namespaces: readonly string[];
  /** The id of a session to resume after a reconnect. */
  resume?: string;
}

/** A session as the state holds it; a snapshot, not updated in place. */
export interface SessionInfo {
  readonly id: string;
  readonly user: string;
  readonly host: string;
  readonly version: string;
  readonly namespaces: readonly string[];
  /** Whether its tunnel is up. */
  readonly attached: boolean;
  /** When the lease runs out, as a clock reading. */
  readonly leaseExpiresAt: number;
}

/** The outcome of {@link Sessions.arrive}. */
export interface SessionArrived {
  session: SessionInfo;
  /** Whether an existing session was resumed, with its intercepts. */
  resumed: boolean;
  /**
   * Identifies this tunnel of the session; passing it to {@link Sessions.detach} keeps the
   * drop of an old tunnel from detaching a session that a newer tunnel has resumed.
   */
  attachment: number;
}

/** Options of {@link Sessions}. */
export interface SessionsOptions {
  clock: Clock;
  logger: Logger;
  leaseMs: number;
  /** Called when a session ends by itself (lease) or by {@link Sessions.depart}. */
  onEnded: (session: SessionInfo, reason: SessionEndReason) => void;
}

interface Entry {
  info: SessionInfo;
  attachment: number;
  timer: TimerId;
}

/** The sessions of the manager. */
export class Sessions {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #leaseMs: number;
  readonly #onEnded: SessionsOptions["onEnded"];
  readonly #entries = new Map<string, Entry>();
  #attachments = 0;

  constructor(options: SessionsOptions) {
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#leaseMs = options.leaseMs;
    this.#onEnded = options.onEnded;
  }

  /** The lease length in milliseconds. */
  get leaseMs(): number {
    return this.#leaseMs;
  }

  /** How many sessions there are. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Starts a session, or resumes the one named by `arrival.resume` if it is still alive and
   * belongs to the same user and host.
   *
   * @param arrival what the daemon said
   * @returns the session, whether it was resumed, and the attachment of this tunnel
   */
  arrive(arrival: SessionArrival): SessionArrived {
    const resumed = this.#resumable(arrival);
    const attachment = ++this.#attachments;
    const fields = {
      user: arrival.user,
      host: arrival.host,
      version: arrival.version,
      namespaces: [...arrival.namespaces],
      attached: true,
    };
    if (resumed) this.#clock.clearTimeout(resumed.timer);
    const id = resumed?.info.id ?? randomId();
    const entry = this.#lease(id, fields, attachment);
    this.#logger.info(resumed ? "session resumed" : "session started", {
      sessionId: id,
      user: arrival.user,
      host: arrival.host,
    });
    return { session: entry.info, resumed: resumed !== undefined, attachment };
  }

  /**
   * Renews the lease of a session.
   *
   * @param id the session
   * @returns the session with its new lease
   * @throws {TpxError} `session_unknown` when the session has ended
   */
  heartbeat(id: string): SessionInfo {
    const entry = this.#require(id);
    this.#clock.clearTimeout(entry.timer);
    return this.#lease(id, entry.info, entry.attachment).info;
  }

  /**
   * Marks a session's tunnel as down; the lease keeps running from the last heartbeat.
   * Unknown sessions and stale attachments are ignored: the tunnel of an ended or resumed
   * session may drop late.
   *
   * @param id the session
   * @param attachment the attachment that {@link Sessions.arrive} returned for this tunnel
   */
  detach(id: string, attachment?: number): void {
    const entry = this.#entries.get(id);
    if (!entry || (attachment !== undefined && attachment !== entry.attachment)) return;
    entry.info = { ...entry.info, attached: false };
    this.#logger.info("session detached", { sessionId: id });
  }

  /**
   * Ends a session at once.
   *
   * @param id the session
   * @returns whether there was such a session
   */
  depart(id: string): boolean {
    return this.#end(id, "departed");
  }

  /** The session `id`, if it is alive. */
  get(id: string): SessionInfo | undefined {
    return this.#entries.get(id)?.info;
  }

  /**
   * The session `id`.
   *
   * @throws {TpxError} `session_unknown` when the session has ended
   */
  require(id: string): SessionInfo {
    return this.#require(id).info;
  }

  /** Every session, oldest first. */
  list(): SessionInfo[] {
    return [...this.#entries.values()].map((e) => e.info);
  }

  /** Forgets every session and stops every timer, without ending events. */
  close(): void {
    for (const entry of this.#entries.values()) this.#clock.clearTimeout(entry.timer);
    this.#entries.clear();
  }

  #lease(id: string, fields: Omit<SessionInfo, "id" | "leaseExpiresAt">, attachment: number) {
    const info: SessionInfo = {
      id,
      user: fields.user,
      host: fields.host,
      version: fields.version,
      namespaces: fields.namespaces,
      attached: fields.attached,
      leaseExpiresAt: this.#clock.now() + this.#leaseMs,
    };
    const timer = this.#clock.setTimeout(() => this.#end(id, "leaseExpired"), this.#leaseMs);
    const entry: Entry = { info, attachment, timer };
    this.#entries.set(id, entry);
    return entry;
  }

  #end(id: string, reason: SessionEndReason): boolean {
    const entry = this.#entries.get(id);
    if (!entry) return false;
    this.#clock.clearTimeout(entry.timer);
    this.#entries.delete(id);
    this.#logger.info(reason === "departed" ? "session departed" : "session lease expired", {
      sessionId: id,
      user: entry.info.user,
      host: entry.info.host,
    });
    this.#onEnded(entry.info, reason);
    return true;
  }

  #resumable(arrival: SessionArrival): Entry | undefined {
    if (arrival.resume === undefined) return undefined;
    const entry = this.#entries.get(arrival.resume);
    if (!entry) {
      this.#logger.info("session not resumed, starting a new one: it ended or its lease expired", {
        resume: arrival.resume,
      });
      return undefined;
    }
    if (entry.info.user !== arrival.user || entry.info.host !== arrival.host) {
      this.#logger.warn("session not resumed, starting a new one: it belongs to someone else", {
        resume: arrival.resume,
        owner: `${entry.info.user}@${entry.info.host}`,
        caller: `${arrival.user}@${arrival.host}`,
      });
      return undefined;
    }
    return entry;
  }

  #require(id: string): Entry {
    const entry = this.#entries.get(id);
    if (entry) return entry;
    throw new TpxError("cluster", `Session "${id}" is not known: it ended or its lease expired`, {
      code: "session_unknown",
      hint: 'reconnect with "tpx quit" and "tpx connect"',
    });
  }
}
