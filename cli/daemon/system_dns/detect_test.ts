import assert from "node:assert/strict";
import { fakeMachine, FakeRunner } from "./_testing.ts";
import { detectSystemDns } from "./detect.ts";

Deno.test("detectSystemDns() changes nothing without root", async () => {
  await using machine = await fakeMachine();
  const runner = new FakeRunner();
  const plan = await detectSystemDns({ root: false, paths: machine.paths, run: runner.run });
  assert.equal(plan.mode, "none");
  assert.deepEqual(runner.calls, []);
});

Deno.test("detectSystemDns() picks /etc/resolver on macOS", async () => {
  await using machine = await fakeMachine();
  const plan = await detectSystemDns({
    root: true,
    paths: machine.paths,
    run: new FakeRunner().run,
    os: "darwin",
  });
  assert.equal(plan.mode, "macos-resolver");
  assert.equal(plan.requiredStubPort, undefined);
});

Deno.test("detectSystemDns() picks resolv.conf, on port 53, when systemd-resolved does not run", async () => {
  await using machine = await fakeMachine();
  await Deno.writeTextFile(machine.paths.resolvConf, "nameserver 10.0.0.1\n");
  const plan = await detectSystemDns({
    root: true,
    paths: machine.paths,
    run: new FakeRunner().run,
    os: "linux",
  });
  assert.equal(plan.mode, "resolv.conf");
  assert.equal(plan.requiredStubPort, 53);
  assert.equal(plan.upstreamsFile, machine.paths.resolvConf);
});

async function withResolved(machine: Awaited<ReturnType<typeof fakeMachine>>) {
  await Deno.writeTextFile(machine.paths.resolvedStubResolvConf, "nameserver 127.0.0.53\n");
  await Deno.symlink(machine.paths.resolvedStubResolvConf, machine.paths.resolvConf);
}

Deno.test("detectSystemDns() picks systemd-resolved when it runs and resolv.conf names it", async () => {
  await using machine = await fakeMachine();
  await withResolved(machine);
  const runner = new FakeRunner();
  runner.answers.set("resolvectl --version", { stdout: "systemd 255 (255.4-1)\n+PAM +AUDIT\n" });
  runner.answers.set("resolvectl status", { stdout: "Global\n" });
  const plan = await detectSystemDns({
    root: true,
    paths: machine.paths,
    run: runner.run,
    os: "linux",
  });
  assert.equal(plan.mode, "systemd-resolved");
  assert.equal(plan.requiredStubPort, undefined);
  // resolv.conf names resolved itself: the stub must forward to resolved's upstream list.
  assert.equal(plan.upstreamsFile, machine.paths.resolvedUpstreamResolvConf);
});

Deno.test("detectSystemDns() asks for port 53 from a systemd older than 246", async () => {
  await using machine = await fakeMachine();
  await withResolved(machine);
  const runner = new FakeRunner();
  runner.answers.set("resolvectl --version", { stdout: "systemd 245 (245.4-4ubuntu3)\n" });
  const plan = await detectSystemDns({
    root: true,
    paths: machine.paths,
    run: runner.run,
    os: "linux",
  });
  assert.equal(plan.mode, "systemd-resolved");
  assert.equal(plan.requiredStubPort, 53);
});

Deno.test("detectSystemDns() asks for port 53 when the systemd version is unknown", async () => {
  await using machine = await fakeMachine();
  await withResolved(machine);
  const runner = new FakeRunner();
  runner.answers.set("resolvectl --version", { success: false, code: 1 });
  const plan = await detectSystemDns({
    root: true,
    paths: machine.paths,
    run: runner.run,
    os: "linux",
  });
  assert.equal(plan.mode, "systemd-resolved");
  assert.equal(plan.requiredStubPort, 53);
});

Deno.test("detectSystemDns() picks resolv.conf when it links to resolved's list of real servers", async () => {
  await using machine = await fakeMachine();
  await Deno.writeTextFile(machine.paths.resolvedStubResolvConf, "nameserver 127.0.0.53\n");
  await Deno.writeTextFile(machine.paths.resolvedUpstreamResolvConf, "nameserver 10.0.0.1\n");
  await Deno.symlink(machine.paths.resolvedUpstreamResolvConf, machine.paths.resolvConf);
  const plan = await detectSystemDns({
    root: true,
    paths: machine.paths,
    run: new FakeRunner().run,
    os: "linux",
  });
  assert.equal(plan.mode, "resolv.conf");
});

Deno.test("detectSystemDns() picks systemd-resolved when nsswitch.conf asks it, whatever resolv.conf says", async () => {
  await using machine = await fakeMachine();
  await Deno.writeTextFile(machine.paths.resolvedStubResolvConf, "nameserver 127.0.0.53\n");
  await Deno.writeTextFile(machine.paths.resolvConf, "nameserver 10.0.0.1\n");
  await Deno.writeTextFile(
    machine.paths.nsswitchConf,
    "passwd: files\nhosts: files mymachines resolve [!UNAVAIL=return] dns myhostname\n",
  );
  const plan = await detectSystemDns({
    root: true,
    paths: machine.paths,
    run: new FakeRunner().run,
    os: "linux",
  });
  assert.equal(plan.mode, "systemd-resolved");
});

Deno.test("detectSystemDns() falls back to resolv.conf when resolvectl cannot reach resolved", async () => {
  await using machine = await fakeMachine();
  await withResolved(machine);
  const runner = new FakeRunner();
  runner.answers.set("resolvectl status", {
    success: false,
    code: 1,
    stderr: "Failed to get global data",
  });
  const plan = await detectSystemDns({
    root: true,
    paths: machine.paths,
    run: runner.run,
    os: "linux",
  });
  assert.equal(plan.mode, "resolv.conf");
  assert.match(plan.reason, /resolvectl status/);
});

Deno.test("detectSystemDns() picks resolv.conf when resolved runs but resolv.conf bypasses it", async () => {
  await using machine = await fakeMachine();
  await Deno.writeTextFile(machine.paths.resolvedStubResolvConf, "nameserver 127.0.0.53\n");
  await Deno.writeTextFile(machine.paths.resolvConf, "nameserver 10.0.0.1\n");
  const runner = new FakeRunner();
  const plan = await detectSystemDns({
    root: true,
    paths: machine.paths,
    run: runner.run,
    os: "linux",
  });
  assert.equal(plan.mode, "resolv.conf");
});

Deno.test("detectSystemDns() counts a plain resolv.conf naming 127.0.0.53 as resolved's", async () => {
  await using machine = await fakeMachine();
  await Deno.writeTextFile(machine.paths.resolvedStubResolvConf, "nameserver 127.0.0.53\n");
  await Deno.writeTextFile(machine.paths.resolvConf, "nameserver 127.0.0.53\noptions edns0\n");
  const plan = await detectSystemDns({
    root: true,
    paths: machine.paths,
    run: new FakeRunner().run,
    os: "linux",
  });
  assert.equal(plan.mode, "systemd-resolved");
});
