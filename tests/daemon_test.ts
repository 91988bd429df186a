/**
 * The workstation's daemon across processes: the CLI starts it with `connect`, talks to it
 * over its socket, and stops it with `quit`, against a real manager and agent on loopback.
 */
import assert from "node:assert/strict";
import type { InterceptView, StatusResponse } from "../cli/daemon/api_types.ts";
import { cliHome, connectArgs } from "./support/cli.ts";
import { whoAnswers, whoServer } from "./support/http_servers.ts";
import { freePort, startAgent, startManager } from "./support/processes.ts";

const workload = { namespace: "shop", workload: "web", pod: "web-0" };

/** A manager, an app and an agent in front of it, as `shop/web` on loopback. */
async function loopbackShop() {
  const manager = await startManager();
  const app = whoServer("app");
  const agentPort = freePort();
  const agent = await startAgent(manager.ports.agent, { appPort: app.port, agentPort }, workload);
  return {
    manager,
    agentPort,
    async [Symbol.asyncDispose]() {
      await agent[Symbol.asyncDispose]();
      await app[Symbol.asyncDispose]();
      await manager[Symbol.asyncDispose]();
    },
  };
}

async function socketExists(home: string): Promise<boolean> {
  return await Deno.stat(`${home}/daemon.sock`).then(() => true, () => false);
}

Deno.test("connect starts a daemon; intercept, status, leave and quit work through it", async () => {
  await using shop = await loopbackShop();
  const { manager, agentPort } = shop;
  await using laptop = whoServer("laptop");
  await using cli = await cliHome();

  const connected = await cli.run(connectArgs(manager.ports.daemon, "-n", "shop"));
  assert.equal(connected.code, 0, connected.stderr);
  assert.match(connected.stdout, /connected to context/);
  assert.equal((await Deno.stat(`${cli.home}/daemon.sock`)).mode! & 0o777, 0o600);
  assert.equal((await Deno.stat(cli.home)).mode! & 0o777, 0o700);
  const again = await cli.run(connectArgs(manager.ports.daemon, "-n", "shop"));
  assert.equal(again.code, 0, "a second connect to the same place does nothing");

  const intercept = await cli.json<InterceptView>([
    "intercept",
    "web",
    "-p",
    `${laptop.port}:http`,
  ]);
  assert.equal(intercept.state, "active");
  assert.equal(intercept.spec.name, "web-shop");
  assert.deepEqual(intercept.local, { host: "127.0.0.1", port: laptop.port });
  assert.equal(await whoAnswers(agentPort), "laptop");

  const status = await cli.json<StatusResponse & { connected: boolean }>(["status"]);
  assert.equal(status.connected, true);
  assert.equal(status.session?.namespace, "shop");
  assert.equal(status.session?.tunnel, "up");
  assert.deepEqual(status.intercepts.map((i) => [i.spec.name, i.localListening]), [[
    "web-shop",
    true,
  ]]);

  const left = await cli.run(["leave", "web-shop"]);
  assert.equal(left.code, 0, left.stderr);
  assert.equal(await whoAnswers(agentPort), "app");
  const idle = await cli.json<StatusResponse>(["status"]);
  assert.deepEqual(idle.dormantAgents?.map((a) => [a.namespace, a.workload]), [["shop", "web"]]);
  assert.ok(Date.parse(idle.dormantAgents![0]!.until) > Date.now(), "removed in the future");
  assert.match((await cli.run(["status"])).stdout, /dormant agent in deployment\/web \("shop"\)/);

  const quit = await cli.run(["quit"]);
  assert.equal(quit.code, 0, quit.stderr);
  assert.equal(await socketExists(cli.home), false, "the daemon removed its socket");
  const after = await cli.run(["status"]);
  assert.match(after.stdout, /not connected/);
});

Deno.test("status says when nothing listens on an intercept's local port", async () => {
  await using shop = await loopbackShop();
  const { manager, agentPort } = shop;
  await using cli = await cliHome();
  await cli.json(connectArgs(manager.ports.daemon, "-n", "shop"));
  const idle = freePort();
  await cli.json(["intercept", "web", "-p", `${idle}:http`]);
  const status = await cli.run(["status"]);
  assert.match(
    status.stdout,
    new RegExp(`nothing listens on 127\\.0\\.0\\.1:${idle}: its requests fail at once`),
  );
  const answer = await whoAnswers(agentPort);
  assert.notEqual(answer, "app", "an intercepted request does not reach the app");
});

Deno.test("connect to another place while connected is refused, naming the current context", async () => {
  await using manager = await startManager();
  await using cli = await cliHome();
  await cli.json(connectArgs(manager.ports.daemon));
  const other = await cli.run(connectArgs(1));
  assert.equal(other.code, 1);
  assert.match(other.stderr, /Error: tpx is connected to context "\(direct\)"/);
  assert.match(other.stderr, /Hint: "tpx quit" first/);
});

Deno.test("commands without a daemon say how to connect; quit says nothing ran", async () => {
  await using cli = await cliHome();
  const leave = await cli.run(["leave", "web-shop"]);
  assert.equal(leave.code, 1);
  assert.match(
    leave.stderr,
    /Error: tpx is not connected: no daemon answers\nHint: "tpx connect" starts it/,
  );
  const quit = await cli.run(["quit"]);
  assert.equal(quit.code, 0);
  assert.match(quit.stdout, /tpx was not running/);
});

Deno.test("an unknown intercept and a bad port mapping are clear errors", async () => {
  await using manager = await startManager();
  await using cli = await cliHome();
  await cli.json(connectArgs(manager.ports.daemon));
  const leave = await cli.run(["leave", "nope"]);
  assert.equal(leave.code, 1);
  assert.match(leave.stderr, /There is no intercept "nope"/);
  const bad = await cli.run(["intercept", "web", "-p", "http:80"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /give LOCAL\[:SERVICEPORT\]/);
});

Deno.test("a manager that is not there fails connect with the address and what to do", async () => {
  await using cli = await cliHome();
  const result = await cli.run(connectArgs(freePort()));
  assert.equal(result.code, 4, result.stderr);
  assert.match(
    result.stderr,
    /Error: No manager at "127\.0\.0\.1:\d+": Nothing listens on 127\.0\.0\.1:\d+\nHint: check the address/,
  );
});

Deno.test("version names the daemon's and the manager's versions once connected", async () => {
  await using manager = await startManager();
  await using cli = await cliHome();
  const before = await cli.json<Record<string, unknown>>(["version"]);
  assert.equal(before.daemon, undefined);
  await cli.json(connectArgs(manager.ports.daemon));
  const after = await cli.run(["version"]);
  assert.match(after.stdout, /daemon {4}\d+\.\d+\.\d+\nmanager {3}\d+\.\d+\.\d+/);
});

Deno.test("uninstall needs either a workload or --all-agents", async () => {
  await using cli = await cliHome();
  const neither = await cli.run(["uninstall"]);
  assert.equal(neither.code, 2);
  assert.match(neither.stderr, /give a workload or --all-agents/);
  const both = await cli.run(["uninstall", "web", "--all-agents"]);
  assert.equal(both.code, 2);
});

Deno.test("intercept -- CMD runs the command with the container's environment, leaves after it, and exits with its code", async () => {
  await using shop = await loopbackShop();
  const { manager, agentPort } = shop;
  await using laptop = whoServer("laptop");
  await using cli = await cliHome();
  await cli.json(connectArgs(manager.ports.daemon, "-n", "shop"));
  const seen = `${cli.home}/seen.txt`;
  const envJson = `${cli.home}/env.json`;
  const result = await cli.run([
    "intercept",
    "web",
    "-p",
    `${laptop.port}:http`,
    "--env-json",
    envJson,
    "--",
    "sh",
    "-c",
    `printf '%s|%s' "$GREETING" "$PATH" > ${seen}; exit 3`,
  ]);
  assert.equal(result.code, 3, result.stderr);
  const [greeting, path] = (await Deno.readTextFile(seen)).split("|");
  assert.equal(greeting, "hello from the app's env");
  assert.equal(path, Deno.env.get("PATH"), "the local PATH is kept");
  const env = JSON.parse(await Deno.readTextFile(envJson)) as Record<string, string>;
  assert.equal(env.GREETING, "hello from the app's env");
  assert.equal((await Deno.stat(envJson)).mode! & 0o777, 0o600);
  const status = await cli.json<StatusResponse>(["status"]);
  assert.deepEqual(status.intercepts, [], "the intercept ended with the command");
  assert.equal(await whoAnswers(agentPort), "app");
});

Deno.test("run -- CMD reaches a cluster name through the daemon's proxy, and exits with the command's code", async () => {
  await using app = whoServer("app");
  const names = {
    "web.shop.svc.cluster.local": {
      addresses: ["127.0.0.1"],
      ports: [{ name: "http", port: app.port, protocol: "TCP" }],
    },
  };
  await using manager = await startManager(undefined, {
    TPX_STATIC_NAMES: JSON.stringify(names),
  });
  await using cli = await cliHome();
  await cli.json(connectArgs(manager.ports.daemon, "-n", "shop"));
  const curl = await cli.run([
    "run",
    "--",
    "curl",
    "--silent",
    "--show-error",
    "--max-time",
    "10",
    `http://web.shop:${app.port}/through-the-proxy`,
  ]);
  assert.equal(curl.code, 0, curl.stderr);
  assert.equal(JSON.parse(curl.stdout).who, "app");
  assert.equal(JSON.parse(curl.stdout).path, "/through-the-proxy");
  const unknown = await cli.run([
    "run",
    "--",
    "curl",
    "--silent",
    "--fail",
    "--max-time",
    "10",
    "http://nope.shop/",
  ]);
  assert.equal(unknown.code, 22, "the proxy answers 502 for a cluster name the cluster lacks");
  const notFound = await cli.run(["run", "--", "no-such-command-tpx"]);
  assert.equal(notFound.code, 1);
  assert.match(notFound.stderr, /Cannot run "no-such-command-tpx": no such command/);
});
