// The daemon's way into the cluster: tpx's own port-forward (cluster/port_forward/) to an echo
// pod and to a traffic-manager pod deployed here, carrying the manager tunnel, surviving the
// manager pod's replacement.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ManagerClient } from "../../cli/daemon/manager_client.ts";
import { connectKube, type KubeConnection } from "../../cluster/kube/mod.ts";
import { managerChannel, openPortForward } from "../../cluster/port_forward/mod.ts";
import type { ByteChannel } from "../../tunnel/channel.ts";
import { writeAll } from "../../tunnel/channel.ts";
import { MemoryLogger } from "../../tunnel/log.ts";
import { Transport } from "../../tunnel/protocol/mod.ts";
import { managerDeployment } from "../bench/cluster/manifests.ts";
import {
  applyYaml,
  echoApp,
  kubeconfigPath,
  kubectl,
  podNames,
  rolloutStatus,
  waitFor,
  withNamespace,
} from "./cluster.ts";

const MiB = 1024 * 1024;

/** Reads an HTTP/1.1 response whose body ends with the connection, hashing the body. */
async function readResponse(channel: { read(p: Uint8Array): Promise<number | null> }) {
  const buffer = new Uint8Array(256 * 1024);
  const hash = createHash("sha256");
  let head = "";
  let headDone = false;
  let bodyBytes = 0;
  let text = "";
  while (true) {
    const n = await channel.read(buffer);
    if (n === null) break;
    let chunk = buffer.subarray(0, n);
    if (!headDone) {
      head += new TextDecoder("latin1").decode(chunk);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) continue;
      headDone = true;
      const bodyStart = chunk.length - (head.length - end - 4);
      chunk = chunk.subarray(bodyStart);
      head = head.slice(0, end);
    }
    hash.update(chunk);
    bodyBytes += chunk.length;
    if (text.length < 4096) text += new TextDecoder().decode(chunk);
  }
  return { status: Number(head.split(" ")[1]), bodyBytes, sha256: hash.digest("hex"), text };
}

/** Fails instead of hanging when `work` takes longer than `ms`. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

function request(line: string, extra = ""): Uint8Array {
  return new TextEncoder().encode(
    `${line} HTTP/1.1\r\nHost: echo\r\nConnection: close\r\n${extra}\r\n`,
  );
}

async function upload(kube: KubeConnection, namespace: string, pod: string, size: number) {
  const channel = await openPortForward(kube, { namespace, pod, port: 8080 });
  const sent = createHash("sha256");
  const writing = (async () => {
    await writeAll(channel, request("POST /sink", `Content-Length: ${size}\r\n`));
    const block = new Uint8Array(MiB);
    for (let written = 0; written < size; written += block.length) {
      crypto.getRandomValues(block.subarray(0, 65536));
      block.copyWithin(65536, 0, block.length - 65536); // cheap, and not periodic per MiB
      block[(written / MiB) % 65536] = (written / MiB) & 0xff;
      sent.update(block);
      await writeAll(channel, block);
    }
  })();
  const [, response] = await Promise.all([writing, readResponse(channel)]);
  channel.close();
  return { response, sha256: sent.digest("hex") };
}

async function download(kube: KubeConnection, namespace: string, pod: string, size: number) {
  const channel = await openPortForward(kube, { namespace, pod, port: 8080 });
  await writeAll(channel, request(`GET /bytes?n=${size}&seed=7`));
  const response = await readResponse(channel);
  channel.close();
  const sum = await openPortForward(kube, { namespace, pod, port: 8080 });
  await writeAll(sum, request(`GET /sum?n=${size}&seed=7`));
  const expected = JSON.parse((await readResponse(sum)).text) as { sha256: string };
  sum.close();
  return { response, expected: expected.sha256 };
}

/** GET / through a tunnel stream to the echo Service; returns the answering pod. */
async function echoThroughManager(client: ManagerClient, ip: string): Promise<string> {
  const session = client.session ?? assert.fail("no session");
  const stream = await session.open({ transport: Transport.Tcp, host: ip, port: 80, tag: "" });
  await stream.write(request("GET /through-tpx"));
  const response = await readResponse(stream);
  assert.equal(response.status, 200);
  const reply = JSON.parse(response.text) as { pod: string; path: string };
  assert.equal(reply.path, "/through-tpx");
  return reply.pod;
}

Deno.test("tpx's port-forward reaches pods and carries the manager tunnel across a pod replacement", async (t) => {
  await withNamespace("e2e-tpx-pf", async (ns) => {
    await applyYaml(echoApp({ namespace: ns, name: "echo" }) + "---" + managerDeployment(ns));
    await rolloutStatus(ns, "deployment/echo");
    await rolloutStatus(ns, "deployment/tpx-manager");
    const [echoPod] = await podNames(ns, "app=echo");
    await using kube = await connectKube({ kubeconfig: kubeconfigPath(), namespace: ns });

    await t.step("32 MiB each way through a raw port-forward arrive intact", async () => {
      const size = 32 * MiB;
      const up = await within(60_000, "the upload", upload(kube, ns, echoPod!, size));
      assert.equal(up.response.status, 200);
      const received = JSON.parse(up.response.text) as { bytes: number; sha256: string };
      assert.equal(received.bytes, size);
      assert.equal(received.sha256, up.sha256);
      const down = await within(60_000, "the download", download(kube, ns, echoPod!, size));
      assert.equal(down.response.status, 200);
      assert.equal(down.response.bodyBytes, size);
      assert.equal(down.response.sha256, down.expected);
    });

    const { stdout: ip } = await kubectl(
      ["get", "service", "echo", "-n", ns, "-o", "jsonpath={.spec.clusterIP}"],
      { check: true },
    );
    const logger = new MemoryLogger();
    const client = new ManagerClient({
      connect: () => managerChannel(kube, { namespace: ns }),
      user: "e2e",
      host: "port-forward-test",
      namespaces: [ns],
      logger,
      requestTimeoutMs: 10_000,
    });
    try {
      await t.step(
        "a ManagerClient arrives through it, looks up a name, reaches a Service",
        async () => {
          await client.start();
          const lookup = await client.lookup(`echo.${ns}.svc.cluster.local`);
          assert.deepEqual(lookup.addresses, [ip]);
          assert.equal(await echoThroughManager(client, ip), echoPod);
        },
      );

      await t.step("after the manager pod is deleted, it reconnects to the new pod", async () => {
        const [oldPod] = await podNames(ns, "app.kubernetes.io/name=tpx-manager");
        const oldSession = client.session;
        const oldId = client.sessionId;
        await kubectl(["delete", "pod", oldPod!, "-n", ns, "--wait=false"], { check: true });
        await waitFor("a new session", () => {
          const session = client.session;
          return Promise.resolve(session !== undefined && session !== oldSession);
        }, { timeoutMs: 60_000, intervalMs: 100 });
        const newPods = await podNames(ns, "app.kubernetes.io/name=tpx-manager");
        assert.ok(newPods.some((pod) => pod !== oldPod), `pods: ${newPods.join(", ")}`);
        assert.equal(await echoThroughManager(client, ip), echoPod);
        assert.deepEqual((await client.lookup(`echo.${ns}`)).addresses, [ip]);
        // A new manager process knows nothing of the old session: it is created anew.
        assert.notEqual(client.sessionId, oldId);
        assert.ok(
          logger.messages("warn").includes("lost the manager; reconnecting"),
          logger.messages().join("\n"),
        );
      });
    } finally {
      await client.close();
    }

    await t.step("a port nothing listens on fails fast, naming the pod and the port", async () => {
      const [managerPod] = await podNames(ns, "app.kubernetes.io/name=tpx-manager");
      const started = Date.now();
      const failure = {
        category: "cluster",
        code: "port_forward_failed",
        message: `Cannot forward to port 9 of pod "${ns}/${managerPod}": ` +
          "nothing listens on that port in the pod (connection refused)",
      };
      await assert.rejects(async () => {
        const channel: ByteChannel = await openPortForward(kube, {
          namespace: ns,
          pod: managerPod!,
          port: 9,
        });
        try {
          await channel.read(new Uint8Array(16));
        } finally {
          channel.close();
        }
      }, failure);
      assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
    });
  });
});
