/**
 * What request and response heads share: finding the empty line that ends a head, and reading
 * its header field lines (RFC 9112 §2 and §5). Bare LF line endings are accepted, as most
 * servers do, but obsolete line folding and stray CRs are not.
 *
 * @module
 */
import { HttpHeaders } from "./http_headers.ts";

/** The largest head (start line, fields and the empty line) that is parsed. */
export const MAX_HEAD_BYTES = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;

/** `tchar` of RFC 9110 §5.6.2, the characters of methods and field names, by char code. */
const TCHAR = (() => {
  const table = new Uint8Array(128);
  const symbols = "!#$%&'*+-.^_`|~";
  for (let c = 0; c < 128; c++) {
    const isAlnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a);
    if (isAlnum || symbols.includes(String.fromCharCode(c))) table[c] = 1;
  }
  return table;
})();

/**
 * Whether a char code may appear in a token (a method or a field name).
 *
 * @param code a byte or UTF-16 code unit
 * @returns true for `tchar`
 */
export function isTokenChar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

/**
 * Where the start line begins: past the empty lines a client may send between requests,
 * which RFC 9112 §2.2 tells servers to ignore.
 *
 * @param bytes the bytes received so far
 * @returns the index of the first byte that is not CR or LF
 */
export function skipEmptyLines(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length && (bytes[i] === CR || bytes[i] === LF)) i++;
  return i;
}

/**
 * Finds the end of a head: the index just past its empty line (CRLF CRLF, or bare LFs).
 *
 * @param bytes the bytes received so far
 * @param from where to resume; scanning again from two bytes before the previous end of input
 *   is enough, so a head that trickles in is scanned once, not once per read
 * @returns the head's length, or -1 when its end has not arrived yet
 */
export function findHeadEnd(bytes: Uint8Array, from: number): number {
  let i = from;
  for (;;) {
    // indexOf is native: a head is crossed in one call per line, not a JS loop per byte.
    const lf = bytes.indexOf(LF, i);
    if (lf < 0) return -1;
    const next = bytes[lf + 1];
    if (next === LF) return lf + 2;
    if (next === CR && bytes[lf + 2] === LF) return lf + 3;
    if (next === undefined || (next === CR && lf + 2 >= bytes.length)) return -1;
    i = lf + 1;
  }
}

/**
 * The end of the line that starts at `from`, without its CR.
 *
 * @param text the decoded head
 * @param from where the line starts
 * @returns `[contentEnd, nextLineStart]`, or undefined when the line has no LF yet
 */
export function lineAt(text: string, from: number): [number, number] | undefined {
  const lf = text.indexOf("\n", from);
  if (lf < 0) return undefined;
  const end = lf > from && text.charCodeAt(lf - 1) === CR ? lf - 1 : lf;
  return [end, lf + 1];
}

/**
 * Reads the field lines of a head up to its empty line.
 *
 * @param text the decoded head, ending with its empty line
 * @param from where the first field line starts
 * @returns the fields, or the reason they are malformed
 */
export function parseFieldLines(text: string, from: number): HttpHeaders | string {
  const headers = new HttpHeaders();
  let i = from;
  for (;;) {
    const line = lineAt(text, i);
    if (!line) return "the head does not end with an empty line";
    const [end, next] = line;
    if (end === i) return headers;
    const first = text.charCodeAt(i);
    if (first === SP || first === HT) return "obsolete line folding";
    const colon = text.indexOf(":", i);
    if (colon < 0 || colon > end) return "a header line without a colon";
    if (colon === i) return "an empty header name";
    for (let c = i; c < colon; c++) {
      if (!isTokenChar(text.charCodeAt(c))) return "an invalid character in a header name";
    }
    let valueStart = colon + 1;
    let valueEnd = end;
    while (valueStart < valueEnd && isWhitespace(text.charCodeAt(valueStart))) valueStart++;
    while (valueEnd > valueStart && isWhitespace(text.charCodeAt(valueEnd - 1))) valueEnd--;
    const cr = text.indexOf("\r", valueStart);
    // A CR inside a value is how request smuggling splits lines differently for two parsers.
    if (cr >= 0 && cr < valueEnd) return "a bare CR in a header value";
    headers.append(text.slice(i, colon), text.slice(valueStart, valueEnd));
    i = next;
  }
}

function isWhitespace(code: number): boolean {
  return code === SP || code === HT;
}

/** Decodes heads; invalid UTF-8 becomes U+FFFD rather than failing. */
export const headDecoder: TextDecoder = new TextDecoder();
