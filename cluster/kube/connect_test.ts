import assert from "node:assert/strict";
import { join } from "node:path";
import {
  closedPort,
  connectWith,
  countingPlugin,
  fakeApiServer,
  simpleKubeconfig,
  tempDir,
  writeKubeconfig,
} from "./_test_fixtures.ts";
import { KubeApiError } from "./api_errors.ts";
import { connectKube } from "./connect.ts";

const V1BETA1 = "client.authentication.k8s.io/v1beta1";

Deno.test("connectKube() sends the kubeconfig's bearer token", async () => {
  await using dir = await tempDir();
  await using server = fakeApiServer({ tokens: ["s3cret"] });
  const doc = simpleKubeconfig({ server: server.url, user: { token: "s3cret" } });
  await using kube = await connectKube({
    env: { KUBECONFIG: await writeKubeconfig(dir.path, "c", doc) },
  });
  assert.equal(await kube.version(), "v1.31.2");
  assert.deepEqual(server.authorizations, ["Bearer s3cret"]);
});

Deno.test("connectKube() reads tokenFile relative to the kubeconfig, without its newline", async () => {
  await using dir = await tempDir();
  await using server = fakeApiServer({ tokens: ["from-file"] });
  await Deno.writeTextFile(join(dir.path, "token"), "from-file\n");
  const doc = simpleKubeconfig({ server: server.url, user: { tokenFile: "token" } });
  await using kube = await connectWith(dir.path, doc);
  assert.equal(await kube.checkReachable(5_000), "v1.31.2");
  assert.deepEqual(server.authorizations, ["Bearer from-file"]);
});

Deno.test("connectKube() runs the exec plugin again after a 401 and keeps the new token", async () => {
  await using dir = await tempDir();
  await using server = fakeApiServer({ tokens: ["token-2"] });
  const plugin = await countingPlugin(dir.path, "plugin", V1BETA1);
  const exec = { apiVersion: V1BETA1, command: "./plugin", args: ["--cluster", "dev"] };
  const doc = simpleKubeconfig({ server: server.url, user: { exec } });
  await using kube = await connectWith(dir.path, doc);
  assert.equal(kube.config.auth, "exec");

  assert.equal(await kube.version(), "v1.31.2");
  assert.equal(await kube.version(), "v1.31.2");
  assert.equal(await plugin.runs(), 2);
  assert.deepEqual(server.authorizations, ["Bearer token-1", "Bearer token-2", "Bearer token-2"]);
});

Deno.test("connectKube() reports rejected credentials when the re-run plugin's token fails too", async () => {
  await using dir = await tempDir();
  await using server = fakeApiServer({ tokens: [] });
  const plugin = await countingPlugin(dir.path, "plugin", V1BETA1);
  const doc = simpleKubeconfig({
    server: server.url,
    user: { exec: { apiVersion: V1BETA1, command: plugin.path } },
  });
  await using kube = await connectWith(dir.path, doc);
  await assert.rejects(() => kube.checkReachable(5_000), {
    category: "config",
    code: "credentials_rejected",
    message: `The cluster at "${server.url}" rejected the credentials of user "test"`,
    hint: 'log in again with the tool behind the credential plugin of user "test", and check ' +
      "that your identity is granted access to this cluster",
  });
  assert.equal(await plugin.runs(), 2);
});

Deno.test("connectKube() reports a rejected static token without retrying", async () => {
  await using dir = await tempDir();
  await using server = fakeApiServer({ tokens: ["right"] });
  const doc = simpleKubeconfig({ server: server.url, user: { token: "wrong" } });
  await using kube = await connectWith(dir.path, doc);
  await assert.rejects(() => kube.core().listNamespace(), {
    code: "credentials_rejected",
    hint:
      'the token of user "test" is expired or revoked; get a new one and put it in the kubeconfig',
  });
  assert.equal(server.authorizations.length, 1);
});

Deno.test("core() maps a 403 to the verb, resource, namespace and the user the server names", async () => {
  await using dir = await tempDir();
  await using server = fakeApiServer({ tokens: ["t"] });
  const doc = simpleKubeconfig({ server: server.url, user: { token: "t" } });
  await using kube = await connectWith(dir.path, doc);
  const error = await kube.core().listNamespacedPod({ namespace: "locked" }).catch((e) => e);
  assert.ok(error instanceof KubeApiError);
  assert.equal(error.status, 403);
  assert.equal(error.code, "rbac_forbidden");
  assert.equal(error.category, "cluster");
  assert.equal(
    error.message,
    'Not allowed to list "pods" in namespace "locked": ' +
      'the cluster says you are "system:serviceaccount:dev:jane"',
  );
  assert.equal(
    error.hint,
    'ask a cluster admin to grant "list" on "pods" in namespace "locked" to ' +
      '"system:serviceaccount:dev:jane"; "kubectl auth can-i list pods -n locked" checks it',
  );
});

Deno.test("core() turns a 404 into a KubeApiError a caller can test", async () => {
  await using dir = await tempDir();
  await using server = fakeApiServer({ tokens: ["t"] });
  const doc = simpleKubeconfig({ server: server.url, user: { token: "t" } });
  await using kube = await connectWith(dir.path, doc);
  const error = await kube.apps().readNamespacedDeployment({ name: "web", namespace: "shop" })
    .catch((e) => e);
  assert.ok(error instanceof KubeApiError);
  assert.equal(error.status, 404);
  assert.equal(error.code, "kube_not_found");
});

Deno.test("checkReachable() names the address when the connection is refused", async () => {
  await using dir = await tempDir();
  const url = `http://127.0.0.1:${closedPort()}`;
  const doc = simpleKubeconfig({ server: url, user: { token: "t" } });
  await using kube = await connectWith(dir.path, doc);
  await assert.rejects(() => kube.checkReachable(5_000), {
    category: "cluster",
    code: "cluster_unreachable",
    retryable: true,
    message: `Cannot reach the cluster at "${url}": connection refused`,
  });
});

Deno.test("checkReachable() says how long it waited for a server that never answers", async () => {
  await using dir = await tempDir();
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })().catch(() => {});
  const url = `http://127.0.0.1:${listener.addr.port}`;
  const doc = simpleKubeconfig({ server: url, user: { token: "t" } });
  await using kube = await connectWith(dir.path, doc);
  await assert.rejects(() => kube.checkReachable(200), {
    code: "cluster_unreachable",
    message: `Cannot reach the cluster at "${url}": no answer after 0.2 s`,
  });
  listener.close();
  for (const conn of accepted) conn.close();
  await accepting;
});

Deno.test("checkReachable() gives up on a server that stalls after the response headers", async () => {
  await using dir = await tempDir();
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      accepted.push(conn);
      const head =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{";
      await conn.write(new TextEncoder().encode(head));
    }
  })().catch(() => {});
  const url = `http://127.0.0.1:${listener.addr.port}`;
  const doc = simpleKubeconfig({ server: url, user: { token: "t" } });
  await using kube = await connectWith(dir.path, doc);
  await assert.rejects(() => kube.checkReachable(200), {
    message: `Cannot reach the cluster at "${url}": no answer after 0.2 s`,
  });
  await kube.close();
  listener.close();
  for (const conn of accepted) conn.close();
  await accepting;
});

Deno.test("connectKube() reads a rotated tokenFile again after a 401", async () => {
  await using dir = await tempDir();
  await using server = fakeApiServer({ tokens: ["rotated"] });
  const tokenPath = join(dir.path, "token");
  await Deno.writeTextFile(tokenPath, "stale");
  const doc = simpleKubeconfig({ server: server.url, user: { tokenFile: tokenPath } });
  await using kube = await connectWith(dir.path, doc);
  await assert.rejects(() => kube.version(), { code: "credentials_rejected" });
  await Deno.writeTextFile(tokenPath, "rotated");
  assert.equal(await kube.version(), "v1.31.2");
  // The first call tries the file twice; the second finds its cached token refused, and the
  // retry reads the file again.
  assert.deepEqual(server.authorizations, [
    "Bearer stale",
    "Bearer stale",
    "Bearer stale",
    "Bearer rotated",
  ]);
});
