import assert from "node:assert/strict";
import https from "node:https";
import type { TLSSocket } from "node:tls";
import {
  connectWith,
  fakeApiServer,
  simpleKubeconfig,
  tempDir,
  writeScript,
} from "./_test_fixtures.ts";
import { certificateAuthority, issueCertificate, selfSignedCert } from "./_test_certs.ts";

const LAST_RESORT_HINT = `put the cluster's CA in "certificate-authority-data" of cluster "test" ` +
  `(refreshing the kubeconfig from your provider does that); ` +
  `"insecure-skip-tls-verify: true" only as a last resort`;

function base64(text: string): string {
  return btoa(text);
}

Deno.test("checkReachable() explains a server certificate from an unknown authority", async () => {
  await using dir = await tempDir();
  const { cert, key } = await selfSignedCert(dir.path);
  await using server = fakeApiServer({ tokens: ["t"], tls: { cert, key } });
  const doc = simpleKubeconfig({ server: server.url, user: { token: "t" } });
  await using kube = await connectWith(dir.path, doc);
  await assert.rejects(() => kube.checkReachable(5_000), {
    category: "cluster",
    code: "cluster_certificate_unknown_authority",
    message:
      `Cannot trust the cluster at "${server.url}": its certificate is signed by an unknown authority`,
    hint: LAST_RESORT_HINT,
  });
});

Deno.test("connectKube() trusts certificate-authority-data, and insecure-skip-tls-verify", async () => {
  await using dir = await tempDir();
  const { cert, key } = await selfSignedCert(dir.path);
  await using server = fakeApiServer({ tokens: ["t"], tls: { cert, key } });
  for (
    const cluster of [{ "certificate-authority-data": base64(cert) }, {
      "insecure-skip-tls-verify": true,
    }]
  ) {
    const doc = simpleKubeconfig({ server: server.url, cluster, user: { token: "t" } });
    await using kube = await connectWith(dir.path, doc);
    assert.equal(await kube.checkReachable(5_000), "v1.31.2");
  }
});

Deno.test("checkReachable() explains a certificate issued for another name, and tls-server-name fixes it", async () => {
  await using dir = await tempDir();
  const ca = await certificateAuthority(dir.path);
  const { cert, key } = await issueCertificate(dir.path, ca, "server", {
    subjectAltName: "DNS:kube.internal",
  });
  await using server = fakeApiServer({ tokens: ["t"], tls: { cert, key } });
  // A relative certificate-authority path is resolved against the kubeconfig's folder.
  const cluster = { "certificate-authority": "ca.pem" };
  const doc = simpleKubeconfig({ server: server.url, cluster, user: { token: "t" } });
  await using kube = await connectWith(dir.path, doc);
  await assert.rejects(() => kube.checkReachable(5_000), {
    code: "cluster_certificate_name_mismatch",
    message:
      `Cannot trust the cluster at "${server.url}": its certificate is not valid for "127.0.0.1"`,
    hint: 'use the server address the certificate was issued for, or set "tls-server-name" of ' +
      'cluster "test" to a name it lists',
  });

  const named = simpleKubeconfig({
    server: server.url,
    cluster: { ...cluster, "tls-server-name": "kube.internal" },
    user: { token: "t" },
  });
  await using fixed = await connectWith(dir.path, named);
  assert.equal(await fixed.checkReachable(5_000), "v1.31.2");
});

Deno.test("checkReachable() explains an expired server certificate", async () => {
  await using dir = await tempDir();
  const ca = await certificateAuthority(dir.path);
  const { cert, key } = await issueCertificate(dir.path, ca, "server", {
    subjectAltName: "IP:127.0.0.1",
    days: -1,
  });
  await using server = fakeApiServer({ tokens: ["t"], tls: { cert, key } });
  const cluster = { "certificate-authority": ca.caPath };
  const doc = simpleKubeconfig({ server: server.url, cluster, user: { token: "t" } });
  await using kube = await connectWith(dir.path, doc);
  await assert.rejects(() => kube.checkReachable(5_000), {
    code: "cluster_certificate_expired",
    message:
      `Cannot trust the cluster at "${server.url}": its certificate is expired or not yet valid`,
  });
});

/** An HTTPS server that asks for a client certificate and reports its common name as the version. */
async function mutualTlsServer(
  cert: string,
  key: string,
): Promise<AsyncDisposable & { url: string; connections(): number }> {
  const server = https.createServer(
    { cert, key, requestCert: true, rejectUnauthorized: false },
    (request, response) => {
      const peer = (request.socket as TLSSocket).getPeerCertificate();
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ gitVersion: `cn:${peer?.subject?.CN ?? "none"}` }));
    },
  );
  let connections = 0;
  server.on("secureConnection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `https://127.0.0.1:${port}`,
    connections: () => connections,
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

Deno.test("connectKube() presents the client certificate from inline data and from files", async () => {
  await using dir = await tempDir();
  const ca = await certificateAuthority(dir.path);
  const serverCert = await issueCertificate(dir.path, ca, "server", {
    subjectAltName: "IP:127.0.0.1",
  });
  const client = await issueCertificate(dir.path, ca, "jane");
  await using server = await mutualTlsServer(serverCert.cert, serverCert.key);
  const users = [
    { "client-certificate-data": base64(client.cert), "client-key-data": base64(client.key) },
    { "client-certificate": "jane.pem", "client-key": "jane.key" },
  ];
  for (const user of users) {
    const cluster = { "certificate-authority-data": base64(await Deno.readTextFile(ca.caPath)) };
    const doc = simpleKubeconfig({ server: server.url, cluster, user });
    await using kube = await connectWith(dir.path, doc);
    assert.equal(kube.config.auth, "certificate");
    assert.equal(await kube.checkReachable(5_000), "cn:jane");
  }
});

Deno.test("connectKube() reuses TLS connections for successive calls", async () => {
  await using dir = await tempDir();
  const ca = await certificateAuthority(dir.path);
  const serverCert = await issueCertificate(dir.path, ca, "server", {
    subjectAltName: "IP:127.0.0.1",
  });
  const client = await issueCertificate(dir.path, ca, "jane");
  await using server = await mutualTlsServer(serverCert.cert, serverCert.key);
  const cluster = { "certificate-authority": ca.caPath };
  const user = { "client-certificate": client.certPath, "client-key": client.keyPath };
  const doc = simpleKubeconfig({ server: server.url, cluster, user });
  await using kube = await connectWith(dir.path, doc);
  const calls = 5;
  for (let i = 0; i < calls; i++) assert.equal(await kube.version(), "cn:jane");
  // Without reuse every call opens its own; undici may open a second one while the first
  // is still being returned to its pool.
  assert.ok(server.connections() < calls, `${server.connections()} connections for ${calls} calls`);
});

Deno.test("connectKube() presents a client certificate that an exec plugin returns", async () => {
  await using dir = await tempDir();
  const ca = await certificateAuthority(dir.path);
  const serverCert = await issueCertificate(dir.path, ca, "server", {
    subjectAltName: "IP:127.0.0.1",
  });
  const client = await issueCertificate(dir.path, ca, "plugin-user");
  await using server = await mutualTlsServer(serverCert.cert, serverCert.key);
  const apiVersion = "client.authentication.k8s.io/v1";
  const credential = JSON.stringify({
    apiVersion,
    kind: "ExecCredential",
    status: { clientCertificateData: client.cert, clientKeyData: client.key },
  });
  const plugin = await writeScript(dir.path, "cert-plugin", `printf '%s' '${credential}'`);
  const cluster = { "certificate-authority": ca.caPath };
  const doc = simpleKubeconfig({
    server: server.url,
    cluster,
    user: { exec: { apiVersion, command: plugin } },
  });
  await using kube = await connectWith(dir.path, doc);
  assert.equal(await kube.checkReachable(5_000), "cn:plugin-user");
});
