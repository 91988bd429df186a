/**
 * The inside of the real system DNS test: run as root in a private mount and network namespace
 * whose /etc/resolv.conf is a bind-mounted temporary file (tests/system_dns_test.ts sets that
 * up), it goes through what a daemon does, and prints one JSON line of what it saw.
 *
 *   deno run -A system_dns_netns.ts scenario STATE_DIR
 *   deno run -A system_dns_netns.ts configure-and-wait STATE_DIR   (the daemon that crashes)
 *
 * `scenario`: a fake upstream on 127.0.0.2:53, the stub on 127.0.0.1:53 forwarding to the
 * servers of the original resolv.conf, the `resolv.conf` mode applied, `getent hosts` lookups of a
 * cluster name and another name, restore; then a second process configures, is killed with
 * SIGKILL, and `repairStale()` undoes its change.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import {
  configureSystemDns,
  DEFAULT_PATHS,
  detectSystemDns,
  repairStale,
  runCommand,
} from "../../cli/daemon/system_dns/mod.ts";
import { loadSystemNameServers, startDnsStub } from "../../tunnel/dns/mod.ts";
import { MemoryLogger } from "../../tunnel/log.ts";
import { startFakeDnsUpstream } from "./fake_dns_upstream.ts";

/** The address the fake cluster gives `web.shop`. */
export const WEB_ADDRESS = "127.241.0.7";
/** The address the fake upstream gives every other name. */
export const OTHER_ADDRESS = "192.0.2.7";

const [command, stateDir] = Deno.args;
if (stateDir === undefined) throw new Error("usage: scenario|configure-and-wait STATE_DIR");
const logger = new MemoryLogger();
const dnsOptions = {
  stub: { address: "127.0.0.1", port: 53 },
  domains: ["cluster.local"],
  searchNamespaces: ["shop"],
  root: true,
  stateDir,
  logger,
};

if (command === "configure-and-wait") {
  const change = await configureSystemDns(dnsOptions);
  console.log(JSON.stringify({ configured: change.mode }));
  // An interval keeps the event loop alive until the test kills this process.
  setInterval(() => {}, 60_000);
  await new Promise(() => {});
}

async function getent(...args: string[]): Promise<string> {
  const output = await new Deno.Command("getent", { args, stdout: "piped", stderr: "piped" })
    .output();
  return new TextDecoder().decode(output.stdout).trim().split(/\s+/)[0] ?? "";
}

async function fileState() {
  const info = await Deno.lstat(DEFAULT_PATHS.resolvConf);
  return {
    base64: btoa(String.fromCharCode(...await Deno.readFile(DEFAULT_PATHS.resolvConf))),
    mode: (info.mode ?? 0) & 0o7777,
  };
}

const report: Record<string, unknown> = {};
const original = await fileState();
report.repairBefore = (await repairStale(stateDir, { logger })).result;
const plan = await detectSystemDns({ root: true, paths: DEFAULT_PATHS, run: runCommand });
report.mode = plan.mode;
report.requiredStubPort = plan.requiredStubPort;
const upstreams = await loadSystemNameServers(plan.upstreamsFile);
report.upstreams = upstreams;

await using upstream = startFakeDnsUpstream("127.0.0.2", 53, OTHER_ADDRESS);
await using _stub = startDnsStub({
  hostname: "127.0.0.1",
  port: plan.requiredStubPort ?? 53,
  resolver: {
    resolve: (fqdn) =>
      Promise.resolve(
        fqdn === "web.shop.svc.cluster.local"
          ? { ipv4: [WEB_ADDRESS], ipv6: [], ports: [], ttl: 5 }
          : undefined,
      ),
    reverse: () => undefined,
  },
  upstreams,
  isNamespace: (ns) => ns === "shop",
  logger,
});

// Before: the machine's resolver knows nothing of the cluster.
report.beforeWebShop = await getent("hosts", "web.shop");

const askedBefore = upstream.asked.length;
const change = await configureSystemDns({ ...dnsOptions, plan });
report.describe = change.describe();
report.configuredText = await Deno.readTextFile(DEFAULT_PATHS.resolvConf);
report.webShop = await getent("hosts", "web.shop");
report.webShortName = await getent("hosts", "web");
report.webFqdn = await getent("hosts", "web.shop.svc.cluster.local");
report.other = await getent("hosts", "db.example.test");
report.upstreamAskedWhileConfigured = upstream.asked.slice(askedBefore);
report.restore = (await change.restore()).files.map((f) => f.result);
report.restoredIdentical = JSON.stringify(await fileState()) === JSON.stringify(original);

// The crash: another process configures and is killed before it can restore.
const child = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--allow-all",
    "--quiet",
    new URL(import.meta.url).pathname,
    "configure-and-wait",
    stateDir,
  ],
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
report.crashChild = (await reader.read()).value?.trim();
report.crashWebShop = await getent("hosts", "web.shop");
child.kill("SIGKILL");
report.crashStatus = (await child.status).signal;
await reader.cancel();
report.afterCrashStillChanged = JSON.stringify(await fileState()) !== JSON.stringify(original);
report.repair = (await repairStale(stateDir, { logger })).result;
report.repairedIdentical = JSON.stringify(await fileState()) === JSON.stringify(original);
report.repairAgain = (await repairStale(stateDir, { logger })).result;
report.afterWebShop = await getent("hosts", "web.shop");
report.warnings = logger.entries.filter((e) => e.level !== "debug" && e.level !== "info").map((
  e,
) => e.message);

console.log(JSON.stringify(report));
