import assert from "node:assert/strict";
import { connectKube } from "../kube/mod.ts";
import { fakeServer, type ForwardMode } from "./_test_server.ts";
import { openPortForward } from "./open.ts";

const RUNNING = {
  kind: "Pod",
  metadata: { name: "web", namespace: "shop" },
  status: { phase: "Running" },
};

async function withForward(
  mode: ForwardMode,
  fn: (kube: Awaited<ReturnType<typeof connectKube>>) => Promise<void>,
  pods: Record<string, unknown> = { web: RUNNING },
): Promise<void> {
  await using server = fakeServer({ token: "s3cret", mode, pods });
  await using kube = await connectKube({ kubeconfig: await server.kubeconfig(), env: {} });
  await fn(kube);
  assert.ok(server.authorizations.every((value) => value === "Bearer s3cret"));
}

async function readAll(channel: { read(p: Uint8Array): Promise<number | null> }, size: number) {
  const got = new Uint8Array(size);
  let filled = 0;
  while (filled < size) {
    const n = await channel.read(got.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return got.subarray(0, filled);
}

Deno.test("openPortForward() carries bytes both ways, with the bearer token", async () => {
  await withForward("echo", async (kube) => {
    const channel = await openPortForward(kube, { namespace: "shop", pod: "web", port: 8081 });
    const data = new Uint8Array(300_000).map((_, i) => i * 7);
    const [written, echoed] = await Promise.all([
      (async () => {
        for (let i = 0; i < data.length; i += 50_000) {
          await channel.write(data.subarray(i, i + 50_000));
        }
      })(),
      readAll(channel, data.length),
    ]);
    assert.equal(written, undefined);
    assert.deepEqual(echoed, data);
    channel.close();
    assert.equal(await channel.read(new Uint8Array(10)), null);
  });
});

Deno.test("openPortForward() turns the kubelet's error into an error naming pod and port", async () => {
  await withForward("refuse", async (kube) => {
    const failure = {
      name: "TpxError",
      category: "cluster",
      code: "port_forward_failed",
      message: 'Cannot forward to port 8099 of pod "shop/web": ' +
        "nothing listens on that port in the pod (connection refused)",
    };
    // The port frames come first: the channel opens, and its reads and writes then fail.
    const channel = await openPortForward(kube, { namespace: "shop", pod: "web", port: 8099 });
    await assert.rejects(() => channel.read(new Uint8Array(10)), failure);
    await assert.rejects(() => channel.write(new Uint8Array(10)), failure);
    channel.close();
  });
});

Deno.test("a port-forward whose pod connection ends reads null", async () => {
  await withForward("hangup", async (kube) => {
    const channel = await openPortForward(kube, { namespace: "shop", pod: "web", port: 80 });
    assert.equal(await channel.read(new Uint8Array(10)), null);
    channel.close();
  });
});

Deno.test("openPortForward() fails after its timeout when the port frames never come", async () => {
  await withForward("silent", async (kube) => {
    await assert.rejects(
      () => openPortForward(kube, { namespace: "shop", pod: "web", port: 80, timeoutMs: 200 }),
      {
        code: "port_forward_timeout",
        message: 'Cannot forward to port 80 of pod "shop/web": no answer after 0.2 s',
      },
    );
  });
});

Deno.test("a refused upgrade is explained by what the API says about the pod", async () => {
  const pending = { kind: "Pod", metadata: { name: "new" }, status: { phase: "Pending" } };
  await withForward("echo", async (kube) => {
    await assert.rejects(
      () => openPortForward(kube, { namespace: "shop", pod: "gone", port: 80 }),
      { code: "kube_not_found" },
    );
    await assert.rejects(() => openPortForward(kube, { namespace: "shop", pod: "new", port: 80 }), {
      category: "cluster",
      code: "port_forward_refused",
      message: 'Cannot forward to port 80 of pod "shop/new": the pod is Pending, not Running',
    });
  }, { web: RUNNING, new: pending });
});

Deno.test("openPortForward() sends the token an exec plugin hands out", async () => {
  await using server = fakeServer({ token: "from-plugin", pods: { web: RUNNING } });
  const plugin = `${server.dir}/plugin.sh`;
  await Deno.writeTextFile(
    plugin,
    `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",` +
      `"status":{"token":"from-plugin"}}'\n`,
  );
  await Deno.chmod(plugin, 0o755);
  const exec = {
    apiVersion: "client.authentication.k8s.io/v1",
    command: plugin,
    interactiveMode: "Never",
  };
  await using kube = await connectKube({ kubeconfig: await server.kubeconfig({ exec }), env: {} });
  assert.equal(kube.config.auth, "exec");
  const channel = await openPortForward(kube, { namespace: "shop", pod: "web", port: 80 });
  channel.close();
  assert.deepEqual(server.authorizations, ["Bearer from-plugin"]);
});
