import assert from "node:assert/strict";
import { type FakeMachine, fakeMachine, FakeRunner } from "./_testing.ts";
import type { CommandResult, SystemDnsMode, SystemDnsPaths } from "./types.ts";
import { detectSystemDns, type SystemDnsPlan } from "./detect.ts";

/** Detects as root on `os`; commands answer from `answers` (success with no output otherwise). */
function detectAsRoot(
  machine: FakeMachine,
  answers: Record<string, Partial<CommandResult>> = {},
  os: typeof Deno.build.os = "linux",
): Promise<SystemDnsPlan> {
  const runner = new FakeRunner();
  for (const [line, answer] of Object.entries(answers)) runner.answers.set(line, answer);
  return detectSystemDns({ root: true, paths: machine.paths, run: runner.run, os });
}

/** Writes resolved's stub resolv.conf: the sign that systemd-resolved runs. */
async function resolvedRuns(machine: FakeMachine) {
  await Deno.writeTextFile(machine.paths.resolvedStubResolvConf, "nameserver 127.0.0.53\n");
}

/** systemd-resolved runs and /etc/resolv.conf links to its stub file. */
async function withResolved(machine: FakeMachine) {
  await resolvedRuns(machine);
  await Deno.symlink(machine.paths.resolvedStubResolvConf, machine.paths.resolvConf);
}

Deno.test("detectSystemDns() changes nothing without root", async () => {
  await using machine = await fakeMachine();
  const runner = new FakeRunner();
  const plan = await detectSystemDns({ root: false, paths: machine.paths, run: runner.run });
  assert.equal(plan.mode, "none");
  assert.deepEqual(runner.calls, []);
});

Deno.test("detectSystemDns() picks /etc/resolver on macOS", async () => {
  await using machine = await fakeMachine();
  const plan = await detectAsRoot(machine, {}, "darwin");
  assert.equal(plan.mode, "macos-resolver");
  assert.equal(plan.requiredStubPort, undefined);
});

Deno.test("detectSystemDns() picks resolv.conf, on port 53, when systemd-resolved does not run", async () => {
  await using machine = await fakeMachine();
  await Deno.writeTextFile(machine.paths.resolvConf, "nameserver 10.0.0.1\n");
  const plan = await detectAsRoot(machine);
  assert.equal(plan.mode, "resolv.conf");
  assert.equal(plan.requiredStubPort, 53);
  assert.equal(plan.upstreamsFile, machine.paths.resolvConf);
});

Deno.test("detectSystemDns() picks systemd-resolved when it runs and resolv.conf names it", async () => {
  await using machine = await fakeMachine();
  await withResolved(machine);
  const plan = await detectAsRoot(machine, {
    "resolvectl --version": { stdout: "systemd 255 (255.4-1)\n+PAM +AUDIT\n" },
    "resolvectl status": { stdout: "Global\n" },
  });
  assert.equal(plan.mode, "systemd-resolved");
  assert.equal(plan.requiredStubPort, undefined);
  // resolv.conf names resolved itself: the stub must forward to resolved's upstream list.
  assert.equal(plan.upstreamsFile, machine.paths.resolvedUpstreamResolvConf);
});

const portlessVersions: [when: string, answer: Partial<CommandResult>][] = [
  ["from a systemd older than 246", { stdout: "systemd 245 (245.4-4ubuntu3)\n" }],
  ["when the systemd version is unknown", { success: false, code: 1 }],
];
for (const [when, answer] of portlessVersions) {
  Deno.test(`detectSystemDns() asks for port 53 ${when}`, async () => {
    await using machine = await fakeMachine();
    await withResolved(machine);
    const plan = await detectAsRoot(machine, { "resolvectl --version": answer });
    assert.equal(plan.mode, "systemd-resolved");
    assert.equal(plan.requiredStubPort, 53);
  });
}

Deno.test("detectSystemDns() falls back to resolv.conf when resolvectl cannot reach resolved", async () => {
  await using machine = await fakeMachine();
  await withResolved(machine);
  const plan = await detectAsRoot(machine, {
    "resolvectl status": { success: false, code: 1, stderr: "Failed to get global data" },
  });
  assert.equal(plan.mode, "resolv.conf");
  assert.match(plan.reason, /resolvectl status/);
});

/** Machines where resolved runs: what else their files say, and the mode that fits. */
const whenResolvedRuns: {
  name: string;
  files: (paths: SystemDnsPaths) => Promise<void>;
  mode: SystemDnsMode;
}[] = [
  {
    name: "picks resolv.conf when it links to resolved's list of real servers",
    files: async (paths) => {
      await Deno.writeTextFile(paths.resolvedUpstreamResolvConf, "nameserver 10.0.0.1\n");
      await Deno.symlink(paths.resolvedUpstreamResolvConf, paths.resolvConf);
    },
    mode: "resolv.conf",
  },
  {
    name: "picks systemd-resolved when nsswitch.conf asks it, whatever resolv.conf says",
    files: async (paths) => {
      await Deno.writeTextFile(paths.resolvConf, "nameserver 10.0.0.1\n");
      await Deno.writeTextFile(
        paths.nsswitchConf,
        "passwd: files\nhosts: files mymachines resolve [!UNAVAIL=return] dns myhostname\n",
      );
    },
    mode: "systemd-resolved",
  },
  {
    name: "picks resolv.conf when resolved runs but resolv.conf bypasses it",
    files: (paths) => Deno.writeTextFile(paths.resolvConf, "nameserver 10.0.0.1\n"),
    mode: "resolv.conf",
  },
  {
    name: "counts a plain resolv.conf naming 127.0.0.53 as resolved's",
    files: (paths) =>
      Deno.writeTextFile(paths.resolvConf, "nameserver 127.0.0.53\noptions edns0\n"),
    mode: "systemd-resolved",
  },
];
for (const { name, files, mode } of whenResolvedRuns) {
  Deno.test(`detectSystemDns() ${name}`, async () => {
    await using machine = await fakeMachine();
    await resolvedRuns(machine);
    await files(machine.paths);
    const plan = await detectAsRoot(machine);
    assert.equal(plan.mode, mode);
  });
}
