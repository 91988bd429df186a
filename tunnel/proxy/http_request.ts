/**
 * The HTTP side of the proxy: what a request head asks for — a `CONNECT host:port` tunnel, or
 * an absolute-form request (`GET http://host/path`) to forward — and the head to send on for
 * the latter. Parsing only; the server does the I/O.
 *
 * @module
 */
import { isValidHostName } from "./socks5.ts";

/** How the body of a forwarded request ends (RFC 9112 §6.3). */
export type BodyLength =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" };

/** What a request head asks the proxy to do. */
export type ProxyRequest =
  | { kind: "connect"; host: string; port: number }
  | {
    kind: "forward";
    host: string;
    port: number;
    /** The head to send to the origin server: origin-form, hop-by-hop fields dropped. */
    head: Uint8Array;
    body: BodyLength;
  };

/** A request the proxy answers itself, with `status`. */
export class HttpRequestError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "HttpRequestError";
    this.status = status;
  }
}

/**
 * Fields that concern one connection, not the request (RFC 9110 §7.6.1), plus the ones the
 * proxy sets itself. `Proxy-Authorization` is dropped so credentials meant for a proxy never
 * reach a server.
 */
const HOP_BY_HOP = new Set([
  "connection",
  "proxy-connection",
  "keep-alive",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "upgrade",
  "host",
]);

/**
 * Reads a request head.
 *
 * @param head the bytes up to and including the empty line
 * @returns what the client asks for
 * @throws {HttpRequestError} 400 for a malformed head, 501 for a scheme other than `http`,
 *   505 for a version other than HTTP/1.x
 */
export function parseProxyRequest(head: Uint8Array): ProxyRequest {
  // latin1 keeps every byte as one character, so nothing is lost or merged while parsing.
  const lines = new TextDecoder("latin1").decode(head).split(/\r?\n/);
  const [method, target, version, extra] = (lines[0] ?? "").split(" ");
  if (!method || !target || !version || extra !== undefined || !/^[A-Z]+$/.test(method)) {
    throw new HttpRequestError(400, "Malformed request line");
  }
  if (!/^HTTP\/1\.[01]$/.test(version)) {
    throw new HttpRequestError(505, `Version ${JSON.stringify(version)} is not supported`);
  }
  const fields = parseFields(lines.slice(1));
  if (method === "CONNECT") return { kind: "connect", ...parseAuthority(target, null) };
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(target)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    throw new HttpRequestError(400, "This is a proxy: send an absolute URL or CONNECT");
  }
  if (scheme !== "http") {
    throw new HttpRequestError(501, `Scheme "${scheme}" is not supported: use CONNECT`);
  }
  const rest = target.slice(scheme.length + 3);
  const pathStart = rest.search(/[/?#]/);
  const authority = pathStart < 0 ? rest : rest.slice(0, pathStart);
  let path = pathStart < 0 ? "/" : rest.slice(pathStart).replace(/#.*$/, "");
  if (path.startsWith("?")) path = `/${path}`;
  if (path === "") path = "/";
  // Credentials in the URL are for the origin's own auth schemes; a proxy drops them.
  const hostPort = authority.slice(authority.lastIndexOf("@") + 1);
  const { host, port } = parseAuthority(hostPort, 80);
  return {
    kind: "forward",
    host,
    port,
    head: originHead(method, path, version, hostPort, fields),
    body: bodyLength(fields),
  };
}

type Field = [name: string, value: string];

function parseFields(lines: string[]): Field[] {
  const fields: Field[] = [];
  for (const line of lines) {
    if (line === "") continue;
    // Obsolete line folding and whitespace before the colon are both refused (RFC 9112 §5).
    const match = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!match) throw new HttpRequestError(400, "Malformed header field");
    fields.push([match[1]!, match[2]!]);
  }
  return fields;
}

/**
 * `host:port` or `[v6]:port`; `defaultPort` when the port may be left out.
 */
function parseAuthority(authority: string, defaultPort: number | null): {
  host: string;
  port: number;
} {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(authority);
  const host = match?.[1] ?? match?.[2];
  const portText = match?.[3];
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!host || !isValidHostName(host) || port === null || port < 1 || port > 65535) {
    throw new HttpRequestError(400, `Malformed target "${authority}"`);
  }
  return { host, port };
}

function bodyLength(fields: Field[]): BodyLength {
  const values = (name: string) =>
    fields.filter(([n]) => n.toLowerCase() === name).flatMap(([, v]) => v.split(","))
      .map((v) => v.trim().toLowerCase()).filter((v) => v !== "");
  const codings = values("transfer-encoding");
  const lengths = values("content-length");
  // Both at once is how requests are smuggled past a proxy (RFC 9112 §6.3): refuse.
  if (codings.length > 0 && lengths.length > 0) {
    throw new HttpRequestError(400, "Both Transfer-Encoding and Content-Length");
  }
  if (codings.length > 0) {
    if (codings.at(-1) !== "chunked") {
      throw new HttpRequestError(400, "Transfer-Encoding does not end in chunked");
    }
    return { kind: "chunked" };
  }
  if (lengths.length === 0) return { kind: "none" };
  if (!lengths.every((v) => v === lengths[0] && /^\d{1,15}$/.test(v))) {
    throw new HttpRequestError(400, "Malformed Content-Length");
  }
  const length = Number(lengths[0]);
  return length === 0 ? { kind: "none" } : { kind: "length", length };
}

function originHead(
  method: string,
  path: string,
  version: string,
  hostPort: string,
  fields: Field[],
): Uint8Array {
  const named = new Set(
    fields.filter(([n]) => n.toLowerCase() === "connection")
      .flatMap(([, v]) => v.split(",").map((t) => t.trim().toLowerCase())),
  );
  // The request target's authority replaces any Host field (RFC 9112 §3.2.2), and the
  // connection carries this one request only.
  const lines = [`${method} ${path} ${version}`, `Host: ${hostPort}`];
  for (const [name, value] of fields) {
    const lower = name.toLowerCase();
    if (!HOP_BY_HOP.has(lower) && !named.has(lower)) lines.push(`${name}: ${value}`);
  }
  lines.push("Connection: close", "", "");
  const text = lines.join("\r\n");
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * A complete response the proxy sends itself, for a failure.
 *
 * @param status the status code
 * @param message the plain-text body, one line
 * @returns the bytes to send
 */
export function encodeProxyResponse(status: number, message: string): Uint8Array {
  const body = new TextEncoder().encode(`${message}\n`);
  const head = `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\n` +
    `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n` +
    `Connection: close\r\n\r\n`;
  const headBytes = new TextEncoder().encode(head);
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes);
  out.set(body, headBytes.length);
  return out;
}

/** The answer to a CONNECT that reached its target. */
export const CONNECT_ESTABLISHED: Uint8Array = new TextEncoder().encode(
  "HTTP/1.1 200 Connection established\r\n\r\n",
);

const REASONS: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  431: "Request Header Fields Too Large",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};
