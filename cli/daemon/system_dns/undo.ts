/**
 * Carries out recorded {@link UndoStep}s. Each step is safe to repeat and safe when the change
 * it undoes never happened (a crash between recording and changing), and a file that someone
 * else rewrote in the meantime is left as they wrote it.
 *
 * @module
 */

import type { Logger } from "../../../tunnel/log.ts";
import { decodeBase64 } from "./base64.ts";
import { holds, removeIfPresent, sameSnapshot, snapshotFile, writeSnapshot } from "./files.ts";
import type { UndoStep } from "./state.ts";
import type { CommandRunner } from "./types.ts";

/** What undoing did to one file. */
export interface FileOutcome {
  path: string;
  /**
   * `restored`: the original is back; `unchanged`: it already was (nothing to do);
   * `kept`: someone else rewrote the file, so it was left alone and the original saved aside.
   */
  result: "restored" | "unchanged" | "kept";
  /** Where the original was saved when the file was `kept`. */
  savedOriginal?: string;
}

/** Everything needed to undo. */
export interface UndoContext {
  run: CommandRunner;
  logger: Logger;
  /** Where originals are saved when a file was rewritten by someone else. */
  stateDir: string;
}

/**
 * Carries out `steps` in order; a failing step is logged and the rest still run, so one
 * stuck file does not leave the others changed.
 *
 * @param steps what to undo
 * @param context the runner, logger and state folder
 * @returns what happened to each file, and whether every step succeeded
 */
export async function runUndo(
  steps: readonly UndoStep[],
  context: UndoContext,
): Promise<{ files: FileOutcome[]; ok: boolean }> {
  const files: FileOutcome[] = [];
  let ok = true;
  for (const step of steps) {
    try {
      if (step.kind === "restore-file") files.push(await restoreFile(step, context));
      else if (step.kind === "remove-empty-dir") await removeEmptyDir(step.path);
      else await runStep(step.command, step.args, context);
    } catch (error) {
      ok = false;
      context.logger.error("Undoing a system DNS change failed", { step, error });
    }
  }
  return { files, ok };
}

async function restoreFile(
  step: Extract<UndoStep, { kind: "restore-file" }>,
  context: UndoContext,
): Promise<FileOutcome> {
  const current = await snapshotFile(step.path);
  if (sameSnapshot(current, step.original)) return { path: step.path, result: "unchanged" };
  if (holds(current, decodeBase64(step.writtenBase64))) {
    await writeSnapshot(step.path, step.original);
    context.logger.info("Restored a file changed for the cluster DNS", { path: step.path });
    return { path: step.path, result: "restored" };
  }
  // Someone (a DHCP client, NetworkManager, the user) rewrote the file while tpx was
  // connected: theirs is newer than the original, so it stays, and the original is saved.
  const outcome: FileOutcome = { path: step.path, result: "kept" };
  if (step.original.type === "file") {
    const saved = `${context.stateDir}/${baseName(step.path)}.original-${Date.now()}`;
    await Deno.writeFile(saved, decodeBase64(step.original.contentBase64), { mode: 0o600 });
    outcome.savedOriginal = saved;
  }
  context.logger.warn("File was changed by someone else since tpx wrote it; keeping it", {
    path: step.path,
    original: step.original.type === "symlink" ? `symlink to ${step.original.target}` : undefined,
    savedOriginal: outcome.savedOriginal,
  });
  return outcome;
}

async function removeEmptyDir(path: string): Promise<void> {
  try {
    for await (const _ of Deno.readDir(path)) return;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  await removeIfPresent(path);
}

async function runStep(command: string, args: string[], context: UndoContext): Promise<void> {
  const result = await context.run(command, args);
  if (!result.success) {
    throw new Error(`"${command} ${args.join(" ")}" exited with ${result.code}: ${result.stderr}`);
  }
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
