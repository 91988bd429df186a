/**
 * Which kubeconfig files to read, and reading them, the way kubectl does: `--kubeconfig`
 * alone if given, else every file of `KUBECONFIG` (missing ones skipped), else
 * `~/.kube/config`.
 *
 * @module
 */

import { isAbsolute, join } from "node:path";
import { kubeconfigInvalid, kubeconfigMissing, kubeconfigUnreadable } from "./config_errors.ts";

/** Where to look for kubeconfig files. */
export interface KubeconfigSources {
  /** The files, in the order their entries take precedence. */
  paths: string[];
  /** Whether the user named them (`--kubeconfig`), so that a missing one is an error. */
  explicit: boolean;
}

/** One kubeconfig file, parsed but not yet interpreted. */
export interface KubeconfigFile {
  path: string;
  /** The parsed document; `{}` for an empty file, as kubectl treats it. */
  document: Record<string, unknown>;
}

/**
 * The files kubectl would read for these options.
 *
 * @param kubeconfig the `--kubeconfig` flag, if given
 * @param env the environment to read `KUBECONFIG` and `HOME` from
 * @returns the paths, in precedence order
 * @example
 * ```ts
 * kubeconfigSources(undefined, { KUBECONFIG: "/a:/b" }); // { paths: ["/a", "/b"], explicit: false }
 * ```
 */
export function kubeconfigSources(
  kubeconfig: string | undefined,
  env: Readonly<Record<string, string>>,
): KubeconfigSources {
  if (kubeconfig !== undefined && kubeconfig !== "") {
    return { paths: [kubeconfig], explicit: true };
  }
  const list = env.KUBECONFIG ?? "";
  if (list !== "") {
    const delimiter = Deno.build.os === "windows" ? ";" : ":";
    // kubectl reads a file named twice only once, at its first place.
    const paths = [...new Set(list.split(delimiter).filter((path) => path !== ""))];
    return { paths, explicit: false };
  }
  const home = env.HOME ?? env.USERPROFILE ?? "";
  return { paths: [join(home, ".kube", "config")], explicit: false };
}

/**
 * Reads and parses the files of `sources`, skipping missing ones unless they were named
 * explicitly.
 *
 * @param sources from {@link kubeconfigSources}
 * @param parseYaml turns YAML text into a value (client-node's YAML parser, passed in so this
 *   module does not load client-node itself)
 * @returns the files that exist, in precedence order
 * @throws {TpxError} `kubeconfig_missing` if none exists, `kubeconfig_unreadable` or
 *   `kubeconfig_invalid` for a file that cannot be used
 */
export async function readKubeconfigFiles(
  sources: KubeconfigSources,
  parseYaml: (text: string) => unknown,
): Promise<KubeconfigFile[]> {
  const files: KubeconfigFile[] = [];
  for (const path of sources.paths) {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound && !sources.explicit) continue;
      throw kubeconfigUnreadable(path, error);
    }
    files.push({ path: absolute(path), document: parseDocument(path, text, parseYaml) });
  }
  if (files.length === 0) throw kubeconfigMissing(sources.paths);
  return files;
}

function parseDocument(
  path: string,
  text: string,
  parseYaml: (text: string) => unknown,
): Record<string, unknown> {
  // A file of only blanks and comments is an empty kubeconfig to kubectl, but not to the parser.
  if (text.split("\n").every((line) => /^\s*(#.*)?$/.test(line))) return {};
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message.trim().split("\n")[0] : String(error);
    throw kubeconfigInvalid(path, `not valid YAML: ${detail}`, error);
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    throw kubeconfigInvalid(path, "expected a mapping with clusters, users and contexts");
  }
  return document as Record<string, unknown>;
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : join(Deno.cwd(), path);
}
