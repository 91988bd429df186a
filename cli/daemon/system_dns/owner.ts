/**
 * Who made a change: the daemon's pid, with what tells a live daemon from a later process
 * that got the same pid (its start time and the boot it started in, on Linux).
 *
 * @module
 */

import { pathExists } from "./files.ts";
import type { CommandRunner } from "./types.ts";

/** The process that owns a recorded change. */
export interface Owner {
  pid: number;
  /** Field 22 of `/proc/PID/stat` (start time in clock ticks after boot), when known. */
  startTime?: string;
  /** `/proc/sys/kernel/random/boot_id`, when known: a pid of another boot is never alive. */
  bootId?: string;
}

/** Tells who this process is and whether a recorded owner still runs. */
export interface ProcessProbe {
  /** The owner record of the calling process. */
  self(): Promise<Owner>;
  /** Whether `owner` is still running (the same process, not a reused pid). */
  alive(owner: Owner): Promise<boolean>;
}

/**
 * The probe of a real machine: `/proc` where it exists (Linux), `kill -0` elsewhere (macOS).
 *
 * @example
 * ```ts
 * const probe = systemProbe("/proc", runCommand);
 * await probe.alive({ pid: 1 }); // true
 * ```
 *
 * @param proc the proc file system, `/proc` on a real machine
 * @param run how `kill -0` is run where there is no `/proc`
 * @returns the probe
 */
export function systemProbe(proc: string, run: CommandRunner): ProcessProbe {
  return {
    async self(): Promise<Owner> {
      const owner: Owner = { pid: Deno.pid };
      const startTime = await readStartTime(proc, Deno.pid);
      const bootId = await readBootId(proc);
      if (startTime !== undefined) owner.startTime = startTime;
      if (bootId !== undefined) owner.bootId = bootId;
      return owner;
    },
    async alive(owner: Owner): Promise<boolean> {
      const bootId = await readBootId(proc);
      if (owner.bootId !== undefined && bootId !== undefined && owner.bootId !== bootId) {
        return false;
      }
      if (await pathExists(`${proc}/self`)) {
        const startTime = await readStartTime(proc, owner.pid);
        if (startTime === undefined) return false;
        return owner.startTime === undefined || owner.startTime === startTime;
      }
      // kill -0 only asks whether the pid exists (EPERM still means it does: "not permitted").
      const result = await run("kill", ["-0", String(owner.pid)]);
      return result.success || /not permitted/i.test(result.stderr);
    },
  };
}

async function readStartTime(proc: string, pid: number): Promise<string | undefined> {
  try {
    const stat = await Deno.readTextFile(`${proc}/${pid}/stat`);
    // The command name in parentheses may hold spaces; fields are counted after its ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Field 22 overall is the 20th after "pid (comm)".
    const state = fields[0];
    if (state === "Z" || state === "X") return undefined;
    return fields[19];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function readBootId(proc: string): Promise<string | undefined> {
  try {
    return (await Deno.readTextFile(`${proc}/sys/kernel/random/boot_id`)).trim();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}
