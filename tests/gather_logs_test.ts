/**
 * `tpx gather-logs` across processes, without a cluster: the archive holds what the
 * workstation has, and says that the cluster's part is missing.
 */
import assert from "node:assert/strict";
import type { StatusResponse } from "../cli/daemon/api_types.ts";
import type { GatherResult } from "../cli/commands/gather_logs.ts";
import { readTarGz } from "../cli/support/_test_untar.ts";
import { TPX_VERSION } from "../tunnel/protocol/mod.ts";
import { cliHome, connectArgs } from "./support/cli.ts";
import { startManager } from "./support/processes.ts";

/** No kubeconfig anywhere: the cluster cannot be reached, quickly and for a clear reason. */
function noCluster(home: string): Record<string, string> {
  return { KUBECONFIG: `${home}/no-such-kubeconfig` };
}

Deno.test("gather-logs without a daemon writes versions.json and missing.txt naming the cluster, exit 0", async () => {
  await using cli = await cliHome();
  const cwd = await Deno.makeTempDir({ prefix: "tpx-gather-cwd-" });
  try {
    const archive = `${cwd}/logs.tar.gz`;
    const result = await cli.run(
      ["gather-logs", "-o", archive, "--output", "json"],
      noCluster(cli.home),
    );
    assert.equal(result.code, 0, result.stderr);
    const gathered = JSON.parse(result.stdout) as GatherResult;
    assert.equal(gathered.archive, archive);

    const files = await readTarGz(archive);
    assert.deepEqual([...files.keys()], ["versions.json", "missing.txt"]);
    const versions = JSON.parse(files.get("versions.json")!);
    assert.equal(versions.client.tpx, TPX_VERSION);
    assert.equal(versions.daemon, null);
    const missing = files.get("missing.txt")!;
    assert.match(missing, /^cluster \(manager and agent logs\): .*no-such-kubeconfig/m);
    assert.match(missing, /^status\.json: no daemon runs/m);
    assert.match(missing, /^daemon\.log: there is no daemon log/m);
    assert.match(result.stderr, /not in the archive: cluster \(manager and agent logs\)/);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("gather-logs writes tpx-logs-<timestamp>.tar.gz in the current directory and prints its path", async () => {
  await using cli = await cliHome();
  const cwd = await Deno.makeTempDir({ prefix: "tpx-gather-cwd-" });
  try {
    const mainModule = new URL("../main.ts", import.meta.url).pathname;
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", "--quiet", mainModule, "gather-logs"],
      cwd,
      env: { TPX_HOME: cli.home, NO_COLOR: "1", ...noCluster(cli.home) },
      stdin: "null",
    }).output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    const printed = new TextDecoder().decode(output.stdout).trim();
    assert.match(printed, new RegExp(`^${cwd}/tpx-logs-\\d{8}T\\d{6}Z\\.tar\\.gz$`));
    const listed = [];
    for await (const entry of Deno.readDir(cwd)) listed.push(entry.name);
    assert.deepEqual(listed, [printed.slice(cwd.length + 1)]);
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("gather-logs with a connected daemon adds its log, status and version", async () => {
  await using manager = await startManager();
  await using cli = await cliHome();
  await cli.json(connectArgs(manager.ports.daemon, "-n", "shop"));
  const archive = `${cli.home}/logs.tar.gz`;
  const result = await cli.run(
    ["gather-logs", "-o", archive, "--output", "json"],
    noCluster(cli.home),
  );
  assert.equal(result.code, 0, result.stderr);
  const gathered = JSON.parse(result.stdout) as GatherResult;
  assert.deepEqual(gathered.files, ["versions.json", "status.json", "daemon.log", "missing.txt"]);
  assert.equal(gathered.missing.length, 1, gathered.missing.join("\n"));
  assert.match(gathered.missing[0]!, /^cluster /);

  const files = await readTarGz(archive);
  const status = JSON.parse(files.get("status.json")!) as StatusResponse;
  assert.equal(status.session?.namespace, "shop");
  const versions = JSON.parse(files.get("versions.json")!);
  assert.equal(versions.daemon.tpx, TPX_VERSION);
  assert.equal(versions.daemon.pid, status.daemon.pid);
  assert.ok(files.get("daemon.log")!.length > 0, "the daemon log has lines");
});
