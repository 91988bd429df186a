/**
 * The incremental HTTP/1.1 request-head parser of the traffic-agent: from the bytes received so
 * far it tells whether a request head is complete, and whether they are HTTP at all.
 *
 * @module
 */
import { type BodyFraming, requestBodyFraming } from "./body_framing.ts";
import {
  findHeadEnd,
  headDecoder,
  isTokenChar,
  lineAt,
  MAX_HEAD_BYTES,
  parseFieldLines,
  skipEmptyLines,
} from "./head_syntax.ts";
import type { HttpHeaders } from "./http_headers.ts";

/** A parsed request head. */
export interface RequestHead {
  readonly method: string;
  /** The request target as sent: path and query, or an absolute URL, `*`, or `host:port`. */
  readonly target: string;
  /** The target without its query (and without scheme and authority in absolute form). */
  readonly path: string;
  /** The query without its `?`; empty when there is none. */
  readonly query: string;
  readonly version: "HTTP/1.1" | "HTTP/1.0";
  readonly headers: HttpHeaders;
  readonly body: BodyFraming;
  /** `Connection: upgrade` with an `Upgrade` field, such as a WebSocket handshake. */
  readonly upgrade: boolean;
  /** Whether the client lets the connection carry another request after this one. */
  readonly keepAlive: boolean;
}

/** What the bytes received so far amount to. */
export type RequestHeadParse =
  | { readonly kind: "incomplete" }
  | { readonly kind: "parsed"; readonly head: RequestHead; readonly headLength: number }
  /** The first bytes are not an HTTP/1 request line (TLS, HTTP/2, another protocol). */
  | { readonly kind: "not-http" }
  /** No end of head within {@link MAX_HEAD_BYTES}. */
  | { readonly kind: "too-large" }
  | { readonly kind: "malformed"; readonly reason: string };

const INCOMPLETE: RequestHeadParse = { kind: "incomplete" };
const NOT_HTTP: RequestHeadParse = { kind: "not-http" };
const TOO_LARGE: RequestHeadParse = { kind: "too-large" };

/** Longer than any registered method; a longer first word is not a method. */
const MAX_METHOD_LENGTH = 32;
const LF = 0x0a;
const SP = 0x20;

/**
 * Parses a request head from the bytes received so far. Call it again with more bytes while it
 * answers `incomplete`; empty lines before the request line are skipped and counted in
 * `headLength`.
 *
 * @param bytes the bytes received so far, starting where the head starts
 * @param scanned how many of these bytes an earlier call saw, so they are not scanned again
 * @returns the verdict, with the head and its length in bytes once complete
 * @example
 * ```ts
 * const result = parseRequestHead(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
 * if (result.kind === "parsed") result.head.headers.get("host"); // "a"
 * ```
 */
export function parseRequestHead(bytes: Uint8Array, scanned = 0): RequestHeadParse {
  const start = skipEmptyLines(bytes);
  const end = findHeadEnd(bytes, Math.max(start, scanned - 2));
  if (end < 0) return incompleteVerdict(bytes, start);
  if (end > MAX_HEAD_BYTES) return TOO_LARGE;
  const text = headDecoder.decode(bytes.subarray(start, end));
  const line = lineAt(text, 0)!;
  const requestLine = parseRequestLine(text, line[0]);
  if ("kind" in requestLine) return requestLine;
  const headers = parseFieldLines(text, line[1]);
  if (typeof headers === "string") return { kind: "malformed", reason: headers };
  const body = requestBodyFraming(headers);
  if (typeof body === "string") return { kind: "malformed", reason: body };
  const { method, target, version } = requestLine;
  const [path, query] = splitTarget(target);
  const connection = headers.has("connection");
  const head: RequestHead = {
    method,
    target,
    path,
    query,
    version,
    headers,
    body,
    upgrade: connection && headers.hasToken("connection", "upgrade") && headers.has("upgrade"),
    keepAlive: version === "HTTP/1.1"
      ? !(connection && headers.hasToken("connection", "close"))
      : connection && headers.hasToken("connection", "keep-alive"),
  };
  return { kind: "parsed", head, headLength: end };
}

/** Waiting for more is only right while the bytes could still become a request head. */
function incompleteVerdict(bytes: Uint8Array, start: number): RequestHeadParse {
  if (!couldBeMethod(bytes, start)) return NOT_HTTP;
  const lf = bytes.indexOf(LF, start);
  if (lf >= 0) {
    // A complete first line is judged at once, so a line-based protocol is not kept waiting
    // for an empty line that will never come.
    const text = headDecoder.decode(bytes.subarray(start, lf + 1));
    const requestLine = parseRequestLine(text, lineAt(text, 0)![0]);
    if ("kind" in requestLine) return requestLine;
  }
  return bytes.length >= MAX_HEAD_BYTES ? TOO_LARGE : INCOMPLETE;
}

/** Whether the bytes from `start` are, or could still grow into, a method and a space. */
function couldBeMethod(bytes: Uint8Array, start: number): boolean {
  const limit = Math.min(bytes.length, start + MAX_METHOD_LENGTH + 1);
  for (let i = start; i < limit; i++) {
    const b = bytes[i]!;
    if (b === SP) return i > start;
    if (!isTokenChar(b)) return false;
  }
  return limit - start <= MAX_METHOD_LENGTH;
}

interface RequestLine {
  method: string;
  target: string;
  version: "HTTP/1.1" | "HTTP/1.0";
}

/** Parses `method SP target SP version` from the start of `text` up to `lineEnd`. */
function parseRequestLine(text: string, lineEnd: number): RequestLine | RequestHeadParse {
  const firstSpace = text.indexOf(" ");
  if (firstSpace <= 0 || firstSpace > lineEnd) return NOT_HTTP;
  for (let i = 0; i < firstSpace; i++) {
    if (!isTokenChar(text.charCodeAt(i))) return NOT_HTTP;
  }
  const lastSpace = text.lastIndexOf(" ", lineEnd - 1);
  const version = text.slice(lastSpace + 1, lineEnd);
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
    // HTTP/2's preface ("PRI * HTTP/2.0") and other protocols are not ours to parse.
    return version.startsWith("HTTP/1.")
      ? { kind: "malformed", reason: `an unsupported version "${version}"` }
      : NOT_HTTP;
  }
  if (lastSpace === firstSpace) return { kind: "malformed", reason: "no request target" };
  for (let i = firstSpace + 1; i < lastSpace; i++) {
    const c = text.charCodeAt(i);
    if (c <= SP || c === 0x7f) {
      return { kind: "malformed", reason: "a space or control character in the target" };
    }
  }
  return {
    method: text.slice(0, firstSpace),
    target: text.slice(firstSpace + 1, lastSpace),
    version,
  };
}

/** `[path, query]` of a request target. */
function splitTarget(target: string): [string, string] {
  let pathStart = 0;
  if (target.charCodeAt(0) !== 0x2f) {
    // Absolute form, as sent to proxies: the path starts after scheme://authority.
    const scheme = target.indexOf("://");
    if (scheme > 0) {
      const slash = target.indexOf("/", scheme + 3);
      pathStart = slash < 0 ? target.length : slash;
    }
  }
  const question = target.indexOf("?", pathStart);
  if (question < 0) return [target.slice(pathStart) || "/", ""];
  return [target.slice(pathStart, question) || "/", target.slice(question + 1)];
}
