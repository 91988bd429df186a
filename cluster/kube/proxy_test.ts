import assert from "node:assert/strict";
import { connectWith, fakeApiServer, simpleKubeconfig, tempDir } from "./_test_fixtures.ts";
import { selfSignedCert } from "./_test_certs.ts";

/** An HTTP proxy on 127.0.0.1 that records the servers it was asked to reach. */
function httpProxy(): AsyncDisposable & { url: string; targets: string[] } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const targets: string[] = [];
  const conns = new Set<Deno.Conn>();
  async function serve(client: Deno.Conn): Promise<void> {
    conns.add(client);
    const buffer = new Uint8Array(8192);
    const n = await client.read(buffer) ?? 0;
    const head = new TextDecoder().decode(buffer.subarray(0, n));
    // CONNECT for https:// servers, an absolute-form request line for http:// ones.
    const line = /^(\S+) (\S+) /.exec(head);
    if (line === null) return;
    const connect = line[1] === "CONNECT";
    const target = connect ? line[2] ?? "" : new URL(line[2] ?? "").host;
    targets.push(target);
    const [hostname, port] = target.split(":");
    if (hostname !== "127.0.0.1") throw new Error(`refusing to reach ${target}`);
    const upstream = await Deno.connect({ hostname, port: Number(port) });
    conns.add(upstream);
    if (connect) {
      await client.write(new TextEncoder().encode("HTTP/1.1 200 Connection established\r\n\r\n"));
    } else {
      await upstream.write(buffer.subarray(0, n));
    }
    await Promise.all([
      client.readable.pipeTo(upstream.writable),
      upstream.readable.pipeTo(client.writable),
    ]).catch(() => {});
  }
  const accepting = (async () => {
    for await (const client of listener) serve(client).catch(() => {});
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    targets,
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch (error) {
          if (!(error instanceof Deno.errors.BadResource)) throw error;
        }
      }
      await accepting;
    },
  };
}

Deno.test("connectKube() reaches the server through the cluster's proxy-url", async () => {
  await using dir = await tempDir();
  await using server = fakeApiServer({ tokens: ["t"] });
  await using proxy = httpProxy();
  const cluster = { "proxy-url": proxy.url };
  const doc = simpleKubeconfig({ server: server.url, cluster, user: { token: "t" } });
  await using kube = await connectWith(dir.path, doc);
  assert.equal(await kube.checkReachable(5_000), "v1.31.2");
  assert.deepEqual(proxy.targets, [new URL(server.url).host]);
  assert.deepEqual(server.authorizations, ["Bearer t"]);
});

Deno.test("connectKube() tunnels to an https:// server through proxy-url with CONNECT", async () => {
  await using dir = await tempDir();
  const { cert, key } = await selfSignedCert(dir.path);
  await using server = fakeApiServer({ tokens: ["t"], tls: { cert, key } });
  await using proxy = httpProxy();
  const cluster = { "proxy-url": proxy.url, "certificate-authority-data": btoa(cert) };
  const doc = simpleKubeconfig({ server: server.url, cluster, user: { token: "t" } });
  await using kube = await connectWith(dir.path, doc);
  assert.equal(await kube.checkReachable(5_000), "v1.31.2");
  assert.deepEqual(proxy.targets, [new URL(server.url).host]);
});
