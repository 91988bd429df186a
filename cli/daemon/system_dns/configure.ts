/**
 * Points the machine's resolver at the stub ({@link configureSystemDns}) and takes it back
 * ({@link SystemDnsChange.restore}, {@link repairStale}).
 *
 * The order is what makes it crash-safe: first the record of how to undo (the state file),
 * then the change. Whatever point a crash stops at, the next `connect` or `quit` finds the
 * record, sees its daemon is gone, and undoes exactly what is recorded.
 *
 * @module
 */

import type { Logger } from "../../../tunnel/log.ts";
import { TpxError } from "../../../tunnel/protocol/errors.ts";
import { detectSystemDns, type SystemDnsPlan } from "./detect.ts";
import { planMacosResolver } from "./macos_mode.ts";
import { type ProcessProbe, systemProbe } from "./owner.ts";
import { applyPlan, type ChangePlan } from "./plan.ts";
import { planResolvConf } from "./resolv_conf_mode.ts";
import { planResolved } from "./resolved_mode.ts";
import { runCommand } from "./runner.ts";
import { DEFAULT_STATE_DIR, readState, removeState, statePath, writeState } from "./state.ts";
import {
  type CommandRunner,
  DEFAULT_PATHS,
  type StubAddress,
  SystemDnsMode,
  type SystemDnsPaths,
} from "./types.ts";
import { type FileOutcome, runUndo } from "./undo.ts";

/** Options of {@link configureSystemDns}. */
export interface SystemDnsOptions {
  /** The running stub. */
  stub: StubAddress;
  /** Cluster domains to route to the stub, such as `cluster.local`. */
  domains: readonly string[];
  /** Namespaces whose names (`web.shop`) go to the stub, and come first in the search list. */
  searchNamespaces: readonly string[];
  /** Whether the daemon runs as root; without root nothing system-wide changes. */
  root: boolean;
  logger: Logger;
  /** Where the record of the change is kept; {@link DEFAULT_STATE_DIR} by default. */
  stateDir?: string;
  /** The outcome of {@link detectSystemDns}, when the caller detected before starting the stub. */
  plan?: SystemDnsPlan;
  paths?: Partial<SystemDnsPaths>;
  run?: CommandRunner;
  processes?: ProcessProbe;
  /** `Deno.build.os` by default. */
  os?: typeof Deno.build.os;
}

/** What restoring did. */
export interface RestoreResult {
  /** Every recorded step succeeded (files `kept` for their new owner count as success). */
  ok: boolean;
  files: FileOutcome[];
}

/** A change to the system resolver, in place until restored. */
export interface SystemDnsChange {
  readonly mode: SystemDnsMode;
  /** The line `tpx status` shows. */
  describe(): string;
  /** Puts everything back; calling it again returns the first call's result. */
  restore(): Promise<RestoreResult>;
}

/** The hint shown wherever the system resolver was left alone. */
export const ROOTLESS_HINT =
  'cluster names resolve in commands started with "tpx run -- CMD", or through the proxy';

/**
 * Points the system resolver at the stub, in the mode that fits this machine. A change left by
 * a daemon that is gone is undone first.
 *
 * @example
 * ```ts
 * const change = await configureSystemDns({
 *   stub: { address: "127.0.0.1", port: 53 },
 *   domains: ["cluster.local"],
 *   searchNamespaces: ["shop"],
 *   root: Deno.uid() === 0,
 *   logger,
 * });
 * change.describe(); // 'resolv.conf: "/etc/resolv.conf" names the stub 127.0.0.1:53, ...'
 * await change.restore();
 * ```
 *
 * @param options the stub, the names, and the machine's edges
 * @returns the change
 * @throws {TpxError} (user) `system_dns_busy` when another running daemon holds the change;
 *   (config) `system_dns_stub_port` when the mode needs the stub on another port;
 *   (config) `system_dns_failed` when the change could not be made (it is undone)
 */
export async function configureSystemDns(options: SystemDnsOptions): Promise<SystemDnsChange> {
  const paths = { ...DEFAULT_PATHS, ...options.paths };
  const run = options.run ?? runCommand;
  const logger = options.logger;
  if (!options.root) return unchanged("not root");
  const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
  const processes = options.processes ?? systemProbe(paths.proc, run);
  await takeOverState(stateDir, processes, run, logger);

  const detected = options.plan ??
    await detectSystemDns({ root: true, paths, run, ...(options.os ? { os: options.os } : {}) });
  logger.info("System DNS mode chosen", { mode: detected.mode, reason: detected.reason });
  if (detected.mode === SystemDnsMode.None) return unchanged(detected.reason);
  if (detected.requiredStubPort !== undefined && options.stub.port !== detected.requiredStubPort) {
    throw new TpxError(
      "config",
      `Cannot point the resolver at the DNS stub on port ${options.stub.port}: mode "${detected.mode}" needs port ${detected.requiredStubPort}`,
      {
        code: "system_dns_stub_port",
        hint: `start the stub on port ${detected.requiredStubPort} (detectSystemDns() says so)`,
      },
    );
  }

  const plan = await buildPlan(detected.mode, options, paths);
  await writeState(stateDir, {
    version: 1,
    mode: plan.mode,
    owner: await processes.self(),
    createdAt: new Date().toISOString(),
    undo: plan.undo,
  });
  const context = { run, logger, stateDir };
  try {
    await applyPlan(plan, run);
  } catch (error) {
    const undone = await runUndo(plan.undo, context);
    if (undone.ok) await removeState(stateDir);
    throw new TpxError(
      "config",
      `Cannot point the system resolver at the DNS stub: ${message(error)}`,
      {
        code: "system_dns_failed",
        hint: undone.ok
          ? 'nothing was changed; use "tpx run -- CMD" or the proxy meanwhile'
          : `see the daemon log; "tpx quit" retries the undo recorded in "${statePath(stateDir)}"`,
        cause: error,
      },
    );
  }
  logger.info("System resolver points at the DNS stub", { mode: plan.mode, stub: options.stub });

  let restoring: Promise<RestoreResult> | undefined;
  return {
    mode: plan.mode,
    describe: () => plan.description,
    restore: () => {
      restoring ??= (async () => {
        const result = await runUndo(plan.undo, context);
        if (result.ok) await removeState(stateDir);
        return result;
      })();
      return restoring;
    },
  };
}

/** The outcome of {@link repairStale}. */
export interface RepairResult {
  /**
   * `none`: nothing recorded; `owner-running`: the daemon that made the change still runs, so
   * it was left alone; `repaired`: the change was undone; `failed`: some step failed (the
   * record is kept, so the next call tries again).
   */
  result: "none" | "owner-running" | "repaired" | "failed";
  files: FileOutcome[];
}

/** Options of {@link repairStale}. */
export interface RepairOptions {
  logger: Logger;
  paths?: Partial<SystemDnsPaths>;
  run?: CommandRunner;
  processes?: ProcessProbe;
}

/**
 * Undoes a change whose daemon is gone (crashed, killed). Safe to call any number of times.
 *
 * @example
 * ```ts
 * await repairStale("/var/lib/tpx", { logger }); // { result: "none", files: [] }
 * ```
 *
 * @param stateDir the folder of the state file
 * @param options the logger and the machine's edges
 * @returns what was found and done
 */
export async function repairStale(
  stateDir: string,
  options: RepairOptions,
): Promise<RepairResult> {
  const paths = { ...DEFAULT_PATHS, ...options.paths };
  const run = options.run ?? runCommand;
  const processes = options.processes ?? systemProbe(paths.proc, run);
  const state = await readState(stateDir);
  if (state === undefined) return { result: "none", files: [] };
  if (await processes.alive(state.owner)) return { result: "owner-running", files: [] };
  options.logger.warn("Undoing the system DNS change of a tpx daemon that is gone", {
    pid: state.owner.pid,
    mode: state.mode,
    since: state.createdAt,
  });
  const undone = await runUndo(state.undo, { run, logger: options.logger, stateDir });
  if (!undone.ok) return { result: "failed", files: undone.files };
  await removeState(stateDir);
  return { result: "repaired", files: undone.files };
}

async function takeOverState(
  stateDir: string,
  processes: ProcessProbe,
  run: CommandRunner,
  logger: Logger,
): Promise<void> {
  const state = await readState(stateDir);
  if (state === undefined) return;
  if (await processes.alive(state.owner)) {
    throw new TpxError(
      "user",
      `Cannot point the resolver at the DNS stub: tpx daemon ${state.owner.pid} already did (mode "${state.mode}")`,
      { code: "system_dns_busy", hint: 'run "tpx quit" first, or use that daemon' },
    );
  }
  const repaired = await repairStale(stateDir, { logger, run, processes });
  if (repaired.result === "failed") {
    throw new TpxError("config", "Cannot undo the system DNS change of a tpx daemon that is gone", {
      code: "system_dns_failed",
      hint: `see the daemon log, fix what it names, then run "tpx quit" ("${statePath(stateDir)}")`,
    });
  }
}

function buildPlan(
  mode: SystemDnsMode,
  options: SystemDnsOptions,
  paths: SystemDnsPaths,
): Promise<ChangePlan> {
  switch (mode) {
    case SystemDnsMode.ResolvConf:
      return planResolvConf({
        path: paths.resolvConf,
        stub: options.stub,
        search: options.searchNamespaces,
        logger: options.logger,
      });
    case SystemDnsMode.SystemdResolved:
      return planResolved({
        dropInDir: paths.resolvedDropInDir,
        stub: options.stub,
        domains: options.domains,
        namespaces: options.searchNamespaces,
      });
    case SystemDnsMode.MacosResolver:
      return planMacosResolver({
        resolverDir: paths.macosResolverDir,
        stub: options.stub,
        domains: options.domains,
        namespaces: options.searchNamespaces,
        logger: options.logger,
      });
    case SystemDnsMode.None:
      throw new Error("no plan for mode none");
  }
}

function unchanged(reason: string): SystemDnsChange {
  const result: RestoreResult = { ok: true, files: [] };
  return {
    mode: SystemDnsMode.None,
    describe: () => `none: the system resolver is unchanged (${reason}); ${ROOTLESS_HINT}`,
    restore: () => Promise.resolve(result),
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
