import assert from "node:assert/strict";
import { MemoryLogger } from "../../../tunnel/log.ts";
import { TpxError } from "../../../tunnel/protocol/errors.ts";
import { exists, type FakeMachine, fakeMachine, FakeProcesses, FakeRunner } from "./_testing.ts";
import { configureSystemDns, repairStale, type SystemDnsOptions } from "./configure.ts";
import type { SystemDnsPlan } from "./detect.ts";
import { readState, statePath } from "./state.ts";

const ORIGINAL = "# from DHCP\nnameserver 10.0.0.1\nsearch lan\noptions edns0\n";
const RESOLV_CONF_PLAN: SystemDnsPlan = {
  mode: "resolv.conf",
  requiredStubPort: 53,
  upstreamsFile: "",
  reason: "test",
};
const RESOLVED_PLAN: SystemDnsPlan = {
  mode: "systemd-resolved",
  upstreamsFile: "",
  reason: "test",
};
const MACOS_PLAN: SystemDnsPlan = { mode: "macos-resolver", upstreamsFile: "", reason: "test" };

interface Setup {
  machine: FakeMachine;
  runner: FakeRunner;
  processes: FakeProcesses;
  logger: MemoryLogger;
}

async function setup(): Promise<Setup & AsyncDisposable> {
  const machine = await fakeMachine();
  return {
    machine,
    runner: new FakeRunner(),
    processes: new FakeProcesses(4242),
    logger: new MemoryLogger(),
    [Symbol.asyncDispose]: () => machine[Symbol.asyncDispose](),
  };
}

function options(s: Setup, plan: SystemDnsPlan, port = 53): SystemDnsOptions {
  return {
    stub: { address: "127.0.0.1", port },
    domains: ["cluster.local"],
    searchNamespaces: ["shop"],
    root: true,
    logger: s.logger,
    stateDir: s.machine.stateDir,
    plan,
    paths: s.machine.paths,
    run: s.runner.run,
    processes: s.processes,
  };
}

function repairOptions(s: Setup) {
  return { logger: s.logger, paths: s.machine.paths, run: s.runner.run, processes: s.processes };
}

async function writeOriginal(s: Setup, mode = 0o644): Promise<Uint8Array> {
  const bytes = new TextEncoder().encode(ORIGINAL);
  await Deno.writeFile(s.machine.paths.resolvConf, bytes);
  await Deno.chmod(s.machine.paths.resolvConf, mode);
  return bytes;
}

// ---- resolv.conf

Deno.test("configureSystemDns() points resolv.conf at the stub and restore() puts back every byte", async () => {
  await using s = await setup();
  const original = await writeOriginal(s, 0o640);
  const change = await configureSystemDns(options(s, RESOLV_CONF_PLAN));

  assert.equal(change.mode, "resolv.conf");
  const written = await Deno.readTextFile(s.machine.paths.resolvConf);
  assert.match(written, /^nameserver 127\.0\.0\.1$/m);
  assert.doesNotMatch(written, /10\.0\.0\.1/);
  assert.match(written, /^search shop lan$/m);
  assert.match(change.describe(), /resolv\.conf.*127\.0\.0\.1:53/);
  assert.ok(await exists(statePath(s.machine.stateDir)));

  const result = await change.restore();
  assert.equal(result.ok, true);
  assert.deepEqual(result.files.map((f) => f.result), ["restored"]);
  assert.deepEqual(await Deno.readFile(s.machine.paths.resolvConf), original);
  assert.equal((await Deno.stat(s.machine.paths.resolvConf)).mode! & 0o7777, 0o640);
  assert.equal(await exists(s.machine.stateDir), false, "the state folder tpx made is gone too");
});

Deno.test("restore() twice is a no-op the second time", async () => {
  await using s = await setup();
  const original = await writeOriginal(s);
  const change = await configureSystemDns(options(s, RESOLV_CONF_PLAN));
  const first = await change.restore();
  const second = await change.restore();
  assert.equal(second, first);
  assert.deepEqual(await Deno.readFile(s.machine.paths.resolvConf), original);
});

Deno.test("configureSystemDns() replaces a symlinked resolv.conf and restore() brings the symlink back", async () => {
  await using s = await setup();
  const target = `${s.machine.root}/run/systemd/resolve/stub-resolv.conf`;
  await Deno.writeTextFile(target, ORIGINAL);
  await Deno.symlink("../run/systemd/resolve/stub-resolv.conf", s.machine.paths.resolvConf);

  const change = await configureSystemDns(options(s, RESOLV_CONF_PLAN));
  assert.equal((await Deno.lstat(s.machine.paths.resolvConf)).isSymlink, false);
  // The new file keeps the search list the symlink's target had.
  assert.match(await Deno.readTextFile(s.machine.paths.resolvConf), /^search shop lan$/m);
  assert.equal(await Deno.readTextFile(target), ORIGINAL, "the target is not written through");

  await change.restore();
  assert.equal((await Deno.lstat(s.machine.paths.resolvConf)).isSymlink, true);
  assert.equal(
    await Deno.readLink(s.machine.paths.resolvConf),
    "../run/systemd/resolve/stub-resolv.conf",
  );
  assert.equal(await Deno.readTextFile(target), ORIGINAL);
});

Deno.test("configureSystemDns() creates a missing resolv.conf and restore() removes it", async () => {
  await using s = await setup();
  const change = await configureSystemDns(options(s, RESOLV_CONF_PLAN));
  assert.match(await Deno.readTextFile(s.machine.paths.resolvConf), /nameserver 127\.0\.0\.1/);
  await change.restore();
  assert.equal(await exists(s.machine.paths.resolvConf), false);
});

Deno.test("restore() keeps a resolv.conf that someone else rewrote and saves the original aside", async () => {
  await using s = await setup();
  const original = await writeOriginal(s);
  const change = await configureSystemDns(options(s, RESOLV_CONF_PLAN));
  await Deno.writeTextFile(s.machine.paths.resolvConf, "nameserver 192.0.2.1\n");

  const result = await change.restore();

  assert.equal(result.ok, true);
  const [file] = result.files;
  assert.equal(file?.result, "kept");
  assert.equal(await Deno.readTextFile(s.machine.paths.resolvConf), "nameserver 192.0.2.1\n");
  assert.ok(file?.savedOriginal?.startsWith(s.machine.stateDir));
  assert.deepEqual(await Deno.readFile(file!.savedOriginal!), original);
  assert.ok(s.logger.messages("warn").some((m) => /changed by someone else/.test(m)));
});

Deno.test("configureSystemDns() refuses a stub off port 53 in resolv.conf mode and changes nothing", async () => {
  await using s = await setup();
  const original = await writeOriginal(s);
  await assert.rejects(
    () => configureSystemDns(options(s, RESOLV_CONF_PLAN, 5353)),
    (error: unknown) => error instanceof TpxError && error.code === "system_dns_stub_port",
  );
  assert.deepEqual(await Deno.readFile(s.machine.paths.resolvConf), original);
  assert.equal(await exists(statePath(s.machine.stateDir)), false);
});

// ---- crashes

Deno.test("repairStale() undoes the change of a daemon that is gone, and again is a no-op", async () => {
  await using s = await setup();
  const original = await writeOriginal(s);
  await configureSystemDns(options(s, RESOLV_CONF_PLAN));
  s.processes.running.delete(4242); // the daemon crashed without restoring

  const first = await repairStale(s.machine.stateDir, repairOptions(s));
  assert.equal(first.result, "repaired");
  assert.deepEqual(await Deno.readFile(s.machine.paths.resolvConf), original);
  assert.equal(await exists(statePath(s.machine.stateDir)), false);

  const second = await repairStale(s.machine.stateDir, repairOptions(s));
  assert.equal(second.result, "none");
  assert.deepEqual(await Deno.readFile(s.machine.paths.resolvConf), original);
});

Deno.test("repairStale() leaves alone the change of a daemon that still runs", async () => {
  await using s = await setup();
  await writeOriginal(s);
  await configureSystemDns(options(s, RESOLV_CONF_PLAN));
  const result = await repairStale(s.machine.stateDir, repairOptions(s));
  assert.equal(result.result, "owner-running");
  assert.match(await Deno.readTextFile(s.machine.paths.resolvConf), /nameserver 127\.0\.0\.1/);
  assert.ok(await exists(statePath(s.machine.stateDir)));
});

Deno.test("repairStale() after a crash between recording and changing finds nothing to undo", async () => {
  await using s = await setup();
  const original = await writeOriginal(s);
  await configureSystemDns(options(s, RESOLV_CONF_PLAN));
  // As if the daemon died right after writing its record: the file is still the original.
  await Deno.writeFile(s.machine.paths.resolvConf, original);
  s.processes.running.delete(4242);

  const result = await repairStale(s.machine.stateDir, repairOptions(s));
  assert.equal(result.result, "repaired");
  assert.deepEqual(result.files.map((f) => f.result), ["unchanged"]);
  assert.deepEqual(await Deno.readFile(s.machine.paths.resolvConf), original);
});

Deno.test("configureSystemDns() undoes a dead daemon's change first, so the backup is the true original", async () => {
  await using s = await setup();
  const original = await writeOriginal(s);
  await configureSystemDns(options(s, RESOLV_CONF_PLAN));
  s.processes.running.delete(4242);

  const next = new FakeProcesses(5151);
  const change = await configureSystemDns({ ...options(s, RESOLV_CONF_PLAN), processes: next });
  assert.equal((await readState(s.machine.stateDir))?.owner.pid, 5151);
  await change.restore();
  assert.deepEqual(await Deno.readFile(s.machine.paths.resolvConf), original);
});

Deno.test("configureSystemDns() refuses while another running daemon holds the change", async () => {
  await using s = await setup();
  await writeOriginal(s);
  const first = await configureSystemDns(options(s, RESOLV_CONF_PLAN));
  const other = new FakeProcesses(5151);
  other.running.add(4242);
  await assert.rejects(
    () => configureSystemDns({ ...options(s, RESOLV_CONF_PLAN), processes: other }),
    (error: unknown) =>
      error instanceof TpxError && error.code === "system_dns_busy" && error.category === "user",
  );
  assert.equal((await first.restore()).ok, true);
});

// ---- systemd-resolved

Deno.test("configureSystemDns() writes a resolved drop-in and restore() removes it and its folder", async () => {
  await using s = await setup();
  const change = await configureSystemDns(options(s, RESOLVED_PLAN, 5353));
  const dropIn = `${s.machine.paths.resolvedDropInDir}/zz-tpx.conf`;
  const text = await Deno.readTextFile(dropIn);
  assert.match(text, /^DNS=127\.0\.0\.1:5353$/m);
  assert.match(text, /^Domains=~cluster\.local ~shop$/m);
  assert.deepEqual(s.runner.calls, ["systemctl reload-or-restart systemd-resolved.service"]);
  assert.match(change.describe(), /^systemd-resolved: cluster\.local, shop/);

  await change.restore();
  assert.equal(await exists(dropIn), false);
  assert.equal(await exists(s.machine.paths.resolvedDropInDir), false);
  assert.equal(s.runner.calls.length, 2, "resolved reloads after the drop-in is gone");
});

Deno.test("restore() keeps a drop-in folder that existed before, with its other files", async () => {
  await using s = await setup();
  await Deno.mkdir(s.machine.paths.resolvedDropInDir, { recursive: true });
  const theirs = `${s.machine.paths.resolvedDropInDir}/dnssec.conf`;
  await Deno.writeTextFile(theirs, "[Resolve]\nDNSSEC=yes\n");
  const change = await configureSystemDns(options(s, RESOLVED_PLAN, 5353));
  await change.restore();
  assert.equal(await Deno.readTextFile(theirs), "[Resolve]\nDNSSEC=yes\n");
  assert.deepEqual([...Deno.readDirSync(s.machine.paths.resolvedDropInDir)].map((e) => e.name), [
    "dnssec.conf",
  ]);
});

Deno.test("configureSystemDns() undoes the drop-in when resolved cannot reload, and says so", async () => {
  await using s = await setup();
  s.runner.answers.set("systemctl reload-or-restart systemd-resolved.service", {
    success: false,
    code: 1,
    stderr: "Unit systemd-resolved.service not found.",
  });
  await assert.rejects(
    () => configureSystemDns(options(s, RESOLVED_PLAN, 5353)),
    (error: unknown) => error instanceof TpxError && error.code === "system_dns_failed",
  );
  assert.equal(await exists(s.machine.paths.resolvedDropInDir), false);
  // The undo's own reload failed too, so the record stays for the next "quit" to retry.
  assert.ok(await exists(statePath(s.machine.stateDir)));
});

Deno.test("configureSystemDns() replaces a drop-in left by a tpx whose record was lost, and removes it after", async () => {
  await using s = await setup();
  await Deno.mkdir(s.machine.paths.resolvedDropInDir, { recursive: true });
  const dropIn = `${s.machine.paths.resolvedDropInDir}/zz-tpx.conf`;
  await Deno.writeTextFile(dropIn, "# Written by tpx long ago\n[Resolve]\nDNS=127.0.0.9:9\n");
  const change = await configureSystemDns(options(s, RESOLVED_PLAN, 5353));
  await change.restore();
  assert.equal(await exists(dropIn), false);
});

// ---- macOS

Deno.test("configureSystemDns() writes one /etc/resolver file per domain and restore() removes them", async () => {
  await using s = await setup();
  const change = await configureSystemDns(options(s, MACOS_PLAN, 5353));
  const dir = s.machine.paths.macosResolverDir;
  for (const name of ["cluster.local", "shop"]) {
    assert.match(
      await Deno.readTextFile(`${dir}/${name}`),
      /^nameserver 127\.0\.0\.1\nport 5353$/m,
    );
  }
  assert.match(change.describe(), /^macos-resolver:/);
  await change.restore();
  assert.equal(await exists(dir), false);
});

Deno.test("configureSystemDns() leaves someone else's /etc/resolver file alone", async () => {
  await using s = await setup();
  const dir = s.machine.paths.macosResolverDir;
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/shop`, "nameserver 192.0.2.53\n");
  const change = await configureSystemDns(options(s, MACOS_PLAN, 5353));
  assert.equal(await Deno.readTextFile(`${dir}/shop`), "nameserver 192.0.2.53\n");
  assert.ok(await exists(`${dir}/cluster.local`));
  assert.ok(s.logger.messages("warn").some((m) => /not replacing/.test(m)));
  await change.restore();
  assert.equal(await Deno.readTextFile(`${dir}/shop`), "nameserver 192.0.2.53\n");
  assert.equal(await exists(`${dir}/cluster.local`), false);
  assert.ok(await exists(dir), "the folder existed before");
});

Deno.test("repairStale() removes the /etc/resolver files of a crashed daemon", async () => {
  await using s = await setup();
  await configureSystemDns(options(s, MACOS_PLAN, 5353));
  s.processes.running.clear();
  assert.equal((await repairStale(s.machine.stateDir, repairOptions(s))).result, "repaired");
  assert.equal(await exists(s.machine.paths.macosResolverDir), false);
});

// ---- none

Deno.test("configureSystemDns() without root changes nothing and points at the rootless path", async () => {
  await using s = await setup();
  const original = await writeOriginal(s);
  const change = await configureSystemDns({ ...options(s, RESOLV_CONF_PLAN), root: false });
  assert.equal(change.mode, "none");
  assert.match(change.describe(), /tpx run -- CMD/);
  assert.deepEqual(await Deno.readFile(s.machine.paths.resolvConf), original);
  assert.equal(await exists(s.machine.stateDir), false);
  assert.deepEqual(s.runner.calls, []);
  assert.equal((await change.restore()).ok, true);
});
