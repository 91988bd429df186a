/**
 * The `systemd-resolved` mode: a drop-in routes only the cluster's domains to the stub, and
 * systemd-resolved is told to read its configuration again.
 *
 * Why a drop-in file and not `resolvectl dns LINK` / `resolvectl domain LINK`: tpx has no
 * network link of its own (no TUN device), and setting the DNS of an existing link replaces
 * what NetworkManager or networkd put there, which cannot be restored exactly and is rewritten
 * behind tpx's back. A drop-in is tpx's own file: removing it restores the configuration
 * exactly. It goes under /run by default, which is emptied at boot, so even a crash followed by
 * a reboot leaves nothing behind.
 *
 * `DNS=ADDRESS:PORT` is documented in resolved.conf(5); ports were accepted from systemd 246 on
 * ({@link RESOLVED_PORT_MIN_VERSION}); with an older systemd the stub must use port 53.
 *
 * @module
 */

import { pathExists } from "./files.ts";
import {
  type Action,
  type ChangePlan,
  fileChange,
  hostPort,
  originalOfOwnFile,
  routedNames,
  TPX_MARKER,
} from "./plan.ts";
import type { UndoStep } from "./state.ts";
import type { StubAddress } from "./types.ts";

/** The first systemd whose `DNS=` takes `address:port`. */
export const RESOLVED_PORT_MIN_VERSION = 246;

/** The drop-in's name; `zz-` sorts it last, so its `DNS=` list is not reset by a later file. */
export const RESOLVED_DROP_IN_NAME = "zz-tpx.conf";

/** The command that makes systemd-resolved read its configuration again. */
export const RESOLVED_RELOAD: { command: string; args: string[] } = {
  command: "systemctl",
  // reload where resolved supports it (it then keeps its cache), restart where it does not.
  args: ["reload-or-restart", "systemd-resolved.service"],
};

/** Options of {@link planResolved}. */
export interface ResolvedPlanOptions {
  dropInDir: string;
  stub: StubAddress;
  domains: readonly string[];
  namespaces: readonly string[];
}

/**
 * Plans the drop-in.
 *
 * @param options the folder, the stub and the names to route
 * @returns the plan
 */
export async function planResolved(options: ResolvedPlanOptions): Promise<ChangePlan> {
  const path = `${options.dropInDir}/${RESOLVED_DROP_IN_NAME}`;
  const names = routedNames(options.domains, options.namespaces);
  const change = fileChange(path, renderDropIn(options.stub, names), await originalOfOwnFile(path));
  const actions: Action[] = [];
  const undo: UndoStep[] = [change.undo];
  if (!(await pathExists(options.dropInDir))) {
    actions.push({ kind: "mkdir", path: options.dropInDir });
    undo.push({ kind: "remove-empty-dir", path: options.dropInDir });
  }
  actions.push(change.action, { kind: "run", ...RESOLVED_RELOAD });
  undo.push({ kind: "run", ...RESOLVED_RELOAD });
  return {
    mode: "systemd-resolved",
    actions,
    undo,
    description: `systemd-resolved: ${names.join(", ")} go to the stub ${
      hostPort(options.stub.address, options.stub.port)
    } ("${path}")`,
  };
}

/**
 * The drop-in's text.
 *
 * @example
 * ```ts
 * renderDropIn({ address: "127.0.0.1", port: 5353 }, ["cluster.local", "shop"]);
 * // "...[Resolve]\nDNS=127.0.0.1:5353\nDomains=~cluster.local ~shop\n"
 * ```
 *
 * @param stub the stub
 * @param names the route-only domains
 * @returns the file's text
 */
export function renderDropIn(stub: StubAddress, names: readonly string[]): string {
  const dns = stub.port === 53 ? stub.address : hostPort(stub.address, stub.port);
  return [
    `${TPX_MARKER} while connected: cluster names go to its DNS stub. "tpx quit" removes it.`,
    "[Resolve]",
    `DNS=${dns}`,
    `Domains=${names.map((name) => `~${name}`).join(" ")}`,
    "",
  ].join("\n");
}
