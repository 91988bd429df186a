/**
 * Upgrading the tpx binary while its daemon runs: the next command finds a daemon of another
 * version and replaces it, keeping its connection and intercepts. The "old" tpx is a copy of
 * this checkout with another version number, run as a process of its own.
 */
import assert from "node:assert/strict";
import type { StatusResponse } from "../cli/daemon/api_types.ts";
import { TPX_VERSION } from "../tunnel/protocol/mod.ts";
import { cliHome } from "./support/cli.ts";
import { whoAnswers, whoServer } from "./support/http_servers.ts";
import { freePort, startAgent, startManager } from "./support/processes.ts";

const root = new URL("..", import.meta.url).pathname;

/** A copy of the sources whose version is `version`. */
async function olderCheckout(version: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "tpx-old-" });
  for (const part of ["main.ts", "deno.json", "deno.lock", "cli", "tunnel", "cluster", "agent"]) {
    const copy = await new Deno.Command("cp", { args: ["-r", `${root}${part}`, dir] }).output();
    assert.equal(copy.code, 0, new TextDecoder().decode(copy.stderr));
  }
  const file = `${dir}/tunnel/protocol/version.ts`;
  const text = await Deno.readTextFile(file);
  await Deno.writeTextFile(file, text.replace(`"${TPX_VERSION}"`, `"${version}"`));
  return dir;
}

Deno.test("a daemon of another version is replaced by the next command, keeping its connection and intercepts", async () => {
  await using manager = await startManager();
  await using app = whoServer("app");
  const agentPort = freePort();
  const workload = { namespace: "shop", workload: "web", pod: "web-0" };
  await using _agent = await startAgent(
    manager.ports.agent,
    { appPort: app.port, agentPort },
    workload,
  );
  await using laptop = whoServer("laptop");
  const old = await olderCheckout("0.0.9");
  try {
    await using cli = await cliHome();
    const oldCli = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", "--quiet", `${old}/main.ts`, ...args],
        env: { TPX_HOME: cli.home, NO_COLOR: "1" },
      }).output();
    const address = `127.0.0.1:${manager.ports.daemon}`;
    assert.equal(
      (await oldCli(["connect", "--manager-address", address, "-n", "shop", "--system-dns", "off"]))
        .code,
      0,
    );
    assert.equal((await oldCli(["intercept", "web", "-p", `${laptop.port}:http`])).code, 0);
    assert.equal(await whoAnswers(agentPort), "laptop");

    const status = await cli.run(["status", "-o", "json"]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stderr, /the running daemon is tpx 0\.0\.9, this is tpx .*: replacing it/);
    assert.match(status.stderr, /intercept "web-shop" carried over/);
    const after = JSON.parse(status.stdout) as StatusResponse;
    assert.equal(after.daemon.version, TPX_VERSION);
    assert.equal(after.session?.namespace, "shop");
    assert.deepEqual(after.intercepts.map((i) => [i.spec.name, i.state]), [["web-shop", "active"]]);
    assert.equal(await whoAnswers(agentPort), "laptop", "the intercept still takes the traffic");
  } finally {
    await Deno.remove(old, { recursive: true });
  }
});
