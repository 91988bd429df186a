/**
 * Exact copies of files as they were (bytes, mode, owner, or a symlink and its target), and
 * writing them back. Every change to a system file goes through here so that "put back
 * exactly" has one definition.
 *
 * @module
 */

import { decodeBase64, encodeBase64 } from "./base64.ts";

/** What was at a path: a regular file, a symlink (not followed), or nothing. */
export type FileSnapshot =
  | { type: "file"; contentBase64: string; mode: number; uid: number | null; gid: number | null }
  | { type: "symlink"; target: string }
  | { type: "absent" };

/**
 * Records what is at `path` without following a symlink.
 *
 * @param path the file
 * @returns its snapshot
 * @throws {Deno.errors.PermissionDenied} when it cannot be read
 */
export async function snapshotFile(path: string): Promise<FileSnapshot> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { type: "absent" };
    throw error;
  }
  if (info.isSymlink) return { type: "symlink", target: await Deno.readLink(path) };
  const content = await Deno.readFile(path);
  return {
    type: "file",
    contentBase64: encodeBase64(content),
    // Only permission bits: the file type bits are implied by `type`.
    mode: (info.mode ?? 0o644) & 0o7777,
    uid: info.uid,
    gid: info.gid,
  };
}

/** Whether two snapshots describe the same thing at a path. */
export function sameSnapshot(a: FileSnapshot, b: FileSnapshot): boolean {
  if (a.type === "absent" || b.type === "absent") return a.type === b.type;
  if (a.type === "symlink" || b.type === "symlink") {
    return a.type === "symlink" && b.type === "symlink" && a.target === b.target;
  }
  return a.contentBase64 === b.contentBase64;
}

/** Whether the snapshot is a regular file holding exactly `content`. */
export function holds(snapshot: FileSnapshot, content: Uint8Array): boolean {
  return snapshot.type === "file" && snapshot.contentBase64 === encodeBase64(content);
}

/**
 * Puts a snapshot back at `path`: the same bytes with the same mode and owner, the same
 * symlink, or no file.
 *
 * @param path the file
 * @param snapshot what to put there
 */
export async function writeSnapshot(path: string, snapshot: FileSnapshot): Promise<void> {
  switch (snapshot.type) {
    case "absent":
      await removeIfPresent(path);
      return;
    case "symlink":
      await replaceWithSymlink(path, snapshot.target);
      return;
    case "file":
      await replaceFile(path, decodeBase64(snapshot.contentBase64), snapshot.mode);
      if (snapshot.uid !== null && snapshot.gid !== null) {
        const info = await Deno.lstat(path);
        if (info.uid !== snapshot.uid || info.gid !== snapshot.gid) {
          await Deno.chown(path, snapshot.uid, snapshot.gid);
        }
      }
  }
}

/**
 * Writes a regular file in place of whatever is at `path` (a symlink is replaced, not written
 * through: its target belongs to someone else, such as systemd-resolved).
 *
 * Readers never see half a file: the bytes go to a temporary file beside it that is renamed
 * over. When `path` is a mount point (a container's bind-mounted /etc/resolv.conf) a rename
 * cannot replace it, and the file is rewritten in place instead.
 *
 * @param path the file
 * @param content its bytes
 * @param mode its permission bits
 */
export async function replaceFile(path: string, content: Uint8Array, mode: number): Promise<void> {
  const temporary = `${path}.tpx-${Deno.pid}.tmp`;
  await Deno.writeFile(temporary, content, { mode });
  // writeFile's mode is filtered by the umask; the file must have exactly `mode`.
  await Deno.chmod(temporary, mode);
  try {
    await Deno.rename(temporary, path);
    return;
  } catch (error) {
    await removeIfPresent(temporary);
    // Deno reports EBUSY as a plain Error with `code`, not as Deno.errors.Busy.
    if (!isBusy(error)) throw error;
  }
  const info = await Deno.lstat(path);
  if (info.isSymlink) throw new Error(`"${path}" is a symlink on a mount point`);
  await Deno.writeFile(path, content);
  await Deno.chmod(path, mode);
}

async function replaceWithSymlink(path: string, target: string): Promise<void> {
  const temporary = `${path}.tpx-${Deno.pid}.tmp`;
  await removeIfPresent(temporary);
  await Deno.symlink(target, temporary);
  try {
    await Deno.rename(temporary, path);
  } catch (error) {
    await removeIfPresent(temporary);
    throw error;
  }
}

/**
 * Removes a file or an empty folder; nothing there is fine.
 *
 * @param path what to remove
 */
export async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Options of {@link pathExists}. */
export interface PathExistsOptions {
  /** Look through a symlink: one whose target is missing then counts as nothing there. */
  followSymlink?: boolean;
}

/**
 * Whether anything (a file, a folder, a symlink) is at `path`.
 *
 * @param path what to look for
 * @param options whether a symlink is followed (not by default)
 * @returns true when something is there
 */
export async function pathExists(
  path: string,
  options: PathExistsOptions = {},
): Promise<boolean> {
  try {
    await (options.followSymlink ? Deno.stat(path) : Deno.lstat(path));
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function isBusy(error: unknown): boolean {
  return error instanceof Deno.errors.Busy ||
    (error instanceof Error && (error as Error & { code?: string }).code === "EBUSY");
}
