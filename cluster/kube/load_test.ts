import assert from "node:assert/strict";
import { join } from "node:path";
import { TpxError } from "../../tunnel/protocol/errors.ts";
import { simpleKubeconfig, tempDir, writeKubeconfig } from "./_test_fixtures.ts";
import { loadKube } from "./load.ts";

/** Two files that both define cluster "shared" and user "me"; only the second sets a current context. */
async function twoFiles(dir: string): Promise<string> {
  const a = await writeKubeconfig(dir, "a.yaml", {
    clusters: [{ name: "shared", cluster: { server: "https://a.example:6443" } }],
    users: [{ name: "me", user: { token: "from-a" } }],
    contexts: [
      { name: "dev", context: { cluster: "shared", user: "me", namespace: "team-a" } },
    ],
  });
  const b = await writeKubeconfig(dir, "b.yaml", {
    "current-context": "staging",
    clusters: [{ name: "shared", cluster: { server: "https://b.example:6443" } }],
    users: [{ name: "me", user: { token: "from-b" } }],
    contexts: [
      { name: "dev", context: { cluster: "shared", user: "me", namespace: "team-b" } },
      { name: "staging", context: { cluster: "shared", user: "me" } },
    ],
  });
  return `${a}:${join(dir, "absent.yaml")}:${b}`;
}

Deno.test("loadKube() merges KUBECONFIG files: first file wins, current-context from the one that sets it", async () => {
  await using dir = await tempDir();
  const { config, kubeconfig } = await loadKube({ env: { KUBECONFIG: await twoFiles(dir.path) } });
  assert.equal(config.context, "staging");
  assert.equal(config.server, "https://a.example:6443");
  assert.equal(config.namespace, "default");
  assert.equal(kubeconfig.getCurrentUser()?.token, "from-a");
  assert.deepEqual(config.files, [join(dir.path, "a.yaml"), join(dir.path, "b.yaml")]);
});

Deno.test("loadKube() uses --context and takes the namespace from that context", async () => {
  await using dir = await tempDir();
  const env = { KUBECONFIG: await twoFiles(dir.path) };
  const { config } = await loadKube({ env, context: "dev" });
  assert.equal(config.context, "dev");
  assert.equal(config.namespace, "team-a");
  assert.equal(config.cluster, "shared");
  assert.equal(config.user, "me");
  assert.equal(config.auth, "token");
});

Deno.test("loadKube() lets -n override the context's namespace", async () => {
  await using dir = await tempDir();
  const env = { KUBECONFIG: await twoFiles(dir.path) };
  const { config } = await loadKube({ env, context: "dev", namespace: "shop" });
  assert.equal(config.namespace, "shop");
});

Deno.test("loadKube() reads --kubeconfig instead of KUBECONFIG", async () => {
  await using dir = await tempDir();
  const only = await writeKubeconfig(
    dir.path,
    "only.yaml",
    simpleKubeconfig({ server: "https://only:6443" }),
  );
  const { config } = await loadKube({
    kubeconfig: only,
    env: { KUBECONFIG: await twoFiles(dir.path) },
  });
  assert.equal(config.server, "https://only:6443");
  assert.deepEqual(config.files, [only]);
});

Deno.test("loadKube() falls back to ~/.kube/config and reads kubectl's YAML", async () => {
  await using dir = await tempDir();
  await Deno.mkdir(join(dir.path, ".kube"));
  await Deno.writeTextFile(
    join(dir.path, ".kube", "config"),
    `# written by kubectl
apiVersion: v1
kind: Config
current-context: kind-dev
clusters:
- name: kind-dev
  cluster:
    server: https://127.0.0.1:41235/
    insecure-skip-tls-verify: true
users:
- name: kind-dev
  user:
    tokenFile: token
contexts:
- name: kind-dev
  context: {cluster: kind-dev, user: kind-dev, namespace: web}
`,
  );
  const { config, kubeconfig } = await loadKube({ env: { HOME: dir.path } });
  assert.equal(config.server, "https://127.0.0.1:41235");
  assert.equal(config.namespace, "web");
  assert.equal(config.auth, "tokenFile");
  assert.equal(kubeconfig.getCurrentCluster()?.skipTLSVerify, true);
});

Deno.test("loadKube() says where it looked when there is no kubeconfig", async () => {
  await using dir = await tempDir();
  const missing = [join(dir.path, "a"), join(dir.path, "b")];
  await assert.rejects(() => loadKube({ env: { KUBECONFIG: missing.join(":") } }), {
    name: "TpxError",
    category: "config",
    code: "kubeconfig_missing",
    message: `No kubeconfig found: looked in "${missing[0]}", "${missing[1]}"`,
    hint: "set KUBECONFIG or pass --kubeconfig PATH",
  });
  await assert.rejects(() => loadKube({ env: { HOME: dir.path } }), {
    message: `No kubeconfig found: looked in "${join(dir.path, ".kube", "config")}"`,
  });
});

Deno.test("loadKube() refuses a --kubeconfig file that does not exist", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "nope.yaml");
  await assert.rejects(() => loadKube({ kubeconfig: path, env: {} }), {
    code: "kubeconfig_unreadable",
    message: `Cannot read kubeconfig "${path}": no such file`,
  });
});

Deno.test("loadKube() names the file and the parser's complaint for invalid YAML", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "bad.yaml");
  await Deno.writeTextFile(path, "clusters: [\n");
  const error = await loadKube({ kubeconfig: path, env: {} }).catch((e) => e);
  assert.ok(error instanceof TpxError);
  assert.equal(error.code, "kubeconfig_invalid");
  assert.match(error.message, new RegExp(`^Cannot load kubeconfig "${path}": not valid YAML: `));
  assert.match(error.hint ?? "", /kubectl config view --kubeconfig/);
});

Deno.test("loadKube() lists the known contexts for an unknown --context", async () => {
  await using dir = await tempDir();
  const env = { KUBECONFIG: await twoFiles(dir.path) };
  await assert.rejects(() => loadKube({ env, context: "prod" }), {
    category: "config",
    code: "kubeconfig_unknown_context",
    message: 'Unknown context "prod": known contexts are "dev", "staging"',
    hint: 'pass one of them with --context; "kubectl config get-contexts" lists them',
  });
});

Deno.test("loadKube() asks for --context when no current context is set", async () => {
  await using dir = await tempDir();
  const doc = { ...simpleKubeconfig({ server: "https://x" }), "current-context": "" };
  const kubeconfig = await writeKubeconfig(dir.path, "c.yaml", doc);
  await assert.rejects(() => loadKube({ kubeconfig, env: {} }), {
    code: "kubeconfig_no_current_context",
    message: 'No current context is set: known contexts are "test"',
    hint: 'pass --context NAME, or run "kubectl config use-context NAME"',
  });
});

Deno.test("loadKube() names the context whose cluster entry is missing", async () => {
  await using dir = await tempDir();
  const doc = { ...simpleKubeconfig({ server: "https://x" }), clusters: [] };
  const kubeconfig = await writeKubeconfig(dir.path, "c.yaml", doc);
  await assert.rejects(() => loadKube({ kubeconfig, env: {} }), {
    code: "kubeconfig_cluster_missing",
    message: 'Context "test" is incomplete: cluster "test" is not defined in the kubeconfig',
    hint: 'add cluster "test" to the kubeconfig (refresh it from your cluster\'s provider), ' +
      'or point the context at another one: "kubectl config set-context test --cluster=NAME"',
  });
});

Deno.test("loadKube() names the context whose user entry is missing", async () => {
  await using dir = await tempDir();
  const doc = { ...simpleKubeconfig({ server: "https://x" }), users: [] };
  const kubeconfig = await writeKubeconfig(dir.path, "c.yaml", doc);
  await assert.rejects(() => loadKube({ kubeconfig, env: {} }), {
    code: "kubeconfig_user_missing",
    message: 'Context "test" is incomplete: user "test" is not defined in the kubeconfig',
  });
});

Deno.test("loadKube() refuses a cluster without a server address", async () => {
  await using dir = await tempDir();
  const kubeconfig = await writeKubeconfig(dir.path, "c.yaml", simpleKubeconfig({ server: "" }));
  await assert.rejects(() => loadKube({ kubeconfig, env: {} }), {
    code: "kubeconfig_server_missing",
    message: 'Cluster "test" has no server address',
  });
});

Deno.test("loadKube() refuses an exec section without a command", async () => {
  await using dir = await tempDir();
  const doc = simpleKubeconfig({ server: "https://x", user: { exec: { apiVersion: "v1" } } });
  const kubeconfig = await writeKubeconfig(dir.path, "c.yaml", doc);
  await assert.rejects(() => loadKube({ kubeconfig, env: {} }), {
    code: "kubeconfig_invalid",
    message: `Cannot load kubeconfig "${kubeconfig}": "exec" of user "test" has no command`,
  });
});
