/**
 * A hand-written HTTP/1.1 server for the router tests, standing for the app or for a
 * developer's local process. Nothing outside this folder's `*_test.ts` files imports this.
 *
 * @module
 */
import { closeQuietly } from "../../../tunnel/relay.ts";
import { bytes, ScriptedConn } from "./_test_conns.ts";
import { BufferedConn, readHead } from "./buffered_conn.ts";
import { copyMessage } from "./message_body.ts";
import { parseRequestHead, type RequestHead } from "./request_head.ts";

/** Options of {@link startTestServer}. */
export interface TestServerOptions {
  /** Close every connection at once, as a tunnel stream reset by the manager does. */
  drop?: boolean;
}

/** A server started by {@link startTestServer}. */
export interface TestServer extends AsyncDisposable {
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Bytes received by connections that were not HTTP, as text. */
  readonly raw: string[];
}

/**
 * Starts a hand-written HTTP/1.1 server, so every byte of framing is under the test's control.
 * Paths: `/echo` (the body back, framed as it came), `/chunked`, `/no-content`, `/ws` (101,
 * then echo), `/close`, `/until-close`, `/idle-close` (a keep-alive response, then a close as
 * when an idle timeout strikes), `/early` (413 before the body); anything else answers JSON
 * describing the request.
 * Bytes that are not a request are answered `raw:` and the bytes, once the client ends.
 *
 * @param name what the server calls itself in `X-Served-By`
 * @returns the server; dispose it to stop it
 */
export function startTestServer(name: string, options: TestServerOptions = {}): TestServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const raw: string[] = [];
  let connections = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      const id = ++connections;
      conns.add(conn);
      const serving = options.drop ? Promise.resolve() : serveTestConnection(conn, name, id, raw);
      const task = serving.catch(() => {
        // Clients that break off are what several tests are about; the test asserts on them.
      }).finally(() => {
        closeQuietly(conn);
        conns.delete(conn);
        tasks.delete(task);
      });
      tasks.add(task);
    }
  })();
  return {
    port: listener.addr.port,
    get connections() {
      return connections;
    },
    raw,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      for (const conn of conns) closeQuietly(conn);
      await Promise.all(tasks);
    },
  };
}

async function serveTestConnection(
  accepted: Deno.Conn,
  name: string,
  id: number,
  raw: string[],
): Promise<void> {
  const conn = new BufferedConn(accepted);
  for (;;) {
    const result = await readHead(conn, parseRequestHead);
    if (result === null && conn.length === 0) return;
    if (result?.kind !== "parsed") {
      let received = "";
      for (let view = await conn.next(); view !== null; view = await conn.next()) {
        received += new TextDecoder().decode(view);
        conn.consume(view.length);
      }
      raw.push(received);
      await conn.write(bytes("raw:" + received));
      return;
    }
    const { head, headLength } = result;
    conn.consume(headLength);
    if (head.headers.get("expect")?.toLowerCase() === "100-continue") {
      await conn.write(bytes("HTTP/1.1 100 Continue\r\n\r\n"));
    }
    if (!(await respond(conn, head, name, id))) return;
    if (!head.keepAlive) return;
  }
}

/** Answers one request; false when the connection must end. */
async function respond(conn: BufferedConn, head: RequestHead, name: string, id: number) {
  const served = `X-Served-By: ${name}\r\n`;
  if (head.path === "/echo") {
    const framing = head.body.kind === "chunked"
      ? "Transfer-Encoding: chunked"
      : `Content-Length: ${head.body.kind === "length" ? head.body.length : 0}`;
    await conn.write(bytes(`HTTP/1.1 200 OK\r\n${served}${framing}\r\n\r\n`));
    await copyMessage(conn, conn, head.body);
    return true;
  }
  if (head.path === "/early") {
    // Refuses the body before it came, as a server that checks the head alone does.
    await conn.write(bytes(`HTTP/1.1 413 Content Too Large\r\n${served}Content-Length: 0\r\n\r\n`));
    return false;
  }
  await copyMessage(conn, new BufferedConn(new ScriptedConn()), head.body);
  if (head.path === "/ws" && head.upgrade) {
    await conn.write(bytes(
      `HTTP/1.1 101 Switching Protocols\r\n${served}Upgrade: websocket\r\n` +
        "Connection: Upgrade\r\n\r\n",
    ));
    for (;;) {
      const view = await conn.next();
      if (view === null) return false;
      await conn.write(view);
      conn.consume(view.length);
    }
  }
  const reply = (status: string, headers: string, body = "") =>
    conn.write(bytes(`HTTP/1.1 ${status}\r\n${served}${headers}\r\n${body}`));
  switch (head.path) {
    case "/chunked":
      await reply(
        "200 OK",
        "Transfer-Encoding: chunked\r\n",
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
      );
      return true;
    case "/no-content":
      await reply("204 No Content", "");
      return true;
    case "/close":
      await reply("200 OK", "Connection: close\r\nContent-Length: 3\r\n", "bye");
      return false;
    case "/until-close":
      await reply("200 OK", "", "streamed until close");
      return false;
  }
  const keep = head.path !== "/idle-close";
  const json = JSON.stringify({ server: name, conn: id, method: head.method, target: head.target });
  const length = bytes(json).length;
  await reply(
    "200 OK",
    `Content-Type: application/json\r\nContent-Length: ${length}\r\n`,
    head.method === "HEAD" ? "" : json,
  );
  return keep;
}
