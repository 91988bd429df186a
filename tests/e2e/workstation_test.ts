// The developer's workflow from a terminal against the local cluster, through the real CLI
// and its daemon: connect, cluster names and services from this machine (TCP and UDP),
// intercepts in two namespaces at once, status, leave, quit.
import assert from "node:assert/strict";
import type { InterceptView, LeaveResponse, StatusResponse } from "../../cli/daemon/api_types.ts";
import type { RestoreResult } from "../../cli/daemon/manager_client.ts";
import { restorationDiff, type Workload } from "../../cluster/injection/mod.ts";
import { cliHome } from "../support/cli.ts";
import { whoServer } from "../support/http_servers.ts";
import { fromCluster, udpEcho } from "./_day_support.ts";
import { withInjectionSetup } from "./_injection_support.ts";
import { getJson } from "./cluster.ts";
import {
  applyYaml,
  clientPod,
  clusterConnectArgs,
  echoApp,
  exec,
  rolloutStatus,
  waitFor,
} from "./cluster.ts";

Deno.test("connect, names and services from this machine, intercepts in two namespaces, leave, quit", async () => {
  await withInjectionSetup({ namespaces: 2, prefix: "tpx-ws" }, async (setup) => {
    const [a, b] = setup.namespaces as [string, string];
    await applyYaml(echoApp({ namespace: a, name: "echo" }));
    await applyYaml(echoApp({ namespace: b, name: "echo" }));
    await applyYaml(clientPod(a));
    await rolloutStatus(a, "deployment/echo");
    await rolloutStatus(b, "deployment/echo");
    await waitFor(
      "the client pod",
      async () =>
        (await exec(a, "client", ["tpx-echo", "lookup", "kubernetes.default"])).code === 0,
    );

    await using laptopA = whoServer("laptop-a");
    await using laptopB = whoServer("laptop-b");
    await using cli = await cliHome();
    const connect = await cli.run(clusterConnectArgs(setup.managerNamespace, a));
    assert.equal(connect.code, 0, connect.stderr);
    const status = await cli.json<StatusResponse>(["status"]);
    assert.equal(status.session?.namespace, a);
    const dns = status.session!.dns;

    // Names by the stub, in every form a pod could use; then TCP and UDP to the service.
    const nameServer = { ipAddr: dns.address, port: dns.port };
    const [address] = await Deno.resolveDns("echo", "A", { nameServer });
    assert.match(address ?? "", /^127\.241\./);
    assert.deepEqual(await Deno.resolveDns(`echo.${a}`, "A", { nameServer }), [address]);
    assert.deepEqual(
      await Deno.resolveDns(`echo.${a}.svc.cluster.local`, "A", { nameServer }),
      [address],
    );
    const [addressB] = await Deno.resolveDns(`echo.${b}`, "A", { nameServer });
    assert.notEqual(addressB, address);
    const answer = await (await fetch(`http://${address}/hello`)).json() as { pod: string };
    assert.match(answer.pod, /^echo-/);
    // The echo answers with its pod's name, then the datagram.
    assert.match(await udpEcho(address!, 9090, "ping over udp"), /^echo-.*\nping over udp$/);

    // Intercepts in two namespaces at once.
    const first = await cli.json<InterceptView>([
      "intercept",
      "echo",
      "-p",
      `${laptopA.port}:http`,
    ]);
    assert.equal(first.state, "active");
    assert.equal(first.spec.namespace, a);
    const second = await cli.json<InterceptView>([
      "intercept",
      "echo",
      "-n",
      b,
      "-p",
      `${laptopB.port}:http`,
    ]);
    assert.equal(second.state, "active");
    // Endpoints follow the new pods a moment after the rollout (kube-proxy's sync).
    await waitFor(
      "echo in a to reach laptop a",
      async () => await fromCluster(a, `http://echo.${a}/`) === "laptop-a",
    );
    await waitFor(
      "echo in b to reach laptop b",
      async () => await fromCluster(a, `http://echo.${b}/`) === "laptop-b",
    );
    const both = await cli.json<StatusResponse>(["status"]);
    assert.deepEqual(
      both.intercepts.map((i) => i.spec.name).sort(),
      [`echo-${a}`, `echo-${b}`].sort(),
    );

    const list = await cli.json<{ kind: string; name: string; agent: string }[]>(["list"]);
    assert.deepEqual(list.map((w) => [w.kind, w.name, w.agent]), [[
      "Deployment",
      "echo",
      "injected",
    ]]);

    const left = await cli.run(["leave", `echo-${a}`]);
    assert.equal(left.code, 0, left.stderr);
    assert.match(await fromCluster(a, `http://echo.${a}/`), /^app echo-/);
    assert.equal(await fromCluster(a, `http://echo.${b}/`), "laptop-b");

    const quit = await cli.run(["quit"]);
    assert.equal(quit.code, 0, quit.stderr);
    assert.match(quit.stdout, new RegExp(`ended "echo-${b}"`));
    await waitFor(
      "the intercept in b to end",
      async () => /^app echo-/.test(await fromCluster(a, `http://echo.${b}/`)),
    );
  });
});

Deno.test("leave --restore gives the workload back at once; after kill -9 of the daemon, uninstall --all-agents restores the rest", async () => {
  await withInjectionSetup({ namespaces: 1, prefix: "tpx-ws-restore" }, async (setup) => {
    const [ns] = setup.namespaces as [string];
    await applyYaml(echoApp({ namespace: ns, name: "echo" }));
    await applyYaml(echoApp({ namespace: ns, name: "other" }));
    await applyYaml(clientPod(ns));
    await rolloutStatus(ns, "deployment/echo");
    await rolloutStatus(ns, "deployment/other");
    const original = await getJson<Workload>(["deployment", "echo", "-n", ns]);
    await using laptop = whoServer("laptop");
    await using cli = await cliHome();
    const connect = clusterConnectArgs(setup.managerNamespace, ns);
    assert.equal((await cli.run(connect)).code, 0);
    await cli.json(["intercept", "echo", "-p", `${laptop.port}:http`]);
    const left = await cli.json<LeaveResponse>(["leave", `echo-${ns}`, "--restore"]);
    assert.deepEqual(left.restored?.map((w) => w.workload), ["echo"]);
    const restored = await getJson<Workload>(["deployment", "echo", "-n", ns]);
    assert.deepEqual(restorationDiff(original, restored), [], "restored when leave answered");

    // A crash: the daemon dies with its intercept; the next daemon cleans up.
    await cli.json(["intercept", "other", "-p", `${laptop.port}:http`]);
    const status = await cli.json<StatusResponse>(["status"]);
    Deno.kill(status.daemon.pid, "SIGKILL");
    await waitFor(
      "callers to reach the app within the lease",
      async () => /^app other-/.test(await fromCluster(ns, `http://other.${ns}/`)),
      { timeoutMs: 60_000 },
    );
    assert.equal((await cli.run(connect)).code, 0);
    // Until the dead session's lease ends, its intercept holds the workload: refused, named.
    const early = await cli.json<RestoreResult>(["uninstall", "--all-agents"]);
    for (const refusal of early.refused) assert.equal(refusal.error.code, "workload_in_use");
    await waitFor("the dead session's lease to end", async () => {
      const result = await cli.json<RestoreResult>(["uninstall", "--all-agents"]);
      return result.refused.length === 0;
    }, { timeoutMs: 60_000 });
    const list = await cli.json<{ name: string; agent: string }[]>(["list"]);
    assert.deepEqual(list.map((w) => [w.name, w.agent]), [["echo", "none"], ["other", "none"]]);
  });
});
