// End-to-end tests of `tpx gather-logs` on the local cluster: with a manager installed in a
// namespace of its own, the archive holds that manager's log as kubectl shows it, and names
// nothing from the cluster as missing; an injected workload's agent log is in it too.
import assert from "node:assert/strict";
import { runTpx } from "../support/cli.ts";
import type { GatherResult } from "../../cli/commands/gather_logs.ts";
import { readTarGz } from "../../cli/support/_test_untar.ts";
import { inject, type Service, type Workload } from "../../cluster/injection/mod.ts";
import {
  type CommandResult,
  createNamespace,
  deleteNamespace,
  echoApp,
  forceRemoveManager,
  getJson,
  images,
  kubeconfigPath,
  kubectl,
  podNames,
  rolloutStatus,
  waitFor,
} from "./cluster.ts";

/** Runs the tpx CLI from source against the local cluster, with a private TPX_HOME. */
function tpx(home: string, args: readonly string[]): Promise<CommandResult> {
  return runTpx([...args, "--kubeconfig", kubeconfigPath()], { TPX_HOME: home });
}

/** `tpx gather-logs` for the manager in `ns`, into an archive in `home`; it must succeed. */
async function gatherLogs(
  home: string,
  ns: string,
): Promise<{ archive: string; result: GatherResult }> {
  const archive = `${home}/logs.tar.gz`;
  const gathered = await tpx(home, [
    "gather-logs",
    "--namespace-manager",
    ns,
    "-o",
    archive,
    "--output",
    "json",
  ]);
  assert.equal(gathered.code, 0, gathered.stderr);
  return { archive, result: JSON.parse(gathered.stdout) as GatherResult };
}

Deno.test("gather-logs --namespace-manager archives the manager's log lines from the cluster", async () => {
  const ns = `tpx-gather-test-${crypto.randomUUID().slice(0, 8)}`;
  const home = await Deno.makeTempDir({ prefix: "tpx-home-" });
  try {
    const installed = await tpx(home, [
      "manager",
      "install",
      "-n",
      ns,
      "--namespaces",
      ns,
      "--image",
      images.tpx,
    ]);
    assert.equal(installed.code, 0, installed.stderr);
    const [pod] = await podNames(ns, "app.kubernetes.io/name=tpx-manager");
    assert.ok(pod, "the manager's pod exists");
    const kubectlLog = await waitFor("the manager's first log lines", async () => {
      const { stdout } = await kubectl(["logs", "-n", ns, pod], { check: true });
      return stdout.trim() === "" ? undefined : stdout;
    });

    const { archive, result } = await gatherLogs(home, ns);
    assert.deepEqual(
      result.missing.filter((line) => !/^(status\.json|daemon\.log):/.test(line)),
      [],
      "nothing from the cluster is missing",
    );

    const files = await readTarGz(archive);
    const managerLogs = [...files.keys()].filter((name) => name.startsWith(`manager/${pod}/`));
    assert.equal(managerLogs.length, 1, [...files.keys()].join(", "));
    const archived = files.get(managerLogs[0]!)!;
    const firstLine = kubectlLog.split("\n")[0]!;
    assert.ok(archived.includes(firstLine), `the archive has "${firstLine}"`);
    assert.match(archived, /"msg":"manager started"/);
  } finally {
    // tpx's own uninstall first; whatever it could not remove, forceCleanup does.
    await tpx(home, ["manager", "uninstall", "-n", ns]);
    await forceRemoveManager(ns);
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("gather-logs archives the log of every injected agent, found by listing pods", async () => {
  const ns = `tpx-gather-test-${crypto.randomUUID().slice(0, 8)}`;
  const app = await createNamespace("tpx-gather-test-app");
  const home = await Deno.makeTempDir({ prefix: "tpx-home-" });
  try {
    const installed = await tpx(home, [
      "manager",
      "install",
      "-n",
      ns,
      "--namespaces",
      `${ns},${app}`,
      "--image",
      images.tpx,
    ]);
    assert.equal(installed.code, 0, installed.stderr);
    await kubectl(["create", "-f", "-"], {
      stdin: echoApp({ namespace: app, name: "echo" }),
      check: true,
    });
    await rolloutStatus(app, "deployment/echo");
    // Injected the way the manager does it, so that the test needs no connected daemon.
    const workload = await getJson<Workload>(["deployment", "echo", "-n", app]);
    const service = await getJson<Service>(["service", "echo", "-n", app]);
    const injected = inject(workload, [service], {
      image: images.tpx,
      managerAddress: `tpx-manager.${ns}:8082`,
      servicePort: "http",
    });
    const changed = [injected.workload, ...injected.services.filter((s) => s !== service)];
    await kubectl(["replace", "-f", "-"], {
      stdin: changed.map((o) => JSON.stringify(o)).join("\n"),
      check: true,
    });
    await rolloutStatus(app, "deployment/echo");
    const pod = await waitFor("the injected pod's agent log", async () => {
      const [name] = await podNames(app, "app=echo");
      if (name === undefined) return undefined;
      const { stdout } = await kubectl(["logs", "-n", app, name, "-c", "tpx-agent"]);
      return stdout.includes("agent started") ? name : undefined;
    });

    const { archive } = await gatherLogs(home, ns);
    const files = await readTarGz(archive);
    const agentLog = files.get(`agents/${app}/${pod}/tpx-agent.log`);
    assert.ok(agentLog !== undefined, [...files.keys()].join(", "));
    assert.match(agentLog, /"msg":"agent started"/);
    assert.ok(
      [...files.keys()].every((name) =>
        !name.startsWith(`agents/${app}/`) || name.endsWith("tpx-agent.log") ||
        name.endsWith("tpx-agent.previous.log")
      ),
      "only the agent container's log, not the app's",
    );
  } finally {
    await tpx(home, ["manager", "uninstall", "-n", ns]);
    await forceRemoveManager(ns);
    await deleteNamespace(app);
    await Deno.remove(home, { recursive: true });
  }
});
