// End-to-end tests of the local cluster itself (tests/cluster/): it runs the components as
// configured, pods start from imported images, and services, cluster DNS, port-forward,
// rollouts, StatefulSets and RBAC work as on a real cluster.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  applyYaml,
  caCertPath,
  clientPod,
  echoApp,
  exec,
  images,
  kubectl,
  kubectlEnv,
  kubectlPath,
  podNames,
  portForward,
  rolloutStatus,
  waitFor,
  withNamespace,
} from "./cluster.ts";

/** The node's name (NODE_NAME in tests/cluster/env.sh). */
const NODE = "tpx-node";

interface EchoReply {
  pod: string;
  method: string;
  path: string;
  headers: Record<string, string[]>;
  body: string;
}

async function startEchoAndClient(namespace: string, replicas: number): Promise<void> {
  await applyYaml(echoApp({ namespace, name: "echo", replicas }) + "---" + clientPod(namespace));
  await rolloutStatus(namespace, "deployment/echo");
  await kubectl(["wait", "-n", namespace, "--for=condition=Ready", "pod/client", "--timeout=60s"], {
    check: true,
  });
}

async function clusterIP(namespace: string, service: string): Promise<string> {
  const { stdout } = await kubectl(
    ["get", "service", service, "-n", namespace, "-o", "jsonpath={.spec.clusterIP}"],
    { check: true },
  );
  return stdout.trim();
}

async function kubectlJson<T>(args: string[]): Promise<T> {
  return JSON.parse((await kubectl(args, { check: true })).stdout) as T;
}

Deno.test("the cluster runs Kubernetes v1.34 with a cgroupfs kubelet, iptables kube-proxy and CoreDNS", async () => {
  const version = await kubectlJson<{ gitVersion: string }>(["get", "--raw", "/version"]);
  assert.match(version.gitVersion, /^v1\.34\.\d+$/);
  const { stdout: kubeletVersion } = await kubectl(
    ["get", "node", NODE, "-o", "jsonpath={.status.nodeInfo.kubeletVersion}"],
    { check: true },
  );
  assert.equal(kubeletVersion, version.gitVersion);

  // What the running kubelet uses, as it reports it (not what the harness meant to write).
  const { kubeletconfig } = await kubectlJson<{ kubeletconfig: Record<string, unknown> }>(
    ["get", "--raw", `/api/v1/nodes/${NODE}/proxy/configz`],
  );
  assert.equal(kubeletconfig.cgroupDriver, "cgroupfs");
  assert.equal(kubeletconfig.failSwapOn, false);
  // 100 % turns image garbage collection off: the local images could never be pulled again.
  assert.equal(kubeletconfig.imageGCHighThresholdPercent, 100);

  const proxyMode = await fetch("http://127.0.0.1:10249/proxyMode");
  assert.equal(await proxyMode.text(), "iptables");

  const dns = await kubectlJson<{ items: [Deployment, { spec: { clusterIP: string } }] }>(
    ["get", "deployment/coredns", "service/kube-dns", "-n", "kube-system", "-o", "json"],
  );
  const [deployment, service] = dns.items;
  assert.ok((deployment.status.readyReplicas ?? 0) >= 1, "no CoreDNS replica is ready");
  assert.equal(deployment.spec.template.spec.containers[0]?.imagePullPolicy, "IfNotPresent");
  assert.equal(service.spec.clusterIP, "10.96.0.10");
});

interface Deployment {
  status: { readyReplicas?: number };
  spec: { template: { spec: { containers: { imagePullPolicy: string }[] } } };
}

Deno.test("pods start from the images imported into the node and nothing is pulled", async () => {
  const node = await kubectlJson<{ status: { images: { names: string[] }[] } }>(
    ["get", "node", NODE, "-o", "json"],
  );
  const names = node.status.images.flatMap((image) => image.names);
  for (const image of ["localhost/pause:tpx", "localhost/coredns:tpx", images.echo, images.tpx]) {
    assert.ok(names.includes(image), `${image} is not on the node: ${names.join(", ")}`);
  }

  await withNamespace("e2e-img", async (ns) => {
    await applyYaml(clientPod(ns));
    await kubectl(["wait", "-n", ns, "--for=condition=Ready", "pod/client", "--timeout=60s"], {
      check: true,
    });
    const events = await kubectlJson<{ items: { reason: string; message: string }[] }>(
      ["get", "events", "-n", ns, "--field-selector", "involvedObject.name=client", "-o", "json"],
    );
    const reasons = events.items.map((event) => `${event.reason}: ${event.message}`);
    assert.ok(
      reasons.some((line) => /^Pulled: .*already present on machine/.test(line)),
      reasons.join("\n"),
    );
    assert.deepEqual(reasons.filter((line) => line.startsWith("Pulling")), []);
  });
});

Deno.test("an echo Deployment answers through its ClusterIP and its DNS names", async () => {
  await withNamespace("e2e-svc", async (ns) => {
    await startEchoAndClient(ns, 2);
    const pods = await podNames(ns, "app=echo");
    assert.equal(pods.length, 2);
    const ip = await clusterIP(ns, "echo");

    // Ready pods reach kube-proxy's rules a moment later (until then: connection refused).
    const byIP = await waitFor("the Service to answer", async () => {
      const result = await exec(ns, "client", ["tpx-echo", "get", `http://${ip}/hello?x=1`]);
      return result.code === 0 && result;
    }, { timeoutMs: 30_000 });
    const reply = JSON.parse(byIP.stdout) as EchoReply;
    assert.ok(pods.includes(reply.pod), `${reply.pod} is not one of ${pods.join(", ")}`);
    assert.equal(reply.method, "GET");
    assert.equal(reply.path, "/hello");

    for (const name of [`echo.${ns}`, `echo.${ns}.svc.cluster.local`]) {
      const lookup = await exec(ns, "client", ["tpx-echo", "lookup", name]);
      assert.equal(lookup.code, 0, lookup.stderr);
      assert.deepEqual(lookup.stdout.trim().split("\n"), [ip], `lookup ${name}`);
      const byName = await exec(ns, "client", ["tpx-echo", "get", `http://${name}/by-name`]);
      assert.equal(byName.code, 0, byName.stderr);
      assert.equal((JSON.parse(byName.stdout) as EchoReply).path, "/by-name");
    }

    const udp = await exec(ns, "client", ["tpx-echo", "udp", `echo.${ns}:9090`, "ping"]);
    assert.equal(udp.code, 0, udp.stderr);
    const [pod, data] = udp.stdout.split("\n");
    assert.ok(pods.includes(pod ?? ""), `UDP reply came from ${pod}`);
    assert.equal(data, "ping");

    // Both replicas sit behind the Service.
    const seen = new Set<string>();
    await waitFor("replies from both replicas", async () => {
      const { stdout } = await exec(ns, "client", ["tpx-echo", "get", `http://${ip}/`]);
      seen.add((JSON.parse(stdout) as EchoReply).pod);
      return seen.size === 2;
    }, { timeoutMs: 30_000, intervalMs: 50 });
  });
});

Deno.test("kubectl port-forward to a pod moves 100 MiB each way intact", async () => {
  await withNamespace("e2e-pf", async (ns) => {
    await applyYaml(echoApp({ namespace: ns, name: "echo" }));
    await rolloutStatus(ns, "deployment/echo");
    const [pod] = await podNames(ns, "app=echo");
    const forward = await portForward(ns, `pod/${pod}`, 8080);
    try {
      const base = `http://127.0.0.1:${forward.localPort}`;
      const size = 100 * 1024 * 1024;

      // Upload: random bytes to /sink, which answers the sha256 of what arrived.
      const chunk = new Uint8Array(1024 * 1024);
      const sent = createHash("sha256");
      let written = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (written >= size) return controller.close();
          crypto.getRandomValues(chunk.subarray(0, 65536));
          for (let offset = 65536; offset < chunk.length; offset += 65536) {
            chunk.copyWithin(offset, 0, 65536);
            chunk[offset] = offset & 0xff; // not periodic, so a misplaced block shows
          }
          const piece = chunk.slice();
          sent.update(piece);
          written += piece.length;
          controller.enqueue(piece);
        },
      });
      const upload = await fetch(`${base}/sink`, { method: "POST", body });
      assert.equal(upload.status, 200);
      const received = await upload.json() as { bytes: number; sha256: string };
      assert.equal(received.bytes, size);
      assert.equal(received.sha256, sent.digest("hex"));

      // Download: a deterministic stream, checked against the sum the pod computes itself.
      const download = await fetch(`${base}/bytes?n=${size}&seed=7`);
      assert.equal(download.status, 200);
      const got = createHash("sha256");
      let length = 0;
      for await (const piece of download.body!) {
        got.update(piece);
        length += piece.length;
      }
      const expected = await (await fetch(`${base}/sum?n=${size}&seed=7`)).json() as {
        sha256: string;
      };
      assert.equal(length, size);
      assert.equal(got.digest("hex"), expected.sha256);
    } finally {
      await forward.stop();
    }
  });
});

Deno.test("a pod-template patch rolls out to new pods, and a StatefulSet becomes Ready", async () => {
  await withNamespace("e2e-roll", async (ns) => {
    await applyYaml(echoApp({ namespace: ns, name: "echo", replicas: 2 }));
    await rolloutStatus(ns, "deployment/echo");
    const before = await podNames(ns, "app=echo");

    await kubectl([
      "patch",
      "deployment/echo",
      "-n",
      ns,
      "--type=strategic",
      "-p",
      JSON.stringify({
        spec: {
          template: {
            metadata: { labels: { revision: "two" } },
            spec: { containers: [{ name: "echo", env: [{ name: "REVISION", value: "two" }] }] },
          },
        },
      }),
    ], { check: true });
    await rolloutStatus(ns, "deployment/echo");
    const after = await waitFor("the old pods to be gone", async () => {
      const names = await podNames(ns, "app=echo");
      return names.length === 2 && names;
    });
    assert.deepEqual(after.filter((name) => before.includes(name)), []);
    assert.deepEqual(await podNames(ns, "app=echo,revision=two"), after);
    const { stdout: revision } = await kubectl([
      "get",
      `pod/${after[0]}`,
      "-n",
      ns,
      "-o",
      "jsonpath={.spec.containers[0].env[?(@.name=='REVISION')].value}",
    ], { check: true });
    assert.equal(revision, "two");

    await applyYaml(`
apiVersion: v1
kind: Service
metadata: {name: db, namespace: ${ns}}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{name: http, port: 8080}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ${ns}}
spec:
  serviceName: db
  replicas: 1
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: echo
          image: ${images.echo}
          imagePullPolicy: IfNotPresent
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
            periodSeconds: 1
`);
    await rolloutStatus(ns, "statefulset/db");
    const { stdout } = await kubectl(
      ["get", "statefulset/db", "-n", ns, "-o", "jsonpath={.status.readyReplicas}"],
      { check: true },
    );
    assert.equal(stdout, "1");
  });
});

Deno.test("a restricted ServiceAccount may read pods but is denied a patch", async () => {
  await withNamespace("e2e-rbac", async (ns) => {
    await applyYaml(
      echoApp({ namespace: ns, name: "echo" }) + `
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: restricted, namespace: ${ns}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: read-only, namespace: ${ns}}
rules:
  - apiGroups: ["", apps]
    resources: [pods, deployments]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: restricted-read-only, namespace: ${ns}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-only}
subjects: [{kind: ServiceAccount, name: restricted, namespace: ${ns}}]
`,
    );
    const { stdout: token } = await kubectl(["create", "token", "restricted", "-n", ns], {
      check: true,
    });
    // Authenticate with the ServiceAccount's own token, not the admin certificate.
    const asRestricted = (args: string[]) =>
      new Deno.Command(kubectlPath(), {
        args: [
          "--kubeconfig=/dev/null",
          "--server=https://127.0.0.1:6443",
          `--certificate-authority=${caCertPath()}`,
          `--token=${token.trim()}`,
          "-n",
          ns,
          ...args,
        ],
        env: kubectlEnv(),
      }).output();

    const read = await asRestricted(["get", "deployment/echo", "-o", "name"]);
    assert.equal(read.code, 0, new TextDecoder().decode(read.stderr));

    const patch = await asRestricted([
      "patch",
      "deployment/echo",
      "-p",
      '{"spec":{"replicas":3}}',
    ]);
    assert.notEqual(patch.code, 0);
    const stderr = new TextDecoder().decode(patch.stderr);
    assert.match(stderr, /forbidden/i);
    assert.match(stderr, new RegExp(`system:serviceaccount:${ns}:restricted`));
  });
});
