/**
 * The incremental HTTP/1.x response-head parser: what the agent reads back from the app or
 * from a developer's process before it passes the response on.
 *
 * @module
 */
import {
  findHeadEnd,
  headDecoder,
  lineAt,
  MAX_HEAD_BYTES,
  parseFieldLines,
} from "./head_syntax.ts";
import type { HttpHeaders } from "./http_headers.ts";

/** A parsed response head. */
export interface ResponseHead {
  readonly version: string;
  readonly status: number;
  readonly reason: string;
  readonly headers: HttpHeaders;
  /** Whether the server lets the connection carry another exchange after this one. */
  readonly keepAlive: boolean;
}

/** What the bytes received so far amount to. */
export type ResponseHeadParse =
  | { readonly kind: "incomplete" }
  | { readonly kind: "parsed"; readonly head: ResponseHead; readonly headLength: number }
  | { readonly kind: "too-large" }
  | { readonly kind: "malformed"; readonly reason: string };

const INCOMPLETE: ResponseHeadParse = { kind: "incomplete" };
const TOO_LARGE: ResponseHeadParse = { kind: "too-large" };

/**
 * Parses a response head from the bytes received so far.
 *
 * @param bytes the bytes received so far, starting where the head starts
 * @param scanned how many of these bytes an earlier call saw, so they are not scanned again
 * @returns the verdict, with the head and its length in bytes once complete
 * @example
 * ```ts
 * const result = parseResponseHead(new TextEncoder().encode("HTTP/1.1 204 No Content\r\n\r\n"));
 * if (result.kind === "parsed") result.head.status; // 204
 * ```
 */
export function parseResponseHead(bytes: Uint8Array, scanned = 0): ResponseHeadParse {
  const end = findHeadEnd(bytes, Math.max(0, scanned - 2));
  if (end < 0) {
    if (bytes.length >= 5 && !isHttpPrefix(bytes)) {
      return { kind: "malformed", reason: "not an HTTP/1 status line" };
    }
    return bytes.length >= MAX_HEAD_BYTES ? TOO_LARGE : INCOMPLETE;
  }
  if (end > MAX_HEAD_BYTES) return TOO_LARGE;
  const text = headDecoder.decode(bytes.subarray(0, end));
  const [lineEnd, next] = lineAt(text, 0)!;
  // `HTTP/1.1 200 OK`: the version, a space, three digits, then a space and a reason or nothing.
  const version = text.slice(0, 8);
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
    return { kind: "malformed", reason: "not an HTTP/1 status line" };
  }
  const status = statusCode(text);
  if (status < 100 || (lineEnd !== 12 && text.charCodeAt(12) !== 0x20)) {
    return { kind: "malformed", reason: "an invalid status code" };
  }
  const headers = parseFieldLines(text, next);
  if (typeof headers === "string") return { kind: "malformed", reason: headers };
  const connection = headers.has("connection");
  const head: ResponseHead = {
    version,
    status,
    reason: text.slice(13, lineEnd),
    headers,
    keepAlive: version === "HTTP/1.1"
      ? !(connection && headers.hasToken("connection", "close"))
      : connection && headers.hasToken("connection", "keep-alive"),
  };
  return { kind: "parsed", head, headLength: end };
}

/** The three digits after `HTTP/1.x `, or -1. */
function statusCode(text: string): number {
  if (text.charCodeAt(8) !== 0x20) return -1;
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (!(digit >= 0 && digit <= 9)) return -1;
    status = status * 10 + digit;
  }
  return status;
}

const HTTP_PREFIX = [0x48, 0x54, 0x54, 0x50, 0x2f]; // "HTTP/"

function isHttpPrefix(bytes: Uint8Array): boolean {
  for (let i = 0; i < HTTP_PREFIX.length; i++) if (bytes[i] !== HTTP_PREFIX[i]) return false;
  return true;
}
