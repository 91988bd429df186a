// Runs last (deno test takes files in name order): takes the whole cluster down, checks that
// nothing it created is left on the machine, and brings it back up.
import assert from "node:assert/strict";
import { applyYaml, echoApp, kubeconfigPath, rolloutStatus, withNamespace } from "./cluster.ts";

const script = new URL("../cluster/cluster.sh", import.meta.url).pathname;

async function run(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command("bash", { args: [script, command] }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function hostState(): Promise<string> {
  const output = await new Deno.Command("bash", {
    args: ["-c", "ip -o link show; ip route; iptables-save | grep -cE 'KUBE-|CNI-|TPX-' || true"],
  }).output();
  return new TextDecoder().decode(output.stdout);
}

Deno.test("cluster:down removes everything and cluster:up brings a working cluster back", async () => {
  const down = await run("down");
  assert.equal(down.code, 0, down.stderr);

  const state = await hostState();
  assert.doesNotMatch(state, /tpx-br0|tpx-svc0|10\.96\.0\.0/);
  assert.match(state, /^0$/m, "iptables rules of the cluster are left");
  const mounts = await Deno.readTextFile("/proc/self/mountinfo");
  assert.doesNotMatch(mounts, /tpx-cluster|\/run\/netns\/cni-/);
  const status = await run("status");
  assert.notEqual(status.code, 0);
  assert.match(status.stdout, /kube-apiserver +stopped/);

  const up = await run("up");
  assert.equal(up.code, 0, up.stderr);
  const lines = up.stdout.trim().split("\n");
  assert.equal(lines.at(-1), `KUBECONFIG=${kubeconfigPath()}`);

  await withNamespace("e2e-restart", async (ns) => {
    await applyYaml(echoApp({ namespace: ns, name: "echo" }));
    await rolloutStatus(ns, "deployment/echo");
  });
});
