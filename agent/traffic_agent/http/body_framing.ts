/**
 * How long a message body is, decided from its head by the rules of RFC 9112 §6.
 *
 * @module
 */
import type { HttpHeaders } from "./http_headers.ts";

/** How a message's body is delimited. */
export type BodyFraming =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" }
  /** A response that ends when the server closes the connection. */
  | { readonly kind: "until-close" }
  /** A response after which the connection carries another protocol (101, CONNECT 2xx). */
  | { readonly kind: "tunnel" };

// Shared instances: the common framings cost no allocation per message.
const NONE: BodyFraming = { kind: "none" };
const CHUNKED: BodyFraming = { kind: "chunked" };
const UNTIL_CLOSE: BodyFraming = { kind: "until-close" };
const TUNNEL: BodyFraming = { kind: "tunnel" };

/** More digits than this would lose precision as a number, and no real body is that long. */
const MAX_LENGTH_DIGITS = 15;

/**
 * The framing of a request body: chunked wins over Content-Length, no framing header means no
 * body.
 *
 * @param headers the request's header fields
 * @returns the framing, or the reason it is malformed (a transfer coding other than chunked
 *   last, an invalid or conflicting Content-Length, or both Transfer-Encoding and
 *   Content-Length)
 * @example
 * ```ts
 * requestBodyFraming(headers); // { kind: "length", length: 5 } for "Content-Length: 5"
 * ```
 */
export function requestBodyFraming(headers: HttpHeaders): BodyFraming | string {
  // Both framings at once is the shape of request smuggling (RFC 9112 §6.3): route nothing
  // by it, and let the app, which gets the bytes as they came, decide.
  if (headers.has("transfer-encoding") && headers.has("content-length")) {
    return "both Transfer-Encoding and Content-Length";
  }
  if (headers.has("transfer-encoding")) {
    return isChunked(headers) ? CHUNKED : "a transfer coding other than chunked";
  }
  return lengthFraming(headers) ?? NONE;
}

/**
 * The framing of a response body, which depends on the request too (RFC 9112 §6.3).
 *
 * @param method the request's method
 * @param status the response's status code
 * @param headers the response's header fields
 * @returns the framing, or the reason it is malformed
 */
export function responseBodyFraming(
  method: string,
  status: number,
  headers: HttpHeaders,
): BodyFraming | string {
  if (status === 101) return TUNNEL;
  if (method === "CONNECT" && status >= 200 && status < 300) return TUNNEL;
  if (method === "HEAD" || status < 200 || status === 204 || status === 304) return NONE;
  if (headers.has("transfer-encoding")) return isChunked(headers) ? CHUNKED : UNTIL_CLOSE;
  return lengthFraming(headers) ?? UNTIL_CLOSE;
}

/** Whether chunked is the final transfer coding, which is what delimits the body. */
function isChunked(headers: HttpHeaders): boolean {
  const values = headers.getAll("transfer-encoding");
  const last = values[values.length - 1] ?? "";
  const comma = last.lastIndexOf(",");
  return last.slice(comma + 1).trim().toLowerCase() === "chunked";
}

/** The Content-Length framing; undefined without the field. */
function lengthFraming(headers: HttpHeaders): BodyFraming | string | undefined {
  const values = headers.getAll("content-length");
  if (values.length === 0) return undefined;
  let length: number | undefined;
  // "5, 5" and repeated equal fields are one length (RFC 9110 §8.6); anything else is refused.
  for (const value of values) {
    for (const element of value.split(",")) {
      const parsed = parseLength(element.trim());
      if (parsed === undefined) return "an invalid Content-Length";
      if (length !== undefined && parsed !== length) return "conflicting Content-Length values";
      length = parsed;
    }
  }
  return length === 0 || length === undefined ? NONE : { kind: "length", length };
}

function parseLength(text: string): number | undefined {
  if (text.length === 0 || text.length > MAX_LENGTH_DIGITS) return undefined;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    n = n * 10 + digit;
  }
  return n;
}
