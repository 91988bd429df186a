/**
 * Test helpers of the system DNS tests, imported by nothing else: a temporary machine root, a
 * command runner that records calls, and a process probe whose answers the test sets.
 *
 * @module
 */

import type { Owner, ProcessProbe } from "./owner.ts";
import type { CommandResult, CommandRunner, SystemDnsPaths } from "./types.ts";

/** A temporary folder laid out like a machine's, removed on dispose. */
export interface FakeMachine extends AsyncDisposable {
  root: string;
  paths: SystemDnsPaths;
  stateDir: string;
}

/**
 * Creates an empty temporary machine: /etc, /run/systemd/resolve and a state folder.
 *
 * @returns the machine
 */
export async function fakeMachine(): Promise<FakeMachine> {
  const root = await Deno.makeTempDir({ prefix: "tpx-system-dns-" });
  await Deno.mkdir(`${root}/etc`);
  await Deno.mkdir(`${root}/run/systemd/resolve`, { recursive: true });
  return {
    root,
    stateDir: `${root}/var/lib/tpx`,
    paths: {
      resolvConf: `${root}/etc/resolv.conf`,
      resolvedDropInDir: `${root}/run/systemd/resolved.conf.d`,
      resolvedStubResolvConf: `${root}/run/systemd/resolve/stub-resolv.conf`,
      resolvedUpstreamResolvConf: `${root}/run/systemd/resolve/resolv.conf`,
      nsswitchConf: `${root}/etc/nsswitch.conf`,
      macosResolverDir: `${root}/etc/resolver`,
      proc: `${root}/proc`,
    },
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

/** A runner that records each call and answers from a table (success by default). */
export class FakeRunner {
  readonly calls: string[] = [];
  readonly answers = new Map<string, Partial<CommandResult>>();

  readonly run: CommandRunner = (command, args) => {
    const line = [command, ...args].join(" ");
    this.calls.push(line);
    const answer = this.answers.get(line) ?? {};
    return Promise.resolve({ success: true, code: 0, stdout: "", stderr: "", ...answer });
  };
}

/** A probe whose `self()` is a fixed pid and whose live pids the test chooses. */
export class FakeProcesses implements ProcessProbe {
  readonly running = new Set<number>();
  constructor(readonly pid: number = 4242) {
    this.running.add(pid);
  }
  self(): Promise<Owner> {
    return Promise.resolve({ pid: this.pid });
  }
  alive(owner: Owner): Promise<boolean> {
    return Promise.resolve(this.running.has(owner.pid));
  }
}

/** Whether a path exists (without following a symlink): the same check the code makes. */
export { pathExists as exists } from "./files.ts";
