import assert from "node:assert/strict";
import { join } from "node:path";
import { countingPlugin, tempDir, writeScript } from "./_test_fixtures.ts";
import { type ExecConfig, ExecPlugin } from "./exec_plugin.ts";

const V1 = "client.authentication.k8s.io/v1";
const V1BETA1 = "client.authentication.k8s.io/v1beta1";

function execConfig(command: string, apiVersion: string, args: string[] = []): ExecConfig {
  return { user: "me", command, args, env: [], apiVersion };
}

function plugin(config: ExecConfig, path: string, now?: () => number): ExecPlugin {
  return new ExecPlugin(config, now ? { env: { PATH: path }, now } : { env: { PATH: path } });
}

Deno.test("ExecPlugin tells the plugin the apiVersion to print and passes exec.env", async () => {
  await using dir = await tempDir();
  const infoFile = join(dir.path, "info.json");
  const command = await writeScript(
    dir.path,
    "plugin",
    `printf '%s' "$KUBERNETES_EXEC_INFO" > '${infoFile}'\n` +
      `printf '{"apiVersion":"${V1BETA1}","kind":"ExecCredential","status":{"token":"%s"}}' "$REGION"`,
  );
  const config = { ...execConfig(command, V1BETA1), env: [{ name: "REGION", value: "eu-west-1" }] };
  const credential = await plugin(config, dir.path).credential();
  assert.deepEqual(credential, { token: "eu-west-1" });
  assert.deepEqual(JSON.parse(await Deno.readTextFile(infoFile)), {
    apiVersion: V1BETA1,
    kind: "ExecCredential",
    spec: { interactive: false },
  });
});

Deno.test("ExecPlugin finds a bare command on PATH and reuses its credential until expirationTimestamp", async () => {
  await using dir = await tempDir();
  const expiry = "2030-01-01T00:00:00Z";
  const counting = await countingPlugin(dir.path, "creds", V1, expiry);
  let now = Date.parse(expiry) - 60_000;
  const exec = plugin(execConfig("creds", V1), dir.path, () => now);

  assert.equal((await exec.credential()).token, "token-1");
  assert.equal((await exec.credential()).token, "token-1");
  assert.equal(await counting.runs(), 1);

  now = Date.parse(expiry) + 1;
  assert.deepEqual(await exec.credential(), { token: "token-2", expiresAt: Date.parse(expiry) });
  assert.equal(await counting.runs(), 2);
});

Deno.test("ExecPlugin runs the plugin again after invalidate(), and once for concurrent callers", async () => {
  await using dir = await tempDir();
  const counting = await countingPlugin(dir.path, "creds", V1);
  const exec = plugin(execConfig(counting.path, V1), dir.path);
  const [a, b] = await Promise.all([exec.credential(), exec.credential()]);
  assert.equal(a.token, "token-1");
  assert.equal(b.token, "token-1");
  exec.invalidate();
  assert.equal((await exec.credential()).token, "token-2");
  assert.equal(await counting.runs(), 2);
});

Deno.test("ExecPlugin names the AWS CLI upgrade when the plugin prints an empty apiVersion", async () => {
  await using dir = await tempDir();
  const aws = await writeScript(
    dir.path,
    "aws",
    `echo '{"kind":"ExecCredential","apiVersion":"","status":{"token":"t"}}'`,
  );
  const config = execConfig(aws, V1BETA1, ["eks", "get-token", "--cluster-name", "shop"]);
  await assert.rejects(() => plugin(config, dir.path).credential(), {
    category: "config",
    code: "exec_plugin_wrong_api_version",
    message:
      `Credential plugin "${aws}" returned apiVersion "": the kubeconfig expects "${V1BETA1}"`,
    hint:
      'upgrade the AWS CLI, then refresh the kubeconfig: "aws eks update-kubeconfig --name shop"; ' +
      `the plugin must print apiVersion "${V1BETA1}"`,
  });
});

Deno.test("ExecPlugin refuses an empty exec.apiVersion in the kubeconfig without running the plugin", async () => {
  await using dir = await tempDir();
  const counting = await countingPlugin(dir.path, "gke-gcloud-auth-plugin", V1);
  await assert.rejects(
    () => plugin(execConfig("gke-gcloud-auth-plugin", ""), dir.path).credential(),
    {
      code: "exec_plugin_unsupported_api_version",
      message:
        'Credential plugin "gke-gcloud-auth-plugin" of user "me" has an unsupported apiVersion "": ' +
        `expected "${V1}" or "${V1BETA1}"`,
      hint: 'run "gcloud components update", then refresh the kubeconfig: ' +
        '"gcloud container clusters get-credentials CLUSTER"',
    },
  );
  assert.equal(await counting.runs(), 0);
});

Deno.test("ExecPlugin refuses the removed v1alpha1 with the generic upgrade advice", async () => {
  await using dir = await tempDir();
  const config = execConfig("corp-login", "client.authentication.k8s.io/v1alpha1");
  await assert.rejects(() => plugin(config, dir.path).credential(), {
    code: "exec_plugin_unsupported_api_version",
    hint:
      'upgrade "corp-login", then regenerate user "me" of the kubeconfig with the tool that wrote it',
  });
});

Deno.test("ExecPlugin reports a failing plugin's command, exit code and stderr", async () => {
  await using dir = await tempDir();
  const command = await writeScript(
    dir.path,
    "login",
    "echo 'Refreshing token...' >&2\necho 'error: SSO session expired' >&2\nexit 1",
  );
  await assert.rejects(
    () => plugin(execConfig(command, V1, ["--profile", "dev"]), dir.path).credential(),
    {
      code: "exec_plugin_failed",
      message: `Credential plugin "${command}" failed with exit code 1: ` +
        "Refreshing token... | error: SSO session expired",
      hint: `run it yourself to see why: "${command} --profile dev"`,
    },
  );
});

Deno.test("ExecPlugin says how to install a plugin that is not on PATH", async () => {
  await using dir = await tempDir();
  await assert.rejects(
    () => plugin(execConfig("gke-gcloud-auth-plugin", V1), dir.path).credential(),
    {
      code: "exec_plugin_not_found",
      message: 'Credential plugin "gke-gcloud-auth-plugin" was not found',
      hint: 'run "gcloud components install gke-gcloud-auth-plugin"',
    },
  );
  const withHint = {
    ...execConfig("corp-login", V1),
    installHint: "Install corp-login from go/login",
  };
  await assert.rejects(() => plugin(withHint, dir.path).credential(), {
    hint: "Install corp-login from go/login",
  });
});

Deno.test("ExecPlugin refuses output that is not an ExecCredential", async () => {
  await using dir = await tempDir();
  const command = await writeScript(dir.path, "noisy", "echo 'Opening browser...'");
  await assert.rejects(() => plugin(execConfig(command, V1), dir.path).credential(), {
    code: "exec_plugin_invalid_output",
    message: `Credential plugin "${command}" returned no usable credential: its output is not JSON`,
  });
});
