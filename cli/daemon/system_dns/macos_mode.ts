/**
 * The `macos-resolver` mode: one /etc/resolver/DOMAIN file per cluster domain and namespace
 * (`nameserver` and `port`, see resolver(5)), which macOS reads without a restart. Files are
 * removed on quit; a file for a domain that tpx did not write is left alone and the domain
 * skipped.
 *
 * @module
 */

import type { Logger } from "../../../tunnel/log.ts";
import { pathExists } from "./files.ts";
import {
  type Action,
  type ChangePlan,
  fileChange,
  originalOfOwnFile,
  routedNames,
  TPX_MARKER,
} from "./plan.ts";
import type { UndoStep } from "./state.ts";
import type { StubAddress } from "./types.ts";

/** Options of {@link planMacosResolver}. */
export interface MacosPlanOptions {
  resolverDir: string;
  stub: StubAddress;
  domains: readonly string[];
  namespaces: readonly string[];
  logger: Logger;
}

/**
 * Plans the resolver files.
 *
 * @param options the folder, the stub and the names to route
 * @returns the plan
 */
export async function planMacosResolver(options: MacosPlanOptions): Promise<ChangePlan> {
  const actions: Action[] = [];
  const undo: UndoStep[] = [];
  const written: string[] = [];
  if (!(await pathExists(options.resolverDir))) {
    actions.push({ kind: "mkdir", path: options.resolverDir });
  }
  for (const name of routedNames(options.domains, options.namespaces)) {
    const path = `${options.resolverDir}/${name}`;
    const original = await originalOfOwnFile(path);
    if (original.type !== "absent") {
      options.logger.warn("A resolver file for this domain exists; not replacing it", { path });
      continue;
    }
    const change = fileChange(path, renderResolverFile(options.stub), original);
    actions.push(change.action);
    undo.push(change.undo);
    written.push(path);
  }
  if (actions[0]?.kind === "mkdir") {
    undo.push({ kind: "remove-empty-dir", path: options.resolverDir });
  }
  return {
    mode: "macos-resolver",
    actions,
    undo,
    description: `macos-resolver: ${
      written.map((path) => `"${path}"`).join(", ")
    } name the stub ${options.stub.address} port ${options.stub.port}`,
  };
}

/**
 * A resolver(5) file naming the stub.
 *
 * @param stub the stub
 * @returns the file's text
 */
export function renderResolverFile(stub: StubAddress): string {
  return [
    `${TPX_MARKER} while connected; "tpx quit" removes it.`,
    `nameserver ${stub.address}`,
    `port ${stub.port}`,
    "",
  ].join("\n");
}
