/**
 * A change to the system resolver as data: the actions that make it and the steps that undo
 * it. Modes only build plans; {@link applyPlan} is the one place that changes the system, after
 * the undo steps have been recorded.
 *
 * @module
 */

import { decodeBase64, encodeBase64 } from "./base64.ts";
import { type FileSnapshot, replaceFile, snapshotFile } from "./files.ts";
import type { UndoStep } from "./state.ts";
import type { CommandRunner, SystemDnsMode } from "./types.ts";

/** One thing to do to the system. */
export type Action =
  | { kind: "mkdir"; path: string }
  | { kind: "write-file"; path: string; content: Uint8Array; mode: number }
  | { kind: "run"; command: string; args: string[] };

/** What a mode will do and how to take it back. */
export interface ChangePlan {
  mode: SystemDnsMode;
  actions: Action[];
  /** Recorded before any action runs; carried out in order. */
  undo: UndoStep[];
  /** The line `tpx status` shows while the change is in place. */
  description: string;
}

/**
 * Builds the pair of an action writing `content` to `path` and the step putting `original` back.
 *
 * @param path the file
 * @param content what tpx writes
 * @param original what was there before
 * @returns the action and its undo step
 */
export function fileChange(
  path: string,
  content: string,
  original: FileSnapshot,
): { action: Action; undo: UndoStep } {
  const bytes = new TextEncoder().encode(content);
  return {
    action: { kind: "write-file", path, content: bytes, mode: 0o644 },
    undo: { kind: "restore-file", path, original, writtenBase64: encodeBase64(bytes) },
  };
}

/** The first words of every file tpx writes, to recognise its own. */
export const TPX_MARKER = "# Written by tpx";

/**
 * What to put back at a file tpx owns by name (a drop-in, a resolver file): nothing when the
 * file there is tpx's own, left by a daemon whose record was lost, since putting that back
 * would revive a dead stub.
 *
 * @param path the file
 * @returns what was there before, for the undo step
 */
export async function originalOfOwnFile(path: string): Promise<FileSnapshot> {
  const snapshot = await snapshotFile(path);
  if (snapshot.type !== "file") return snapshot;
  const text = new TextDecoder().decode(decodeBase64(snapshot.contentBase64));
  return text.startsWith(TPX_MARKER) ? { type: "absent" } : snapshot;
}

/**
 * Carries out the actions of a plan in order.
 *
 * @param plan the plan
 * @param run how commands are run
 * @throws {Error} the first action's failure; the caller undoes what was done
 */
export async function applyPlan(plan: ChangePlan, run: CommandRunner): Promise<void> {
  for (const action of plan.actions) {
    switch (action.kind) {
      case "mkdir":
        await Deno.mkdir(action.path, { recursive: true, mode: 0o755 });
        break;
      case "write-file":
        await replaceFile(action.path, action.content, action.mode);
        break;
      case "run": {
        const result = await run(action.command, action.args);
        if (!result.success) {
          throw new Error(
            `"${action.command} ${
              action.args.join(" ")
            }" exited with ${result.code}: ${result.stderr.trim()}`,
          );
        }
      }
    }
  }
}

/**
 * The zone-free address as written in configuration that takes `host:port`.
 *
 * @param address an IPv4 or IPv6 address
 * @param port the port
 * @returns `1.2.3.4:53` or `[::1]:53`
 */
export function hostPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * The names whose lookups go to the stub: the cluster domains and the namespaces, lower case,
 * without trailing dots, each once, in the order given.
 *
 * @param domains cluster domains such as `cluster.local`
 * @param namespaces namespaces such as `shop`
 * @returns the routed names
 */
export function routedNames(
  domains: readonly string[],
  namespaces: readonly string[],
): string[] {
  return unique([...domains, ...namespaces].map(normalize).filter((name) => name !== ""));
}

/**
 * A domain as the resolvers compare it.
 *
 * @param name a domain such as `Shop.`
 * @returns it in lower case without the trailing dot: `shop`
 */
export function normalize(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
}

/**
 * Each item once.
 *
 * @param items a list with repeats
 * @returns the list with each item at its first place only
 */
export function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}
