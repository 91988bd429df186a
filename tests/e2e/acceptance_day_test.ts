// Acceptance: a developer's whole day with tpx on the local cluster, each command a process
// as a user runs it (issue 7). Two workstations (two daemons, two users) share one manager:
// connect, names and TCP/UDP from this machine, intercepts in two namespaces, a conflict
// and then personal intercepts side by side, leave and restoration, a daemon killed with
// SIGKILL while /etc/resolv.conf points at its stub (in a private mount namespace), quit with
// nothing left behind; and a manager of an incompatible version, fixed by
// "tpx manager upgrade".
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { pathExists } from "../../cli/daemon/system_dns/files.ts";
import type { InterceptView, LeaveResponse, StatusResponse } from "../../cli/daemon/api_types.ts";
import type { RestoreResult } from "../../cli/daemon/manager_client.ts";
import { PROTOCOL_VERSION, TPX_VERSION } from "../../tunnel/protocol/mod.ts";
import { cliHome } from "../support/cli.ts";
import {
  alive,
  buildIncompatibleImage,
  type ClusterAnswer,
  forceRemoveManager,
  fromCluster,
  getByName,
  getFromCluster,
  localApp,
  removeImage,
  resolvConfNamespace,
  tpxLeftovers,
  udpEcho,
} from "./_day_support.ts";
import {
  AGENT_IDLE_MS,
  differences,
  readyPods,
  snapshot,
  waitRestored,
} from "./_injection_support.ts";
import {
  applyYaml,
  clientPod,
  clusterConnectArgs,
  createNamespace,
  deleteNamespace,
  echoApp,
  exec,
  getJson,
  images,
  kubeconfigPath,
  rolloutStatus,
  waitFor,
} from "./cluster.ts";

const root = Deno.uid() === 0;
const IGNORE_REASON = "needs root for a private mount namespace with its own /etc/resolv.conf";
/** Where the resolv.conf mode puts the stub (cli/daemon/local_dns.ts). */
const PORT_53_STUB = "127.240.0.53";
const DNS_STATE_FILE = "/var/lib/tpx/system-dns.json";
/**
 * The Services' port that the day's intercepts name. The issue's own form, the Service's port
 * number (`-p 8080:80`), has a step of its own that the rest of the day does not depend on.
 */
const SERVICE_PORT = "http";

/** `tpx status -o json`. */
type Status = StatusResponse & { connected: boolean };

/** Who the system DNS state file names as its owner, and the resolv.conf it would restore. */
async function dnsRecord(): Promise<{ owner: number; original: string | undefined }> {
  const state = JSON.parse(await Deno.readTextFile(DNS_STATE_FILE)) as {
    owner: { pid: number };
    undo: { kind: string; path?: string; original?: { contentBase64?: string } }[];
  };
  const step = state.undo.find((u) => u.kind === "restore-file" && u.path === "/etc/resolv.conf");
  const base64 = step?.original?.contentBase64;
  const original = base64 === undefined
    ? undefined
    : new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
  return { owner: state.owner.pid, original };
}

Deno.test({
  name: "a developer's day: connect, intercepts in two namespaces, a second workstation, " +
    "leave, a killed daemon, quit — and nothing of tpx is left but the manager" +
    (root ? "" : ` (ignored: ${IGNORE_REASON})`),
  ignore: !root,
  async fn(t) {
    const started = Date.now();
    const hostResolvConf = await Deno.readFile("/etc/resolv.conf");
    const managerNamespace = `tpx-system-day-${crypto.randomUUID().slice(0, 8)}`;
    const namespaces: string[] = [];
    try {
      const sa = await createNamespace("servicea");
      namespaces.push(sa);
      const sb = await createNamespace("serviceb");
      namespaces.push(sb);
      const serviceA = `http://servicea.${sa}/`;
      const serviceB = `http://serviceb.${sb}/`;

      // The developers' local processes. Ana's calls serviceb by its cluster name, through
      // the stub of her session (known once she is connected).
      let nameServer = { ipAddr: "127.0.0.1", port: 0 };
      await using anaApp = localApp("ana", () => getByName(nameServer, `serviceb.${sb}`));
      await using anaAppB = localApp("ana on serviceb");
      await using benApp = localApp("ben");
      await using ana = await cliHome();
      await using ben = await cliHome();
      await using mountNs = await resolvConfNamespace();
      // Disposed first: a daemon started in the namespace is stopped there, and a change a
      // killed one left is undone there, not in this machine's namespace.
      await using _quitInside = {
        [Symbol.asyncDispose]: async () => void await mountNs.tpx(ana.home, ["quit"]),
      };

      // 1. The apps, and the manager the cluster's admin installed for their namespaces.
      await applyYaml(echoApp({ namespace: sa, name: "servicea" }));
      await applyYaml(echoApp({ namespace: sb, name: "serviceb" }));
      await applyYaml(clientPod(sa));
      const install = await ana.run([
        "manager",
        "install",
        "-n",
        managerNamespace,
        "--kubeconfig",
        kubeconfigPath(),
        "--image",
        images.tpx,
        "--namespaces",
        `${sa},${sb}`,
        "--agent-idle-ms",
        String(AGENT_IDLE_MS),
      ]);
      assert.equal(install.code, 0, install.stderr);
      await rolloutStatus(sa, "deployment/servicea");
      await rolloutStatus(sb, "deployment/serviceb");
      await waitFor(
        "the client pod",
        async () => (await exec(sa, "client", ["tpx-echo", "lookup", `serviceb.${sb}`])).code === 0,
      );
      const originalA = await snapshot(sa, {
        resource: "deployment",
        name: "servicea",
        services: ["servicea"],
      });
      const originalB = await snapshot(sb, {
        resource: "deployment",
        name: "serviceb",
        services: ["serviceb"],
      });
      assert.deepEqual(
        originalA.services[0]?.spec?.ports?.map((p) => [p.port, p.targetPort, p.protocol]),
        [[80, "http", "TCP"], [9090, "udp", "UDP"]],
      );
      const direct = await getFromCluster(sa, serviceA);
      assert.match(direct.pod ?? "", /^servicea-/, "without tpx the app answers");

      const ok2 = await t.step(
        "2. connect: serviceb by name, UDP, and the session in status",
        async () => {
          const connect = await ana.run(clusterConnectArgs(managerNamespace, sa, "off"), {
            USER: "ana",
          });
          assert.equal(connect.code, 0, connect.stderr);
          const status = await ana.json<Status>(["status"]);
          assert.equal(status.connected, true);
          assert.equal(status.session?.namespace, sa);
          assert.equal(status.session?.managerNamespace, managerNamespace);
          assert.equal(status.session?.managerVersion, TPX_VERSION);
          const text = await ana.run(["status"]);
          assert.match(text.stdout, /^connected to context /m);
          assert.match(text.stdout, new RegExp(`^  namespace +${sa}$`, "m"));
          assert.match(text.stdout, /^no intercepts$/m);
          const dns = status.session!.dns;
          nameServer = { ipAddr: dns.address, port: dns.port };

          const answer = await getByName(nameServer, `serviceb.${sb}`);
          assert.match(answer.pod ?? "", /^serviceb-/);
          const [address] = await Deno.resolveDns(`serviceb.${sb}`, "A", { nameServer });
          assert.match(address ?? "", /^127\.241\./);
          assert.match(
            await udpEcho(address!, 9090, "ping over udp"),
            /^serviceb-.*\nping over udp$/,
          );
        },
      );
      if (!ok2) return;

      await t.step(
        "3. intercept servicea -p LOCAL:80 -n servicea: the Service's port by its number",
        async () => {
          const intercept = await ana.run([
            "intercept",
            "servicea",
            "-p",
            `${anaApp.port}:80`,
            "-n",
            sa,
            "-o",
            "json",
          ]);
          try {
            assert.equal(intercept.code, 0, intercept.stderr);
            assert.equal((JSON.parse(intercept.stdout) as InterceptView).state, "active");
            await waitFor(
              "servicea to reach ana",
              async () => await fromCluster(sa, serviceA) === "ana",
            );
          } finally {
            // The rest of the day does not depend on this step; it must not find it either.
            // Without an intercept to end, leave fails, and that is fine here. Then the idle
            // agent goes, so that no rollout of this step's is under way when the day goes on.
            await ana.run(["leave", `servicea-${sa}`]);
            await waitRestored(originalA);
            await readyPods(sa, "servicea", 1, false);
          }
        },
      );

      const ok3 = await t.step(
        "3b. intercept servicea by its port's name: the cluster reaches the local process, which reaches serviceb by name",
        async () => {
          const intercept = await ana.json<InterceptView>([
            "intercept",
            "servicea",
            "-p",
            `${anaApp.port}:${SERVICE_PORT}`,
            "-n",
            sa,
          ]);
          assert.equal(intercept.state, "active");
          assert.equal(intercept.spec.name, `servicea-${sa}`);
          // Endpoints follow the new pod a moment after the rollout (kube-proxy's sync).
          await readyPods(sa, "servicea", 1, true);
          await waitFor(
            "servicea to reach ana",
            async () => await fromCluster(sa, serviceA) === "ana",
          );
          const body = await getFromCluster(sa, serviceA);
          assert.equal(body.who, "ana");
          assert.match(
            (body.downstream as ClusterAnswer).pod ?? `${body.downstream}`,
            /^serviceb-/,
          );
        },
      );
      if (!ok3) return;

      const ok4 = await t.step(
        "4. a second intercept in another namespace at the same time",
        async () => {
          const intercept = await ana.json<InterceptView>([
            "intercept",
            "serviceb",
            "-p",
            `${anaAppB.port}:${SERVICE_PORT}`,
            "-n",
            sb,
          ]);
          assert.equal(intercept.state, "active");
          await readyPods(sb, "serviceb", 1, true);
          await waitFor(
            "serviceb to reach ana",
            async () => await fromCluster(sa, serviceB) === "ana on serviceb",
          );
          assert.equal(await fromCluster(sa, serviceA), "ana");
          const status = await ana.json<Status>(["status"]);
          assert.deepEqual(
            status.intercepts.map((i) => [i.spec.name, i.state]).sort(),
            [[`servicea-${sa}`, "active"], [`serviceb-${sb}`, "active"]],
          );
        },
      );
      if (!ok4) return;

      const ok5 = await t.step(
        "5. a second workstation: a global intercept conflicts; personal ones share",
        async () => {
          const connect = await ben.run(clusterConnectArgs(managerNamespace, sa, "off"), {
            USER: "ben",
          });
          assert.equal(connect.code, 0, connect.stderr);
          const refused = await ben.run([
            "intercept",
            "servicea",
            "-p",
            `${benApp.port}:${SERVICE_PORT}`,
            "-n",
            sa,
          ]);
          // A conflict is the user's to resolve: category "user", exit code 1.
          assert.equal(refused.code, 1, refused.stderr);
          assert.match(refused.stderr, /Cannot intercept "servicea-/);
          assert.match(refused.stderr, new RegExp(`intercept "servicea-${sa}" of "ana@`));
          assert.match(refused.stderr, new RegExp(`tpx leave servicea-${sa}`));
          assert.equal(await fromCluster(sa, serviceA), "ana", "the refusal changed nothing");

          // Both take only their own requests.
          const left = await ana.run(["leave", `servicea-${sa}`]);
          assert.equal(left.code, 0, left.stderr);
          for (const [cli, app, user] of [[ana, anaApp, "ana"], [ben, benApp, "ben"]] as const) {
            const personal = await cli.json<InterceptView>([
              "intercept",
              "servicea",
              "-p",
              `${app.port}:${SERVICE_PORT}`,
              "-n",
              sa,
              "--name",
              `servicea-${user}`,
              "--http-header",
              `x-dev=${user}`,
            ]);
            assert.equal(personal.state, "active");
          }
          // The agent may have gone idle between leave and the new intercepts, and come back.
          await readyPods(sa, "servicea", 1, true);
          const routes = async () => [
            await fromCluster(sa, serviceA, { "x-dev": "ana" }),
            await fromCluster(sa, serviceA, { "x-dev": "ben" }),
            await fromCluster(sa, serviceA),
          ];
          await waitFor("each request to reach its owner", async () => {
            const [a, b, none] = await routes();
            return a === "ana" && b === "ben" && /^app servicea-/.test(none!);
          });
          const [a, b, none] = await routes();
          assert.deepEqual([a, b], ["ana", "ben"]);
          assert.match(none!, /^app servicea-/);
        },
      );
      if (!ok5) return;

      const ok6 = await t.step(
        "6. leave: traffic back at once; the workload restored after the idle time or by leave --restore",
        async () => {
          let left = await ana.run(["leave", "servicea-ana"]);
          assert.equal(left.code, 0, left.stderr);
          assert.match(await fromCluster(sa, serviceA, { "x-dev": "ana" }), /^app servicea-/);
          assert.equal(await fromCluster(sa, serviceA, { "x-dev": "ben" }), "ben");

          left = await ana.run(["leave", `serviceb-${sb}`]);
          assert.equal(left.code, 0, left.stderr);
          assert.match(await fromCluster(sa, serviceB), /^app serviceb-/);
          await waitRestored(originalB);
          await readyPods(sb, "serviceb", 1, false);

          const restored = await ben.json<LeaveResponse>(["leave", "servicea-ben", "--restore"]);
          assert.deepEqual(restored.restored?.map((w) => w.workload), ["servicea"]);
          assert.deepEqual(await differences(originalA), [], "restored when leave answered");
          await readyPods(sa, "servicea", 1, false);
          await waitFor(
            "ben's requests to reach the app",
            async () => /^app servicea-/.test(await fromCluster(sa, serviceA, { "x-dev": "ben" })),
          );

          const uninstall = await ben.json<RestoreResult>(["uninstall", "--all-agents"]);
          assert.deepEqual(uninstall.refused, []);
          const list = await ben.json<{ name: string; agent: string }[]>(["list", "-n", sa]);
          assert.deepEqual(list.map((w) => [w.name, w.agent]), [["servicea", "none"]]);
          for (const cli of [ben, ana]) {
            const quit = await cli.run(["quit"]);
            assert.equal(quit.code, 0, quit.stderr);
          }
        },
      );
      if (!ok6) return;

      const ok7 = await t.step(
        "7. kill -9 of the daemon mid-intercept: the app is back within the lease, the agent goes, the next connect repairs DNS",
        async () => {
          const connect = await mountNs.tpx(
            ana.home,
            clusterConnectArgs(managerNamespace, sa, "auto"),
            {
              USER: "ana",
            },
          );
          assert.equal(connect.code, 0, connect.stderr);
          const status = await ana.json<Status>(["status"]);
          assert.deepEqual(
            [status.session?.dns.mode, status.session?.dns.address, status.session?.dns.port],
            ["resolv.conf", PORT_53_STUB, 53],
          );
          nameServer = { ipAddr: PORT_53_STUB, port: 53 };
          assert.match(
            await Deno.readTextFile(mountNs.resolvConf),
            /^nameserver 127\.240\.0\.53$/m,
          );
          const getent = await mountNs.run("getent", ["hosts", `serviceb.${sb}`]);
          assert.match(getent.stdout, /^127\.241\.\d+\.\d+\s/, getent.stderr);
          const curl = await mountNs.run("curl", ["-sS", "--max-time", "10", serviceB]);
          assert.match((JSON.parse(curl.stdout) as ClusterAnswer).pod ?? "", /^serviceb-/);

          await ana.json<InterceptView>([
            "intercept",
            "servicea",
            "-p",
            `${anaApp.port}:${SERVICE_PORT}`,
          ]);
          await readyPods(sa, "servicea", 1, true);
          await waitFor(
            "servicea to reach ana",
            async () => await fromCluster(sa, serviceA) === "ana",
          );
          const crashed = status.daemon.pid;
          Deno.kill(crashed, "SIGKILL");
          await waitFor("the daemon to die", async () => !(await alive(crashed)));
          assert.match(
            await Deno.readTextFile(mountNs.resolvConf),
            /^nameserver 127\.240\.0\.53$/m,
            "the killed daemon could not restore the file",
          );
          assert.deepEqual(await dnsRecord(), { owner: crashed, original: mountNs.original });

          // The next connect undoes the dead daemon's change before it makes its own: had it
          // not, it would record the dead stub's file as the one to restore at quit.
          const again = await mountNs.tpx(
            ana.home,
            clusterConnectArgs(managerNamespace, sa, "auto"),
            {
              USER: "ana",
            },
          );
          assert.equal(again.code, 0, again.stderr);
          const { pid } = (await ana.json<Status>(["status"])).daemon;
          assert.deepEqual(await dnsRecord(), { owner: pid, original: mountNs.original });
          const retry = await mountNs.run("getent", ["hosts", `serviceb.${sb}`]);
          assert.match(retry.stdout, /^127\.241\.\d+\.\d+\s/, retry.stderr);
          // Until the dead session's lease ends its intercept holds servicea: uninstall refuses
          // it by name (after the lease it restores it, which is right too).
          const early = await ana.json<RestoreResult>(["uninstall", "--all-agents"]);
          for (const refusal of early.refused) {
            assert.deepEqual([refusal.workload, refusal.error.code], [
              "servicea",
              "workload_in_use",
            ]);
          }

          await waitFor(
            "callers to reach the app within the lease",
            async () => /^app servicea-/.test(await fromCluster(sa, serviceA)),
            { timeoutMs: 60_000 },
          );
          await waitRestored(originalA);
        },
      );
      if (!ok7) return;

      await t.step(
        "8. quit: DNS and everything local restored; nothing of tpx in the cluster but the manager",
        async () => {
          await ana.json<InterceptView>([
            "intercept",
            "serviceb",
            "-n",
            sb,
            "-p",
            `${anaAppB.port}:${SERVICE_PORT}`,
          ]);
          await readyPods(sb, "serviceb", 1, true);
          await waitFor(
            "serviceb to reach ana",
            async () => await fromCluster(sa, serviceB) === "ana on serviceb",
          );
          const { pid } = (await ana.json<Status>(["status"])).daemon;

          const quit = await mountNs.tpx(ana.home, ["quit"]);
          assert.equal(quit.code, 0, quit.stderr);
          assert.match(quit.stdout, new RegExp(`ended "serviceb-${sb}"`));
          assert.deepEqual(
            await Deno.readFile(mountNs.resolvConf),
            new TextEncoder().encode(mountNs.original),
            "resolv.conf is byte for byte what it was before the first connect",
          );
          assert.equal(await pathExists(DNS_STATE_FILE), false);
          assert.equal(await pathExists(dirname(DNS_STATE_FILE)), false, "its folder too");
          assert.deepEqual(await Deno.readFile("/etc/resolv.conf"), hostResolvConf);
          await waitFor("the daemon to exit", async () => !(await alive(pid)));
          const status = await ana.json<Status>(["status"]);
          assert.equal(status.connected, false);
          // The stub's port is free again.
          Deno.listenDatagram({ transport: "udp", hostname: PORT_53_STUB, port: 53 }).close();
          Deno.listen({ hostname: PORT_53_STUB, port: 53 }).close();
          // The idle agent's removal may be rolling out already: a request can meet a pod
          // that is going.
          await waitFor(
            "serviceb to reach the app",
            async () => /^app serviceb-/.test(await fromCluster(sa, serviceB)),
          );

          let left: string[] = [];
          await waitFor("the agents to go", async () => {
            left = await tpxLeftovers([sa, sb]);
            return left.length === 0;
          }, { timeoutMs: 90_000 }).catch((error) => {
            throw new Error(`${(error as Error).message}; left: ${left.join(", ")}`);
          });
          assert.deepEqual(await differences(originalA), []);
          assert.deepEqual(await differences(originalB), []);
          const manager = await getJson<{ status: { availableReplicas?: number } }>(
            ["deployment", "tpx-manager", "-n", managerNamespace],
          );
          assert.equal(manager.status.availableReplicas, 1, "the manager stays");
        },
      );
      // deno-lint-ignore no-console
      console.error(`the day took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      await forceRemoveManager(managerNamespace);
      for (const namespace of namespaces) await deleteNamespace(namespace);
    }
  },
});

Deno.test({
  name: "a manager of an incompatible version: connect says which versions and what to do; " +
    "tpx manager upgrade fixes it" + (root ? "" : " (ignored: needs root to import an image)"),
  ignore: !root,
  fn: incompatibleManager,
});

/** Step 9 of the day, on a manager of its own: a version mismatch, and its fix. */
async function incompatibleManager() {
  const started = Date.now();
  const tag = "localhost/tpx:incompatible";
  const managerNamespace = `tpx-system-day-upgrade-${crypto.randomUUID().slice(0, 8)}`;
  let namespace: string | undefined;
  try {
    await buildIncompatibleImage(tag, { protocol: 99, tpx: "9.9.9" });
    namespace = await createNamespace("tpx-day-upgrade");
    await using cli = await cliHome();
    const manager = (command: string, image: string) =>
      cli.run([
        "manager",
        command,
        "-n",
        managerNamespace,
        "--kubeconfig",
        kubeconfigPath(),
        "--image",
        image,
        "--namespaces",
        namespace!,
      ]);
    const install = await manager("install", tag);
    assert.equal(install.code, 0, install.stderr);

    const connect = clusterConnectArgs(managerNamespace, namespace, "off");
    const refused = await cli.run(connect);
    // The manager is the newer side here, so the fix the message names is the daemon's;
    // moving the manager to this build's image with "tpx manager upgrade" fixes it as well.
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      new RegExp(`tpx ${TPX_VERSION} \\(protocol ${PROTOCOL_VERSION}\\)`),
    );
    assert.match(refused.stderr, /manager tpx 9\.9\.9 \(protocol 99\)/);
    assert.match(refused.stderr, /upgrade the daemon to tpx 9\.9\.9/);

    const upgrade = await manager("upgrade", images.tpx);
    assert.equal(upgrade.code, 0, upgrade.stderr);
    const connected = await cli.run(connect);
    assert.equal(connected.code, 0, connected.stderr);
    const status = await cli.json<Status>(["status"]);
    assert.equal(status.session?.managerVersion, TPX_VERSION);
    const quit = await cli.run(["quit"]);
    assert.equal(quit.code, 0, quit.stderr);
  } finally {
    await forceRemoveManager(managerNamespace);
    if (namespace !== undefined) await deleteNamespace(namespace);
    await removeImage(tag);
    // deno-lint-ignore no-console
    console.error(`the upgrade took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}
