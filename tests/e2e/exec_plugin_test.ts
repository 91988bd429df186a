// End-to-end tests of kubeconfigs whose user is an exec credential plugin, through the real
// CLI against the local cluster: the plugin (a script that hands out a ServiceAccount's token)
// runs and `tpx manager install` works with its credential; a plugin that prints an empty
// apiVersion stops the CLI with the error that says what to upgrade, before anything is created.
import assert from "node:assert/strict";
import { runTpx } from "../support/cli.ts";
import { join } from "node:path";
import {
  type CommandResult,
  createNamespace,
  deleteNamespace,
  forceRemoveManager,
  images,
  kubectl,
  waitFor,
} from "./cluster.ts";

const EXEC_V1 = "client.authentication.k8s.io/v1";
const USER = "exec-user";

/** Runs the tpx CLI from source with the kubeconfig given. */
function tpx(args: readonly string[], kubeconfig: string): Promise<CommandResult> {
  return runTpx([...args, "--kubeconfig", kubeconfig]);
}

/** A ServiceAccount bound to cluster-admin, and the way to remove it all. */
interface Identity extends AsyncDisposable {
  token: string;
}

/**
 * Creates a ServiceAccount with cluster-admin rights in `namespace` and issues a token for it.
 * The ClusterRoleBinding is cluster-scoped, so disposing deletes it (the namespace takes the
 * ServiceAccount with it).
 */
async function adminServiceAccount(namespace: string): Promise<Identity> {
  const name = `tpx-exec-test-${crypto.randomUUID().slice(0, 8)}`;
  const remove = async () => {
    await kubectl(["delete", "clusterrolebinding", name, "--ignore-not-found"], { check: true });
  };
  try {
    await kubectl(["create", "serviceaccount", name, "-n", namespace], { check: true });
    await kubectl([
      "create",
      "clusterrolebinding",
      name,
      "--clusterrole=cluster-admin",
      `--serviceaccount=${namespace}:${name}`,
    ], { check: true });
    const { stdout } = await kubectl(
      ["create", "token", name, "-n", namespace, "--duration=1h"],
      { check: true },
    );
    return { token: stdout.trim(), [Symbol.asyncDispose]: remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/** A credential plugin script in `dir` that records each run in `marker`. */
async function writePlugin(
  dir: string,
  options: { token: string; apiVersion: string },
): Promise<{ command: string; marker: string }> {
  const command = join(dir, "tpx-test-credential-plugin");
  const marker = join(dir, "plugin-ran");
  const credential = JSON.stringify({
    apiVersion: options.apiVersion,
    kind: "ExecCredential",
    status: { token: options.token },
  });
  // The marker holds what the plugin was told, so the test sees that tpx ran it as kubectl does.
  await Deno.writeTextFile(
    command,
    `#!/bin/sh\nprintf '%s\\n' "$KUBERNETES_EXEC_INFO" >> "$TPX_TEST_MARKER"\n` +
      `cat <<'JSON'\n${credential}\nJSON\n`,
    { mode: 0o755 },
  );
  return { command, marker };
}

/** A kubeconfig for the local cluster whose user runs `command` with `apiVersion`. */
async function writeKubeconfig(
  dir: string,
  plugin: { command: string; marker: string },
): Promise<string> {
  const { stdout } = await kubectl(["config", "view", "--raw", "--minify", "-o", "json"], {
    check: true,
  });
  const admin = JSON.parse(stdout) as {
    clusters: { cluster: { server: string; "certificate-authority-data": string } }[];
  };
  const cluster = admin.clusters[0]!.cluster;
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "local",
      cluster: {
        server: cluster.server,
        "certificate-authority-data": cluster["certificate-authority-data"],
      },
    }],
    users: [{
      name: USER,
      user: {
        exec: {
          apiVersion: EXEC_V1,
          command: plugin.command,
          args: [],
          env: [{ name: "TPX_TEST_MARKER", value: plugin.marker }],
          interactiveMode: "Never",
        },
      },
    }],
    contexts: [{ name: "local", context: { cluster: "local", user: USER } }],
    "current-context": "local",
  };
  const path = join(dir, "kubeconfig.yaml");
  // JSON is YAML, and a kubeconfig is read as YAML.
  await Deno.writeTextFile(path, JSON.stringify(config, null, 2));
  return path;
}

/** What the runs of the plugin were told in KUBERNETES_EXEC_INFO, one per run. */
async function pluginRuns(marker: string): Promise<{ apiVersion: string; kind: string }[]> {
  try {
    const text = await Deno.readTextFile(marker);
    return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** Objects of the manager of `namespace` anywhere in the cluster. */
async function managerObjects(namespace: string): Promise<string[]> {
  const { stdout } = await kubectl([
    "get",
    "namespaces,clusterroles,clusterrolebindings,roles,rolebindings,serviceaccounts,services,deployments",
    "-A",
    "-l",
    `tpx.dev/manager-namespace=${namespace}`,
    "-o",
    "name",
  ], { check: true });
  return stdout.split("\n").filter((line) => line !== "");
}

Deno.test("tpx manager install authenticates with an exec credential plugin of the kubeconfig", async () => {
  const ns = await createNamespace("tpx-exec-plugin");
  const dir = await Deno.makeTempDir({ prefix: "tpx-exec-plugin-" });
  try {
    await using identity = await adminServiceAccount(ns);
    const plugin = await writePlugin(dir, { token: identity.token, apiVersion: EXEC_V1 });
    const kubeconfig = await writeKubeconfig(dir, plugin);

    const args = ["manager", "install", "-n", ns, "--namespaces", ns, "--image", images.tpx];
    const installed = await tpx([...args, "-o", "json"], kubeconfig);
    assert.equal(installed.code, 0, installed.stderr);
    const result = JSON.parse(installed.stdout) as { namespace: string; objects: string[] };
    assert.equal(result.namespace, ns);
    assert.ok(result.objects.includes(`Deployment/${ns}/tpx-manager`), result.objects.join(", "));
    const runs = await pluginRuns(plugin.marker);
    assert.ok(runs.length >= 1, "the plugin ran");
    assert.deepEqual(
      runs.map((r) => [r.apiVersion, r.kind]),
      runs.map(() => [
        EXEC_V1,
        "ExecCredential",
      ]),
    );
    const { stdout: available } = await kubectl(
      ["get", "deployment", "tpx-manager", "-n", ns, "-o", "jsonpath={.status.availableReplicas}"],
      { check: true },
    );
    assert.equal(available, "1");

    const removed = await tpx(["manager", "uninstall", "-n", ns, "-o", "json"], kubeconfig);
    assert.equal(removed.code, 0, removed.stderr);
    await waitFor("the manager's objects to go", async () => {
      return (await managerObjects(ns)).length === 0;
    });
  } finally {
    await forceRemoveManager(ns);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a credential plugin that prints an empty apiVersion stops tpx with what to upgrade, before anything is created", async () => {
  const home = await createNamespace("tpx-exec-plugin");
  // install would create this namespace; it must never appear.
  const ns = `tpx-system-test-exec-${crypto.randomUUID().slice(0, 8)}`;
  const dir = await Deno.makeTempDir({ prefix: "tpx-exec-plugin-" });
  try {
    await using identity = await adminServiceAccount(home);
    const plugin = await writePlugin(dir, { token: identity.token, apiVersion: "" });
    const kubeconfig = await writeKubeconfig(dir, plugin);

    const result = await tpx(
      ["manager", "install", "-n", ns, "--namespaces", ns, "--image", images.tpx],
      kubeconfig,
    );
    assert.equal(result.code, 3, `a config error: ${result.stderr}`);
    assert.equal(result.stdout, "");
    assert.ok((await pluginRuns(plugin.marker)).length >= 1, "the plugin ran");
    assert.ok(
      result.stderr.includes(
        `Credential plugin "${plugin.command}" returned apiVersion "": ` +
          `the kubeconfig expects "${EXEC_V1}"`,
      ),
      result.stderr,
    );
    assert.ok(
      result.stderr.includes(
        `Hint: upgrade "${plugin.command}", then regenerate user "${USER}" of the kubeconfig ` +
          "with the tool that wrote it",
      ),
      result.stderr,
    );
    const { code } = await kubectl(["get", "namespace", ns]);
    assert.notEqual(code, 0, "the manager's namespace was not created");
    assert.deepEqual(await managerObjects(ns), [], "nothing of the manager was created");
  } finally {
    await forceRemoveManager(ns);
    await deleteNamespace(home);
    await Deno.remove(dir, { recursive: true });
  }
});
