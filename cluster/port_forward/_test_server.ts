/**
 * A fake API server for this folder's tests: pod reads and lists from fixed objects, and the
 * `portforward` subresource speaking the v4 protocol in a chosen way.
 *
 * @module
 */

/** How the fake kubelet behaves on a port-forward. */
export type ForwardMode = "echo" | "refuse" | "silent" | "hangup";

/** Options of {@link fakeServer}. */
export interface FakeServerOptions {
  /** The bearer token the server accepts. */
  token: string;
  mode?: ForwardMode;
  /** Pods by name, returned by GET and by list (the label selector is ignored). */
  pods?: Record<string, unknown>;
}

/** A running fake server. */
export interface FakeServer extends AsyncDisposable {
  url: string;
  /** Authorization headers of the port-forward requests. */
  authorizations: (string | null)[];
  /** The ports asked for, in order. */
  ports: number[];
  /** Writes a kubeconfig for it, with a token user unless `user` is given; returns its path. */
  kubeconfig(user?: Record<string, unknown>): Promise<string>;
  /** A folder that is removed with the server. */
  dir: string;
}

const DATA = 0;
const ERROR = 1;

/**
 * Starts the server on a free loopback port.
 *
 * @param options token, kubelet behaviour, pods
 * @returns the server; dispose it to stop
 */
export function fakeServer(options: FakeServerOptions): FakeServer {
  const authorizations: (string | null)[] = [];
  const ports: number[] = [];
  const sockets = new Set<WebSocket>();
  const dir = Deno.makeTempDirSync();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const url = new URL(request.url);
    if (request.headers.get("authorization") !== `Bearer ${options.token}`) {
      return Response.json({ kind: "Status", code: 401, reason: "Unauthorized" }, { status: 401 });
    }
    const forward = url.pathname.match(/\/pods\/([^/]+)\/portforward$/);
    const known = forward && options.pods?.[forward[1]!] as { status?: { phase?: string } };
    if (forward && !known) return notFound(`pods "${forward[1]}" not found`);
    if (forward && known && known.status?.phase !== "Running") {
      return Response.json({ kind: "Status", code: 400, message: "pod is not running" }, {
        status: 400,
      });
    }
    if (forward && request.headers.get("upgrade") === "websocket") {
      authorizations.push(request.headers.get("authorization"));
      ports.push(Number(url.searchParams.get("ports")));
      const { socket, response } = Deno.upgradeWebSocket(request, {
        protocol: "v4.channel.k8s.io",
      });
      sockets.add(socket);
      socket.onclose = () => sockets.delete(socket);
      serveForward(socket, Number(url.searchParams.get("ports")), options.mode ?? "echo");
      return response;
    }
    if (forward) return notFound("the port-forward needs a WebSocket");
    const pod = url.pathname.match(/\/pods\/([^/]+)$/)?.[1];
    if (pod !== undefined) {
      const found = options.pods?.[pod];
      return found ? Response.json(found) : notFound(`pods "${pod}" not found`);
    }
    if (url.pathname.endsWith("/pods")) {
      return Response.json({ kind: "PodList", items: Object.values(options.pods ?? {}) });
    }
    return notFound(url.pathname);
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return {
    url: base,
    authorizations,
    ports,
    dir,
    async kubeconfig(user = { token: options.token }) {
      const path = `${dir}/config`;
      await Deno.writeTextFile(
        path,
        JSON.stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [{ name: "fake", cluster: { server: base } }],
          users: [{ name: "u", user }],
          contexts: [{ name: "fake", context: { cluster: "fake", user: "u" } }],
          "current-context": "fake",
        }),
      );
      return path;
    },
    async [Symbol.asyncDispose]() {
      for (const socket of sockets) socket.close();
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function notFound(message: string): Response {
  return Response.json({ kind: "Status", code: 404, reason: "NotFound", message }, {
    status: 404,
  });
}

function serveForward(socket: WebSocket, port: number, mode: ForwardMode): void {
  socket.binaryType = "arraybuffer";
  socket.onopen = () => {
    if (mode === "silent") return;
    socket.send(new Uint8Array([DATA, port & 0xff, port >> 8]));
    socket.send(new Uint8Array([ERROR, port & 0xff, port >> 8]));
    if (mode === "refuse") {
      const text = `error forwarding port ${port} to pod 0123abcd, uid : failed to connect to ` +
        `localhost:${port} inside namespace "x": dial tcp4 127.0.0.1:${port}: connect: connection refused`;
      socket.send(new Uint8Array([ERROR, ...new TextEncoder().encode(text)]));
      socket.close();
    }
    if (mode === "hangup") socket.close();
  };
  socket.onmessage = (event) => {
    const message = new Uint8Array(event.data as ArrayBuffer);
    if (mode === "echo" && message[0] === DATA) socket.send(message);
  };
}
