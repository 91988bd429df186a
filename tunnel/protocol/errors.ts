/**
 * The project's one error vocabulary. Every side (CLI, daemon, manager, agent) throws
 * {@link TpxError}s, and errors cross the wire as {@link WireError}.
 *
 * @module
 */

/** Who has to act on an error: the user, their configuration, the cluster, or us. */
export const ErrorCategory = {
  User: "user",
  Config: "config",
  Cluster: "cluster",
  Internal: "internal",
} as const;
export type ErrorCategory = typeof ErrorCategory[keyof typeof ErrorCategory];

/** The longest `code` a {@link WireError} carries, in UTF-16 code units. */
export const MAX_ERROR_CODE_LENGTH = 64;

/** The longest `message` or `hint` a {@link WireError} carries, in UTF-16 code units. */
export const MAX_ERROR_TEXT_LENGTH = 4096;

/**
 * The shape in which an error travels between processes. Its texts are cut to the limits above
 * so that a long message (a Kubernetes API error, say) never makes the receiver reject it.
 */
export interface WireError {
  code: string;
  category: ErrorCategory;
  message: string;
  retryable: boolean;
  hint?: string;
}

/** Options of {@link TpxError}. */
export interface TpxErrorOptions {
  /** A stable machine-readable code, such as `intercept_conflict`. */
  code?: string;
  /** What the reader can do about it, such as `run "tpx list -n shop"`. */
  hint?: string;
  /** Whether repeating the same call later may succeed. */
  retryable?: boolean;
  cause?: unknown;
}

/**
 * The base of every error tpx raises on purpose.
 *
 * @example
 * ```ts
 * throw new TpxError("user", 'Cannot intercept "web": deployment has no port 8080', {
 *   hint: 'run "tpx list -n shop"',
 * });
 * ```
 */
export class TpxError extends Error {
  readonly category: ErrorCategory;
  readonly code: string;
  readonly hint: string | undefined;
  readonly retryable: boolean;

  constructor(category: ErrorCategory, message: string, options: TpxErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TpxError";
    this.category = category;
    this.code = options.code ?? category;
    this.hint = options.hint;
    this.retryable = options.retryable ?? false;
  }

  /**
   * The error as it crosses a process boundary.
   *
   * @returns a plain object that JSON can carry
   */
  toWire(): WireError {
    const wire: WireError = {
      code: cut(this.code, MAX_ERROR_CODE_LENGTH),
      category: this.category,
      message: cut(this.message, MAX_ERROR_TEXT_LENGTH),
      retryable: this.retryable,
    };
    if (this.hint !== undefined) wire.hint = cut(this.hint, MAX_ERROR_TEXT_LENGTH);
    return wire;
  }

  /**
   * Rebuilds an error received from another process.
   *
   * @param wire the error as it was received
   * @returns the same error, thrown-able on this side
   */
  static fromWire(wire: WireError): TpxError {
    const options: TpxErrorOptions = { code: wire.code, retryable: wire.retryable };
    if (wire.hint !== undefined) options.hint = wire.hint;
    return new TpxError(wire.category, wire.message, options);
  }
}

/**
 * Any error as a {@link WireError}; errors that are not a {@link TpxError} are internal.
 *
 * @param error whatever was caught
 * @returns its wire form
 */
export function toWireError(error: unknown): WireError {
  if (error instanceof TpxError) return error.toWire();
  const message = cut(
    error instanceof Error ? error.message : String(error),
    MAX_ERROR_TEXT_LENGTH,
  );
  return { code: "internal", category: ErrorCategory.Internal, message, retryable: false };
}

/** `text` cut to `max` UTF-16 code units, never between the two halves of a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/**
 * Malformed input from a peer. The connection to that peer is closed with a go-away that
 * carries {@link ProtocolError.message}; the process goes on.
 */
export class ProtocolError extends TpxError {
  constructor(message: string) {
    super(ErrorCategory.Internal, message, { code: "protocol_error" });
    this.name = "ProtocolError";
  }
}
