/**
 * The state file: written before anything system-wide changes, it records who changed what
 * and exactly how to undo it, so that a daemon that crashed can be cleaned up after by the
 * next `connect` or `quit`.
 *
 * @module
 */

import { TpxError } from "../../../tunnel/protocol/errors.ts";
import type { FileSnapshot } from "./files.ts";
import type { Owner } from "./owner.ts";
import type { SystemDnsMode } from "./types.ts";

/** The state file's name inside its folder. */
export const STATE_FILE_NAME = "system-dns.json";

/**
 * The default folder of the state file: on persistent storage, because the files tpx changes
 * (/etc/resolv.conf, /etc/resolver) survive a reboot and so must the record of how to undo
 * them; `/var/run` is emptied at boot.
 */
export const DEFAULT_STATE_DIR = Deno.build.os === "darwin" ? "/var/db/tpx" : "/var/lib/tpx";

/** One thing to undo, in the order recorded. */
export type UndoStep =
  | {
    /** Put `original` back at `path`, but only while `path` still holds what tpx wrote. */
    kind: "restore-file";
    path: string;
    original: FileSnapshot;
    writtenBase64: string;
  }
  | {
    /** Remove a folder tpx created, if it is empty. */
    kind: "remove-empty-dir";
    path: string;
  }
  | {
    /** Run a command, such as telling systemd-resolved to read its configuration again. */
    kind: "run";
    command: string;
    args: string[];
  };

/** The content of the state file. */
export interface SystemDnsState {
  version: 1;
  mode: SystemDnsMode;
  owner: Owner;
  createdAt: string;
  undo: UndoStep[];
}

/**
 * Reads the state file of `stateDir`.
 *
 * @param stateDir the folder
 * @returns the state, or `undefined` when there is none
 * @throws {TpxError} (internal) when the file exists but is not a state file
 */
export async function readState(stateDir: string): Promise<SystemDnsState | undefined> {
  const path = statePath(stateDir);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    const state = JSON.parse(text) as SystemDnsState;
    if (state.version !== 1 || !Array.isArray(state.undo)) throw new Error("unknown layout");
    return state;
  } catch (error) {
    throw new TpxError("internal", `Cannot read the DNS state file "${path}"`, {
      code: "system_dns_state_unreadable",
      hint: "restore the resolver configuration by hand, then delete this file",
      cause: error,
    });
  }
}

/**
 * Writes the state file durably: a temporary file, synced, renamed over the old one, so a
 * crash leaves either the old or the new record and never half of one.
 *
 * @param stateDir the folder, created if missing (mode 0700: it holds copies of system files)
 * @param state what to record
 */
export async function writeState(stateDir: string, state: SystemDnsState): Promise<void> {
  await Deno.mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = statePath(stateDir);
  const temporary = `${path}.tmp`;
  {
    using file = await Deno.open(temporary, { write: true, create: true, truncate: true });
    const bytes = new TextEncoder().encode(JSON.stringify(state, null, 2) + "\n");
    for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
    await file.sync();
  }
  await Deno.rename(temporary, path);
}

/**
 * Removes the state file, and its folder once nothing else is in it (tpx made it: the machine
 * is left as it was); none is fine.
 *
 * @param stateDir the folder
 */
export async function removeState(stateDir: string): Promise<void> {
  try {
    await Deno.remove(statePath(stateDir));
    for await (const _ of Deno.readDir(stateDir)) return;
    await Deno.remove(stateDir);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/**
 * The path of the state file of a folder.
 *
 * @param stateDir the folder
 * @returns the file's path
 */
export function statePath(stateDir: string): string {
  return `${stateDir}/${STATE_FILE_NAME}`;
}
