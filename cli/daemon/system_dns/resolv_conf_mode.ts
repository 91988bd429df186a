/**
 * The `resolv.conf` mode: /etc/resolv.conf is replaced by a file naming only the stub, with the
 * cluster's search domains before the machine's own. The original (bytes, mode, owner, or the
 * symlink and its target) is recorded and put back on quit.
 *
 * resolv.conf has no port: the stub must listen on port 53 of its address
 * ({@link RESOLV_CONF_STUB_PORT}).
 *
 * @module
 */

import type { Logger } from "../../../tunnel/log.ts";
import { snapshotFile } from "./files.ts";
import { type ChangePlan, fileChange, normalize, TPX_MARKER, unique } from "./plan.ts";
import type { StubAddress } from "./types.ts";

/** The only port a resolv.conf name server can be reached on. */
export const RESOLV_CONF_STUB_PORT = 53;

/** Options of {@link planResolvConf}. */
export interface ResolvConfPlanOptions {
  path: string;
  stub: StubAddress;
  /** Put before the machine's search list, such as the namespaces `shop`, `default`. */
  search: readonly string[];
  logger: Logger;
}

/**
 * Reads the current file and plans its replacement.
 *
 * @param options the file, the stub and the search domains
 * @returns the plan
 */
export async function planResolvConf(options: ResolvConfPlanOptions): Promise<ChangePlan> {
  // Without a state file there is no telling what the file was before an earlier tpx wrote
  // it, so its content is kept as the original, and the log says so.
  const original = await snapshotFile(options.path);
  // Through a symlink: what resolvers read today is the target's content.
  let text = "";
  try {
    text = await Deno.readTextFile(options.path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (text.startsWith(TPX_MARKER)) {
    options.logger.warn("The resolv.conf was written by an earlier tpx whose record is lost", {
      path: options.path,
      hint: "after quitting, check that it names the right name servers",
    });
  }
  const change = fileChange(
    options.path,
    renderResolvConf(text, options.stub.address, options.search),
    original,
  );
  return {
    mode: "resolv.conf",
    actions: [change.action],
    undo: [change.undo],
    description:
      `resolv.conf: "${options.path}" names the stub ${options.stub.address}:${RESOLV_CONF_STUB_PORT}, the original is put back on quit`,
  };
}

/**
 * The resolv.conf tpx writes: one name server (the stub, which forwards other names to the
 * servers of `original`), the new search domains before the original ones, and the original
 * `options` and `sortlist` lines, which describe the machine rather than its servers.
 *
 * @example
 * ```ts
 * renderResolvConf("nameserver 10.0.0.1\nsearch lan\n", "127.0.0.1", ["shop"]);
 * // "# Written by tpx ...\nnameserver 127.0.0.1\nsearch shop lan\n"
 * ```
 *
 * @param original the current file's text
 * @param stubAddress the stub's address
 * @param search the search domains to put first
 * @returns the new file's text
 */
export function renderResolvConf(
  original: string,
  stubAddress: string,
  search: readonly string[],
): string {
  let oldSearch: string[] = [];
  const kept: string[] = [];
  for (const line of original.split(/\r?\n/)) {
    const [keyword, ...values] = line.replace(/[#;].*/, "").trim().split(/\s+/);
    // glibc uses the last "search" or "domain" line.
    if (keyword === "search" || keyword === "domain") oldSearch = values.filter(Boolean);
    if (keyword === "options" || keyword === "sortlist") kept.push(line.trim());
  }
  const domains = unique([...search.map(normalize), ...oldSearch.map(normalize)])
    .filter((domain) => domain !== "");
  return [
    `${TPX_MARKER} while connected: names go to its DNS stub. "tpx quit" puts the original back.`,
    `nameserver ${stubAddress}`,
    ...(domains.length > 0 ? [`search ${domains.join(" ")}`] : []),
    ...kept,
    "",
  ].join("\n");
}
