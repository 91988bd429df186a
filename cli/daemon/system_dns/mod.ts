/**
 * Points the machine's resolver at the daemon's stub DNS server while connected, and puts it
 * back exactly on quit; a change left by a crashed daemon is undone by the next `connect` or
 * `quit`. Without root nothing system-wide changes (mode `none`).
 *
 * Modes: `systemd-resolved` (a drop-in routing only the cluster domains to the stub),
 * `resolv.conf` (the file replaced, original restored byte for byte; the stub must be on port
 * 53), `macos-resolver` (/etc/resolver files), `none`.
 *
 * The daemon's order: {@link repairStale} (a dead daemon's change must go before the machine's
 * name servers are read), {@link detectSystemDns} (the mode decides the stub's port and where
 * its upstream servers are read: `plan.upstreamsFile`), start the stub, then
 * {@link configureSystemDns} with that `plan`; on quit, `change.restore()`.
 *
 * @example
 * ```ts
 * import { configureSystemDns, DEFAULT_PATHS, detectSystemDns, repairStale, runCommand } from "./mod.ts";
 * await repairStale(stateDir, { logger });
 * const root = Deno.uid() === 0;
 * const plan = await detectSystemDns({ root, paths: DEFAULT_PATHS, run: runCommand });
 * const upstreams = await loadSystemNameServers(plan.upstreamsFile);
 * const stub = startDnsStub({ port: plan.requiredStubPort ?? 0, upstreams, resolver, logger });
 * const change = await configureSystemDns({
 *   stub: { address: stub.addr.hostname, port: stub.addr.port },
 *   domains: ["cluster.local"],
 *   searchNamespaces: ["shop"],
 *   root,
 *   plan,
 *   stateDir,
 *   logger,
 * });
 * change.describe(); // for "tpx status"
 * await change.restore();
 * ```
 *
 * @module
 */
export {
  configureSystemDns,
  type RepairOptions,
  type RepairResult,
  repairStale,
  type RestoreResult,
  ROOTLESS_HINT,
  type SystemDnsChange,
  type SystemDnsOptions,
} from "./configure.ts";
export { type DetectOptions, detectSystemDns, type SystemDnsPlan } from "./detect.ts";
export { type Owner, type ProcessProbe, systemProbe } from "./owner.ts";
export { RESOLV_CONF_STUB_PORT } from "./resolv_conf_mode.ts";
export { RESOLVED_DROP_IN_NAME, RESOLVED_PORT_MIN_VERSION } from "./resolved_mode.ts";
export { runCommand } from "./runner.ts";
export { DEFAULT_STATE_DIR, STATE_FILE_NAME } from "./state.ts";
// types.ts is the folder's shared vocabulary: all of it is public.
export * from "./types.ts";
export type { FileOutcome } from "./undo.ts";
