import assert from "node:assert/strict";
import { mergeKubeconfigs } from "./merge.ts";

const first = {
  path: "/home/me/.kube/a.yaml",
  document: {
    clusters: [{
      name: "shared",
      cluster: { server: "https://first", "certificate-authority": "ca.pem" },
    }],
    users: [{ name: "me", user: { tokenFile: "tokens/me", exec: { command: "./bin/plugin" } } }],
    contexts: [{ name: "dev", context: { cluster: "shared", user: "me" } }],
  },
};
const second = {
  path: "/etc/kube/b.yaml",
  document: {
    "current-context": "prod",
    clusters: [
      { name: "shared", cluster: { server: "https://second" } },
      {
        name: "other",
        cluster: { server: "https://other", "certificate-authority": "/abs/ca.pem" },
      },
    ],
    contexts: [{ name: "prod", context: { cluster: "other" } }],
  },
};

Deno.test("mergeKubeconfigs() keeps the first file's entry for a name defined twice", () => {
  const merged = mergeKubeconfigs([first, second]);
  assert.equal(merged.clusters.get("shared")?.body.server, "https://first");
  assert.equal(merged.clusters.get("other")?.body.server, "https://other");
  assert.deepEqual([...merged.contexts.keys()], ["dev", "prod"]);
});

Deno.test("mergeKubeconfigs() takes current-context from the first file that sets it", () => {
  assert.equal(mergeKubeconfigs([first, second]).currentContext, "prod");
  const withCurrent = { ...first, document: { ...first.document, "current-context": "dev" } };
  assert.equal(mergeKubeconfigs([withCurrent, second]).currentContext, "dev");
});

Deno.test("mergeKubeconfigs() resolves relative paths against the file that names them", () => {
  const merged = mergeKubeconfigs([first, second]);
  assert.equal(
    merged.clusters.get("shared")?.body["certificate-authority"],
    "/home/me/.kube/ca.pem",
  );
  assert.equal(merged.clusters.get("other")?.body["certificate-authority"], "/abs/ca.pem");
  const user = merged.users.get("me")?.body;
  assert.equal(user?.tokenFile, "/home/me/.kube/tokens/me");
  assert.deepEqual(user?.exec, { command: "/home/me/.kube/bin/plugin" });
});

Deno.test("mergeKubeconfigs() leaves a bare exec command to be found on PATH", () => {
  const doc = { users: [{ name: "me", user: { exec: { command: "aws" } } }] };
  const merged = mergeKubeconfigs([{ path: "/x/config", document: doc }]);
  assert.deepEqual(merged.users.get("me")?.body.exec, { command: "aws" });
});

Deno.test("mergeKubeconfigs() rejects an entry without a name, naming the file", () => {
  const doc = { clusters: [{ cluster: { server: "https://x" } }] };
  assert.throws(() => mergeKubeconfigs([{ path: "/x/config", document: doc }]), {
    code: "kubeconfig_invalid",
    message: 'Cannot load kubeconfig "/x/config": clusters[0] has no name',
  });
});
