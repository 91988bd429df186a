/**
 * A raw HTTP/1.1 client over one loopback connection, for router tests that must control the
 * bytes and the connection. Nothing outside this folder's `*_test.ts` files imports this.
 *
 * @module
 */
import { closeQuietly } from "../../../tunnel/relay.ts";
import { bytes, ScriptedConn, text } from "./_test_conns.ts";
import { responseBodyFraming } from "./body_framing.ts";
import { BufferedConn, readHead } from "./buffered_conn.ts";
import type { HttpHeaders } from "./http_headers.ts";
import { copyMessage } from "./message_body.ts";
import { parseResponseHead } from "./response_head.ts";

/** A response as a test looks at it. */
export interface TestResponse {
  status: number;
  headers: HttpHeaders;
  body: string;
}

/** One client connection. */
export class RawClient implements Disposable {
  readonly #tcp: Deno.TcpConn;
  readonly #conn: BufferedConn;

  private constructor(tcp: Deno.TcpConn) {
    this.#tcp = tcp;
    this.#conn = new BufferedConn(tcp);
  }

  /**
   * Connects to a loopback port.
   *
   * @param port where
   * @returns the client
   */
  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Sends bytes as they are. */
  async send(data: string | Uint8Array): Promise<void> {
    await this.#conn.write(typeof data === "string" ? bytes(data) : data);
  }

  /** Ends the sending side. */
  async closeWrite(): Promise<void> {
    await this.#conn.closeWrite();
  }

  /**
   * Reads one response (an interim one counts as one).
   *
   * @param method the request's method, which decides whether a body follows
   * @returns the response
   */
  async response(method = "GET"): Promise<TestResponse> {
    const result = await readHead(this.#conn, parseResponseHead);
    if (result?.kind !== "parsed") throw new Error(`no response: ${JSON.stringify(result)}`);
    const { head, headLength } = result;
    this.#conn.consume(headLength);
    const framing = responseBodyFraming(method, head.status, head.headers);
    if (typeof framing === "string") throw new Error(framing);
    const sink = new ScriptedConn();
    await copyMessage(this.#conn, new BufferedConn(sink), framing);
    return { status: head.status, headers: head.headers, body: text(sink.written) };
  }

  /** Sends a request and reads its response. */
  async request(head: string, body = ""): Promise<TestResponse> {
    await this.send(head + body);
    return await this.response(head.slice(0, head.indexOf(" ")));
  }

  /** Everything until the server ends the connection. */
  async readToEnd(): Promise<string> {
    let all = "";
    for (let view = await this.#conn.next(); view !== null; view = await this.#conn.next()) {
      all += text(view);
      this.#conn.consume(view.length);
    }
    return all;
  }

  /** Whether the server ended the connection (or broke it), after reading what came before. */
  async closedByServer(): Promise<boolean> {
    try {
      await this.readToEnd();
      return true;
    } catch (error) {
      return error instanceof Deno.errors.ConnectionReset;
    }
  }

  [Symbol.dispose](): void {
    closeQuietly(this.#tcp);
  }
}

/**
 * A request head.
 *
 * @param method the method
 * @param target the target
 * @param fields header lines such as `X-Dev: ann`
 * @returns the head, with Host and the empty line
 */
export function requestHead(method: string, target: string, ...fields: string[]): string {
  return `${method} ${target} HTTP/1.1\r\nHost: shop\r\n${
    fields.map((f) => f + "\r\n").join("")
  }\r\n`;
}
