import assert from "node:assert/strict";
import { connectInCluster, inClusterKubeconfig } from "./in_cluster.ts";

Deno.test("inClusterKubeconfig() is undefined outside a cluster", () => {
  assert.equal(inClusterKubeconfig({}, "tpx"), undefined);
});

Deno.test("inClusterKubeconfig() brackets an IPv6 service host", () => {
  const text = inClusterKubeconfig({ KUBERNETES_SERVICE_HOST: "fd00::1" }, "tpx", "/sa");
  assert.equal(JSON.parse(text!).clusters[0].cluster.server, "https://[fd00::1]:443");
});

Deno.test("connectInCluster() uses the service account's token file, CA and namespace", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/namespace`, "tpx-system\n");
    await Deno.writeTextFile(`${dir}/token`, "t0ken\n");
    const kube = await connectInCluster(
      { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "6443" },
      dir,
    );
    assert.ok(kube);
    await using _ = kube;
    assert.equal(kube.config.server, "https://10.96.0.1:6443");
    assert.equal(kube.config.namespace, "tpx-system");
    assert.equal(kube.config.auth, "tokenFile");
    assert.equal(kube.kubeconfig.getCurrentCluster()?.caFile, `${dir}/ca.crt`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("connectInCluster() is undefined outside a cluster", async () => {
  assert.equal(await connectInCluster({}, "/nonexistent"), undefined);
});
