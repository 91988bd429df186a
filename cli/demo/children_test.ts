import assert from "node:assert/strict";
import { daemonCommandLine } from "../daemon/spawn.ts";
import { TpxError } from "../../tunnel/protocol/mod.ts";
import { ChildErrorCode, ChildProcess, tpxCommandLine } from "./children.ts";

Deno.test("tpxCommandLine() runs the subcommand the way the daemon is run", () => {
  const daemon = daemonCommandLine();
  const manager = tpxCommandLine("traffic-manager");
  assert.equal(manager.command, daemon.command);
  assert.deepEqual(manager.args, [...daemon.args.slice(0, -1), "traffic-manager"]);
});

Deno.test("ChildProcess.waitForLog() rejects with the child's failure line and its log", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tpx-child-test-" });
  try {
    const logPath = `${dir}/agent.log`;
    // An agent without its configuration logs "agent failed" and exits.
    await using agent = await ChildProcess.start({
      subcommand: "traffic-agent",
      env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "/" },
      logPath,
    });
    const error = await agent.waitForLog(
      "connected to the manager",
      ["agent failed"],
      new AbortController().signal,
    ).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof TpxError, `expected a TpxError, got ${error}`);
    assert.equal(error.code, ChildErrorCode.Exited);
    assert.match(error.message, /^"tpx traffic-agent" stopped: .*TPX_MANAGER_ADDRESS/);
    assert.equal(error.hint, `its log is "${logPath}"`);
    assert.equal(await agent.stop(), true);
    assert.match(await Deno.readTextFile(logPath), /"msg":"agent failed"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
