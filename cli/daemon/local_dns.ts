/**
 * How the daemon makes cluster names resolve on this machine for one connection: where the
 * stub listens, and — as root, when asked — the system resolver pointed at it and restored.
 *
 * @module
 */
import type { Logger } from "../../tunnel/log.ts";
import type { DnsStatus } from "./api_types.ts";
import {
  configureSystemDns,
  DEFAULT_PATHS,
  DEFAULT_STATE_DIR,
  detectSystemDns,
  repairStale,
  ROOTLESS_HINT,
  runCommand,
  type SystemDnsChange,
  type SystemDnsPlan,
} from "./system_dns/mod.ts";

/**
 * The stub's address when it must be on port 53: outside the loopback range services get
 * (127.241.0.0/16), and not 127.0.0.1, where a local resolver often listens already.
 */
export const PORT_53_STUB_ADDRESS = "127.240.0.53";

/** Whether `connect` may change the system resolver. */
export type SystemDnsChoice = "auto" | "off";

/** The plan for one connection: where the stub goes, and where other names go. */
export interface LocalDnsPlan {
  stub: { address: string; port: number };
  upstreamsFile: string | undefined;
  plan: SystemDnsPlan | undefined;
}

/**
 * Decides before the stub starts: a dead daemon's change is undone first, since the
 * machine's name servers are read after it.
 *
 * @param choice `off` leaves the system alone whatever the privileges
 * @param logger the daemon's logger
 * @returns the stub's address and the upstreams' file
 */
export async function planLocalDns(choice: SystemDnsChoice, logger: Logger): Promise<LocalDnsPlan> {
  const root = Deno.uid() === 0;
  if (choice === "off" || !root) {
    return { stub: { address: "127.0.0.1", port: 0 }, upstreamsFile: undefined, plan: undefined };
  }
  await repairStale(DEFAULT_STATE_DIR, { logger });
  const plan = await detectSystemDns({ root, paths: DEFAULT_PATHS, run: runCommand });
  logger.info("system DNS", { mode: plan.mode, reason: plan.reason });
  const stub = plan.requiredStubPort === undefined
    ? { address: "127.0.0.1", port: 0 }
    : { address: PORT_53_STUB_ADDRESS, port: plan.requiredStubPort };
  return { stub, upstreamsFile: plan.upstreamsFile, plan };
}

/**
 * Points the system at the running stub, when the plan says so.
 *
 * @param local the plan
 * @param stub where the stub listens
 * @param namespaces the namespaces whose names resolve (the first is the default)
 * @param logger the daemon's logger
 * @returns the change, to restore on quit
 */
export async function applyLocalDns(
  local: LocalDnsPlan,
  stub: { hostname: string; port: number },
  namespaces: readonly string[],
  logger: Logger,
): Promise<SystemDnsChange | undefined> {
  if (local.plan === undefined) return undefined;
  return await configureSystemDns({
    stub: { address: stub.hostname, port: stub.port },
    domains: ["cluster.local"],
    searchNamespaces: namespaces,
    root: true,
    plan: local.plan,
    stateDir: DEFAULT_STATE_DIR,
    logger,
  });
}

/**
 * What `tpx status` says about names.
 *
 * @param stub where the stub listens
 * @param change the system change, if one was made
 * @returns the status
 */
export function dnsStatus(
  stub: { hostname: string; port: number },
  change: SystemDnsChange | undefined,
): DnsStatus {
  if (change === undefined || change.mode === "none") {
    return {
      mode: "none",
      address: stub.hostname,
      port: stub.port,
      detail: `the system resolver is unchanged; ${ROOTLESS_HINT} (stub DNS at ` +
        `${stub.hostname}:${stub.port})`,
    };
  }
  return { mode: change.mode, address: stub.hostname, port: stub.port, detail: change.describe() };
}

/**
 * Undoes a system resolver change left by a daemon that died, as `quit` and `connect` must.
 * Without root there is nothing it could have changed.
 *
 * @param logger where to log what was done
 * @returns whether something was repaired
 */
export async function repairLeftoverDns(logger: Logger): Promise<boolean> {
  if (Deno.uid() !== 0) return false;
  const repaired = await repairStale(DEFAULT_STATE_DIR, { logger });
  return repaired.result === "repaired";
}
