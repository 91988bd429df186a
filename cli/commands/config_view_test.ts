import assert from "node:assert/strict";
import type { StatusResponse } from "../daemon/api_types.ts";
import { recordingTerminal } from "../_test_terminal.ts";
import { configCommand, type ConfigView, configView, type ConfigViewDeps } from "./config_view.ts";
import { processDeps } from "./config_view.ts";

/** A fake TPX_HOME holding a daemon log but no socket, and a fake HOME without a kubeconfig. */
async function withFakeHome(
  run: (deps: ConfigViewDeps, dirs: { tpxHome: string; home: string }) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "tpx-config-" });
  try {
    const tpxHome = `${root}/tpx`;
    await Deno.mkdir(tpxHome);
    await Deno.writeTextFile(`${tpxHome}/daemon.log`, "{}\n");
    const vars: Record<string, string> = {
      TPX_HOME: tpxHome,
      HOME: root,
      TPX_LOG_LEVEL: "debug",
      AWS_SECRET_ACCESS_KEY: "do-not-print",
      ...env,
    };
    await run({ ...processDeps(), env: (name) => vars[name] }, { tpxHome, home: root });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function runView(deps: ConfigViewDeps, args: string[]) {
  const terminal = recordingTerminal();
  await configCommand(terminal, deps).parseAsync(["view", ...args], { from: "user" });
  return terminal;
}

Deno.test("config view -o json names TPX_HOME's paths, which exist, and the default kubeconfig", async () => {
  await withFakeHome(async (deps, { tpxHome, home }) => {
    const terminal = await runView(deps, ["-o", "json"]);
    const view = JSON.parse(terminal.out.join("\n")) as ConfigView;
    assert.deepEqual(view.daemon, {
      home: { value: tpxHome, source: "TPX_HOME" },
      socket: { path: `${tpxHome}/daemon.sock`, exists: false },
      log: { path: `${tpxHome}/daemon.log`, exists: true },
      running: false,
    });
    assert.deepEqual(view.kubeconfig, {
      source: "default",
      files: [{ path: `${home}/.kube/config`, exists: false }],
    });
    assert.deepEqual(view.environment, {
      TPX_HOME: tpxHome,
      TPX_LOG_LEVEL: "debug",
      NO_COLOR: null,
    });
    assert.deepEqual(view.defaults, {
      managerNamespace: { value: "tpx-system", source: "default" },
      loopbackRange: { value: "127.241.0.0/16", source: "default" },
    });
    assert.equal(view.session, null);
    assert.doesNotMatch(terminal.out.join("\n"), /do-not-print/);
  });
});

Deno.test("config view lists every KUBECONFIG file and says which are missing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tpx-kube-" });
  try {
    await Deno.writeTextFile(`${dir}/a`, "apiVersion: v1\n");
    await withFakeHome(async (deps) => {
      const view = await configView(deps);
      assert.equal(view.kubeconfig.source, "KUBECONFIG");
      assert.deepEqual(view.kubeconfig.files, [
        { path: `${dir}/a`, exists: true },
        { path: `${dir}/b`, exists: false },
      ]);
    }, { KUBECONFIG: `${dir}/a:${dir}/b` });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config view prints text with each value's source and no other variables", async () => {
  await withFakeHome(async (deps, { tpxHome, home }) => {
    const terminal = await runView(deps, []);
    const text = terminal.out.join("\n");
    assert.match(text, new RegExp(`daemon home +${tpxHome} +\\[TPX_HOME\\]`));
    assert.match(
      text,
      new RegExp(`daemon socket +${tpxHome}/daemon.sock \\(missing: no daemon runs\\)`),
    );
    assert.match(text, new RegExp(`kubeconfig +${home}/.kube/config \\(missing\\) +\\[default\\]`));
    assert.match(text, /TPX_LOG_LEVEL +"debug"/);
    assert.match(text, /NO_COLOR +\(unset\)/);
    assert.match(text, /manager ns +tpx-system +\[default\]/);
    assert.match(text, /loopback range +127\.241\.0\.0\/16/);
    assert.match(text, /not connected/);
    assert.doesNotMatch(text, /do-not-print|AWS_SECRET/);
  });
});

Deno.test("config view takes the session's settings and manager namespace from the daemon", async () => {
  const status: StatusResponse = {
    daemon: { version: "0.1.0", pid: 42, log: "/x/daemon.log" },
    session: {
      context: "kind-dev",
      server: "https://127.0.0.1:6443",
      namespace: "shop",
      managerNamespace: "tpx-team",
      managerVersion: "0.1.0",
      sessionId: "s-1",
      tunnel: "up",
      dns: { mode: "none", address: "127.0.0.1", port: 5353, detail: "rootless" },
      routes: [{ name: "web.shop", address: "127.241.0.1", target: "10.0.0.9", ports: [] }],
    },
    intercepts: [],
  };
  const deps: ConfigViewDeps = {
    env: () => undefined,
    exists: () => Promise.resolve(true),
    status: () => Promise.resolve(status),
  };
  const view = await configView(deps);
  assert.equal(view.daemon.running, true);
  assert.deepEqual(view.defaults.managerNamespace, { value: "tpx-team", source: "session" });
  assert.equal(view.session?.context, "kind-dev");
  assert.equal(view.session?.namespace, "shop");
  assert.equal("routes" in (view.session ?? {}), false, "routes belong to tpx status");
  const text = (await runView(deps, [])).out.join("\n");
  assert.match(text, /session +context "kind-dev" \(https:\/\/127\.0\.0\.1:6443\)/);
  assert.match(text, /manager +tpx-team/);
  assert.match(text, /daemon socket +\S+ \(a daemon answers\)/);
});
