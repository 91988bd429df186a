/**
 * `tpx demo` as a person runs it: a process of its own that starts a manager, an agent and a
 * daemon, walks the data path, and — passed, failed or interrupted — leaves no process and no
 * directory behind.
 */
import assert from "node:assert/strict";
import type { DemoReport } from "../cli/demo/report.ts";

const mainModule = new URL("../main.ts", import.meta.url).pathname;

function demoCommand(args: string[], env: Record<string, string> = {}): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", mainModule, "demo", ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

async function runDemo(args: string[], env: Record<string, string> = {}) {
  const output = await demoCommand(args, env).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** The command line of `pid`, or `undefined` when no such process runs (zombies count as gone). */
async function commandOf(pid: number): Promise<string | undefined> {
  const output = await new Deno.Command("ps", {
    args: ["-p", String(pid), "-o", "command="],
    stdout: "piped",
    stderr: "null",
  }).output();
  const command = new TextDecoder().decode(output.stdout).trim();
  return output.code === 0 && command !== "" && !command.includes("<defunct>")
    ? command
    : undefined;
}

/**
 * Fails unless every tpx process the demo reported is gone. The demo waited for the manager
 * and the agent to exit, so they must be gone at once. The daemon is not its child to wait
 * for: the demo saw its socket go away, and the process ends a moment later, so for it alone
 * this polls briefly (a daemon that lingers lingers for good).
 */
async function assertAllGone(pids: Record<string, number | undefined>): Promise<void> {
  for (const [role, pid] of Object.entries(pids)) {
    if (pid === undefined) continue;
    let command = await commandOf(pid);
    const deadline = Date.now() + (role === "daemon" ? 5_000 : 0);
    while (command?.includes("main.ts") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      command = await commandOf(pid);
    }
    assert.ok(!command?.includes("main.ts"), `the ${role} (pid ${pid}) still runs: ${command}`);
  }
}

/** The JSON report on stdout; fails with what the demo said when there is none. */
function reportOf(result: { code: number; stdout: string; stderr: string }): DemoReport {
  try {
    return JSON.parse(result.stdout) as DemoReport;
  } catch {
    assert.fail(`tpx demo printed no report (exit ${result.code}): ${result.stderr}`);
  }
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("tpx demo passes every step, and leaves no process and no directory behind", async () => {
  const result = await runDemo(["-o", "json"]);
  const report = reportOf(result);
  const failed = report.steps.filter((s) => !s.ok).map((s) => `${s.name}: ${s.detail}`);
  assert.deepEqual(failed, [], result.stderr);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(report.ok, true);
  assert.deepEqual(report.steps.map((s) => s.name), [
    "start the sample service",
    "start the traffic-manager",
    "start the traffic-agent",
    "connect",
    "resolve hello.demo",
    "request http://hello.demo",
    "intercept hello",
    "request http://hello.demo (intercepted)",
    "leave hello-demo",
    "request http://hello.demo (after leave)",
    "quit",
    "clean up",
  ]);
  const answers = report.steps.filter((s) => s.name.startsWith("request")).map((s) =>
    /answered "([^"]+)"/.exec(s.detail)?.[1]
  );
  assert.deepEqual(answers, [
    "hello from the sample service",
    "hello from your machine",
    "hello from the sample service",
  ]);
  assert.ok(report.pids.manager && report.pids.agent && report.pids.daemon, "three pids");
  await assertAllGone(report.pids);
  assert.equal(await exists(report.dir), false, `${report.dir} was removed`);
  assert.deepEqual(report.logs, []);
});

Deno.test("tpx demo interrupted with SIGINT stops what it started and removes its directory", async () => {
  const child = demoCommand([]).spawn();
  const lines: string[] = [];
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  let interrupted = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    pending += value;
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    lines.push(...parts);
    // Right after the manager: starting the agent and the daemon, two more processes, takes
    // far longer than this signal takes to arrive, so the demo is still midway.
    if (!interrupted && lines.some((l) => l.startsWith("✔ start the traffic-manager"))) {
      interrupted = true;
      child.kill("SIGINT");
    }
  }
  const stderr = new TextDecoder().decode(
    await new Response(child.stderr).arrayBuffer(),
  );
  const status = await child.status;
  assert.ok(interrupted, `the manager never started: ${lines.join("\n")}\n${stderr}`);
  assert.equal(status.code, 1, stderr);
  assert.match(stderr, /Error: The demo was interrupted; everything it started is stopped/);
  assert.match(lines.join("\n"), /^the demo was interrupted at ".+" after/m);
  const cleanup = lines.find((l) => l.includes(" clean up — "));
  assert.match(cleanup ?? "", /^✔ clean up — .*removed (\S+)$/);
  const dir = /removed (\S+)$/.exec(cleanup!)![1]!;
  assert.equal(await exists(dir), false);
  const pid = (step: string) => {
    const found = lines.find((l) => l.includes(` ${step} — `));
    const match = /\bpid (\d+)/.exec(found ?? "");
    return match ? Number(match[1]) : undefined;
  };
  const pids = {
    manager: pid("start the traffic-manager"),
    agent: pid("start the traffic-agent"),
    daemon: pid("connect"),
  };
  assert.ok(pids.manager, lines.join("\n"));
  await assertAllGone(pids);
});

Deno.test("tpx demo that fails exits 1, names the step, keeps only the logs and stops everything", async () => {
  // A temporary directory so deep that the daemon's socket path is too long to bind: the
  // daemon cannot start, as on a machine whose TMPDIR is too long.
  const base = await Deno.makeTempDir({ prefix: "tpx-demo-test-" });
  const deep = `${base}/${"d".repeat(60)}/${"e".repeat(40)}`;
  await Deno.mkdir(deep, { recursive: true });
  try {
    const result = await runDemo(["-o", "json"], { TMPDIR: deep });
    assert.equal(result.code, 1, result.stderr);
    const report = reportOf(result);
    assert.equal(report.ok, false);
    assert.equal(report.interrupted, false);
    const failed = report.steps.find((s) => !s.ok);
    assert.equal(failed?.name, "connect");
    assert.match(failed?.detail ?? "", /daemon did not start/);
    assert.equal(report.steps.at(-1)?.name, "clean up");
    assert.equal(report.steps.at(-1)?.ok, true);
    assert.match(result.stderr, /Error: The demo failed at "connect"/);
    assert.deepEqual(report.logs.map((l) => l.slice(report.dir.length + 1)), [
      "agent.log",
      "home/daemon.log",
      "manager.log",
    ]);
    for (const log of report.logs) assert.match(result.stderr, new RegExp(`"${log}"`));
    const manager = await Deno.readTextFile(`${report.dir}/manager.log`);
    assert.match(manager, /"msg":"manager started"/);
    assert.equal(await exists(`${report.dir}/home/daemon.sock`), false);
    await assertAllGone(report.pids);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
