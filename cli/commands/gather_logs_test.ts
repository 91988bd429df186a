import assert from "node:assert/strict";
import { TPX_VERSION, TpxError } from "../../tunnel/protocol/mod.ts";
import { recordingTerminal } from "../_test_terminal.ts";
import { daemonPaths } from "../daemon/paths.ts";
import { readTarGz } from "../support/_test_untar.ts";
import {
  archiveName,
  gatherLogs,
  gatherLogsCommand,
  GatherLogsErrorCode,
  type GatherResult,
} from "./gather_logs.ts";

/** A temporary directory with a fake TPX_HOME in it, removed afterwards. */
async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tpx-gather-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("archiveName() is tpx-logs-<UTC timestamp>.tar.gz", () => {
  assert.equal(
    archiveName(new Date("2026-11-29T22:32:28.123Z")),
    "tpx-logs-20261129T223228Z.tar.gz",
  );
});

Deno.test("gatherLogs() without daemon or cluster archives the log and versions, and says what is missing", async () => {
  await withDir(async (dir) => {
    const paths = daemonPaths((name) => name === "TPX_HOME" ? `${dir}/home` : undefined);
    await Deno.mkdir(paths.home);
    await Deno.writeTextFile(paths.log, '{"msg":"daemon started"}\n');
    const result = await gatherLogs(
      { outputFile: `${dir}/out.tar.gz`, kubeconfig: `${dir}/no-such-kubeconfig` },
      paths,
    );
    assert.equal(result.archive, `${dir}/out.tar.gz`);
    assert.deepEqual(result.files, ["versions.json", "daemon.log", "missing.txt"]);
    assert.equal((await Deno.stat(result.archive)).mode! & 0o777, 0o600);

    const files = await readTarGz(result.archive);
    assert.deepEqual([...files.keys()], result.files);
    assert.equal(files.get("daemon.log"), '{"msg":"daemon started"}\n');
    const versions = JSON.parse(files.get("versions.json")!);
    assert.equal(versions.client.tpx, TPX_VERSION);
    assert.equal(versions.daemon, null);
    assert.equal(files.get("missing.txt"), result.missing.join("\n") + "\n");
    assert.equal(result.missing.length, 2);
    assert.match(result.missing[0]!, /^status\.json: no daemon runs/);
    assert.match(result.missing[1]!, /^cluster \(manager and agent logs\): .*no-such-kubeconfig/);
  });
});

Deno.test("gather-logs --output json prints the result, and each missing part on stderr", async () => {
  await withDir(async (dir) => {
    const terminal = recordingTerminal();
    const previous = Deno.env.get("TPX_HOME");
    Deno.env.set("TPX_HOME", `${dir}/home`);
    try {
      await gatherLogsCommand(terminal).parseAsync([
        "-o",
        `${dir}/logs.tar.gz`,
        "--kubeconfig",
        `${dir}/no-such-kubeconfig`,
        "--output",
        "json",
      ], { from: "user" });
    } finally {
      if (previous === undefined) Deno.env.delete("TPX_HOME");
      else Deno.env.set("TPX_HOME", previous);
    }
    const result = JSON.parse(terminal.out.join("\n")) as GatherResult;
    assert.equal(result.archive, `${dir}/logs.tar.gz`);
    assert.deepEqual(result.files, ["versions.json", "missing.txt"]);
    assert.deepEqual(
      terminal.err,
      result.missing.map((line) => `not in the archive: ${line}`),
    );
    assert.ok(terminal.err.some((line) => line.includes("daemon.log: there is no daemon log")));
    assert.ok(terminal.err.some((line) => line.includes("cluster (manager and agent logs)")));
  });
});

Deno.test("gatherLogs() with a cluster that does not answer still writes the archive, naming the server", async () => {
  await withDir(async (dir) => {
    const paths = daemonPaths((name) => name === "TPX_HOME" ? `${dir}/home` : undefined);
    // Port 2 on loopback: nothing listens, so the connection is refused at once (fetch refuses
    // port 1 outright, which would test another path).
    await Deno.writeTextFile(
      `${dir}/kubeconfig`,
      [
        "apiVersion: v1",
        "kind: Config",
        "current-context: down",
        "clusters: [{name: down, cluster: {server: 'https://127.0.0.1:2'}}]",
        "users: [{name: u, user: {token: t}}]",
        "contexts: [{name: down, context: {cluster: down, user: u}}]",
      ].join("\n"),
    );
    const result = await gatherLogs(
      { outputFile: `${dir}/out.tar.gz`, kubeconfig: `${dir}/kubeconfig` },
      paths,
    );
    assert.deepEqual(result.files, ["versions.json", "missing.txt"]);
    const cluster = result.missing.find((line) => line.startsWith("cluster "));
    assert.match(cluster ?? "", /Cannot reach the cluster at "https:\/\/127\.0\.0\.1:2"/);
    assert.match(cluster ?? "", /kubectl cluster-info/, "with the hint");
    assert.deepEqual([...(await readTarGz(result.archive)).keys()], result.files);
  });
});

Deno.test("gatherLogs() to a directory that does not exist is a user error naming the path", async () => {
  await withDir(async (dir) => {
    const paths = daemonPaths((name) => name === "TPX_HOME" ? `${dir}/home` : undefined);
    const archive = `${dir}/no-such-dir/logs.tar.gz`;
    await assert.rejects(
      () => gatherLogs({ outputFile: archive, kubeconfig: `${dir}/no-such-kubeconfig` }, paths),
      (error: unknown) => {
        assert.ok(error instanceof TpxError);
        assert.equal(error.category, "user");
        assert.equal(error.code, GatherLogsErrorCode.ArchiveUnwritable);
        assert.match(error.message, new RegExp(`Cannot write the archive "${archive}"`));
        assert.match(error.hint ?? "", /-o FILE/);
        return true;
      },
    );
  });
});

Deno.test("gather-logs refuses a --namespace-manager that is not a namespace name", async () => {
  const terminal = recordingTerminal();
  const command = gatherLogsCommand(terminal).exitOverride().configureOutput({
    writeErr: (text) => terminal.stderr(text),
  });
  await assert.rejects(
    () => command.parseAsync(["--namespace-manager", "Not_A_Name"], { from: "user" }),
    /not a namespace name/,
  );
});
