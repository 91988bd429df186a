// Runs last (deno test takes files in name order): takes the whole cluster down, checks that
// nothing it created is left on the machine, brings it back up, and checks that a second
// "up" on a running cluster changes nothing.
import assert from "node:assert/strict";
import { pathExists } from "../../cli/daemon/system_dns/files.ts";
import {
  applyYaml,
  cacheDir,
  echoApp,
  kubeconfigPath,
  rolloutStatus,
  runDir,
  withNamespace,
} from "./cluster.ts";

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

/** Processes run from the cluster's binaries or started with its state directory. */
async function clusterProcesses(): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const exe = await Deno.readLink(`/proc/${entry.name}/exe`);
      const cmdline = (await Deno.readTextFile(`/proc/${entry.name}/cmdline`)).replaceAll(
        "\0",
        " ",
      );
      if (exe.startsWith(`${cacheDir()}/bin/`) || cmdline.includes(`${runDir()}/`)) {
        found.push(`${entry.name} ${cmdline.trim()}`);
      }
    } catch (error) {
      // The process ended while we looked, is a kernel thread without an executable, or
      // belongs to the sandbox around us (its /proc entries are closed even to root).
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
        continue;
      }
      throw error;
    }
  }
  return found;
}

/** The pid of each component, from the pid files "up" writes. */
async function componentPids(): Promise<Record<string, string>> {
  const pids: Record<string, string> = {};
  for await (const entry of Deno.readDir(`${runDir()}/pids`)) {
    pids[entry.name] = (await Deno.readTextFile(`${runDir()}/pids/${entry.name}`)).trim();
  }
  return pids;
}

Deno.test("cluster:down removes everything and cluster:up brings a working cluster back", async () => {
  // What "up" recorded about the host before it changed anything: sysctls and created paths.
  const saved = (await Deno.readTextFile(`${runDir()}/host.saved`)).trim().split("\n");
  assert.ok(saved.some((line) => line.startsWith("sysctl ")), saved.join("\n"));

  const down = await run("down");
  assert.equal(down.code, 0, down.stderr);

  const state = await hostState();
  assert.doesNotMatch(state, /tpx-br0|tpx-svc0|10\.96\.0\.0/);
  assert.match(state, /^0$/m, "iptables rules of the cluster are left");
  const mounts = await Deno.readTextFile("/proc/self/mountinfo");
  assert.doesNotMatch(mounts, /tpx-cluster|\/run\/netns\/cni-|\/var\/lib\/kubelet/);
  assert.deepEqual(await clusterProcesses(), []);
  assert.equal(await pathExists(runDir()), false, `${runDir()} is left`);
  for (const controller of ["memory", "cpu", "pids", "systemd"]) {
    const cgroup = `/sys/fs/cgroup/${controller}/kubepods`;
    assert.equal(await pathExists(cgroup), false, `${cgroup} is left`);
  }
  if (await pathExists("/run/netns")) {
    const netns = [];
    for await (const entry of Deno.readDir("/run/netns")) netns.push(entry.name);
    assert.deepEqual(netns.filter((name) => name.startsWith("cni-")), []);
  }
  for (const line of saved) {
    const [kind, key, value] = line.split(" ");
    if (kind === "created") assert.equal(await pathExists(key!), false, `${key} is left`);
    if (kind === "sysctl") {
      const now = await Deno.readTextFile(`/proc/sys/${key!.replaceAll(".", "/")}`);
      assert.equal(now.trim().replace(/\s+/g, " "), value, `sysctl ${key} is not restored`);
    }
  }

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

Deno.test("cluster:up on a running cluster restarts nothing and prints KUBECONFIG last", async () => {
  const before = await componentPids();
  assert.equal(Object.keys(before).length, 7, JSON.stringify(before));

  const up = await run("up");
  assert.equal(up.code, 0, up.stderr);
  assert.equal(up.stdout.trim().split("\n").at(-1), `KUBECONFIG=${kubeconfigPath()}`);
  assert.doesNotMatch(up.stderr, /starting (etcd|kube|containerd)|cleaning up/);
  assert.deepEqual(await componentPids(), before);

  const status = await run("status");
  assert.equal(status.code, 0, status.stdout);
  assert.match(status.stdout, /node tpx-node +Ready/);
});
