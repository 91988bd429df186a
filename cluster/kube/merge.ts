/**
 * Merging kubeconfig files with kubectl's rules. client-node's `loadFromDefault()` differs: it
 * throws on a name defined in two files and lets the last file's `current-context` win, where
 * kubectl keeps the first of each.
 *
 * @module
 */

import { dirname, isAbsolute, join } from "node:path";
import { kubeconfigInvalid } from "./config_errors.ts";
import type { KubeconfigFile } from "./kubeconfig_files.ts";

/** A named cluster, user or context entry, with the file that defined it. */
export interface KubeconfigEntry {
  name: string;
  /** The entry's body (`cluster:`, `user:` or `context:`), relative paths made absolute. */
  body: Record<string, unknown>;
  /** The file it came from, for error messages. */
  source: string;
}

/** The merged view of all kubeconfig files. */
export interface MergedKubeconfig {
  /** The files, in precedence order. */
  files: string[];
  /** From the first file that sets it. */
  currentContext: string | undefined;
  clusters: Map<string, KubeconfigEntry>;
  users: Map<string, KubeconfigEntry>;
  contexts: Map<string, KubeconfigEntry>;
}

/** Fields holding file paths, which kubectl resolves against the file that names them. */
const PATH_FIELDS = {
  clusters: ["certificate-authority"],
  users: ["client-certificate", "client-key", "tokenFile", "token-file"],
  contexts: [],
} as const;

/**
 * Merges parsed kubeconfig files: for each name the first file that defines it wins, and the
 * current context is the first one set.
 *
 * @param files parsed files in precedence order
 * @returns the merged view
 * @throws {TpxError} `kubeconfig_invalid` for an entry without a name or a body
 * @example
 * ```ts
 * const merged = mergeKubeconfigs([{ path: "/a", document: { "current-context": "dev" } }]);
 * merged.currentContext; // "dev"
 * ```
 */
export function mergeKubeconfigs(files: readonly KubeconfigFile[]): MergedKubeconfig {
  const merged: MergedKubeconfig = {
    files: files.map((file) => file.path),
    currentContext: undefined,
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
  };
  for (const file of files) {
    const current = file.document["current-context"];
    if (merged.currentContext === undefined && typeof current === "string" && current !== "") {
      merged.currentContext = current;
    }
    for (const kind of ["clusters", "users", "contexts"] as const) {
      for (const entry of entriesOf(file, kind)) {
        if (!merged[kind].has(entry.name)) merged[kind].set(entry.name, entry);
      }
    }
  }
  return merged;
}

function entriesOf(
  file: KubeconfigFile,
  kind: "clusters" | "users" | "contexts",
): KubeconfigEntry[] {
  const list = file.document[kind];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw kubeconfigInvalid(file.path, `"${kind}" is not a list`);
  const bodyKey = kind.slice(0, -1);
  return list.map((item: unknown, index) => {
    const record = isRecord(item) ? item : {};
    const name = record.name;
    if (typeof name !== "string" || name === "") {
      throw kubeconfigInvalid(file.path, `${kind}[${index}] has no name`);
    }
    const body = record[bodyKey] ?? {};
    if (!isRecord(body)) {
      throw kubeconfigInvalid(file.path, `${kind.slice(0, -1)} "${name}" is not a mapping`);
    }
    return { name, body: resolvePaths(body, kind, dirname(file.path)), source: file.path };
  });
}

function resolvePaths(
  body: Record<string, unknown>,
  kind: keyof typeof PATH_FIELDS,
  base: string,
): Record<string, unknown> {
  const resolved = { ...body };
  for (const field of PATH_FIELDS[kind]) {
    const value = resolved[field];
    if (typeof value === "string" && value !== "" && !isAbsolute(value)) {
      resolved[field] = join(base, value);
    }
  }
  // kubectl resolves an exec command against the kubeconfig's folder only when it is a
  // relative path; a bare name is looked up on PATH.
  const exec = resolved.exec;
  if (kind === "users" && isRecord(exec) && typeof exec.command === "string") {
    const command = exec.command;
    if (command.includes("/") && !isAbsolute(command)) {
      resolved.exec = { ...exec, command: join(base, command) };
    }
  }
  return resolved;
}

/** Whether `value` is a plain mapping. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
