/**
 * Chooses the mode for this machine, before the stub starts: the mode decides the port the stub
 * must use and the file its upstream servers are read from.
 *
 * @module
 */

import { pathExists } from "./files.ts";
import { RESOLV_CONF_STUB_PORT } from "./resolv_conf_mode.ts";
import { RESOLVED_PORT_MIN_VERSION } from "./resolved_mode.ts";
import { type CommandRunner, SystemDnsMode, type SystemDnsPaths } from "./types.ts";

/** The outcome of {@link detectSystemDns}. */
export interface SystemDnsPlan {
  mode: SystemDnsMode;
  /**
   * The port the stub must listen on, when the mode cannot name another: 53 for `resolv.conf`
   * (it has no port) and for systemd-resolved older than 246.
   */
  requiredStubPort?: number;
  /**
   * Where the stub reads the servers it forwards other names to. Under systemd-resolved this is
   * resolved's own list: /etc/resolv.conf names resolved itself, which would send the stub's
   * forwarded queries straight back to it.
   */
  upstreamsFile: string;
  /** Why this mode, for the log. */
  reason: string;
}

/** Options of {@link detectSystemDns}. */
export interface DetectOptions {
  root: boolean;
  paths: SystemDnsPaths;
  run: CommandRunner;
  /** `Deno.build.os` by default. */
  os?: typeof Deno.build.os;
}

/**
 * Finds out how this machine resolves names and which mode fits.
 *
 * systemd-resolved counts only when all of these hold: its stub resolv.conf exists (it runs),
 * `resolvectl status` answers (it is reachable on the bus), and lookups reach it: /etc/resolv.conf
 * names its stub 127.0.0.53/54 (directly or through a symlink to stub-resolv.conf), or the
 * `hosts` line of nsswitch.conf has the `resolve` source. A resolv.conf linked to resolved's
 * other file (/run/systemd/resolve/resolv.conf, the real servers) sends glibc past resolved, so
 * there the file is what to change.
 *
 * @example
 * ```ts
 * const plan = await detectSystemDns({ root: true, paths: DEFAULT_PATHS, run: runCommand });
 * plan.mode; // "resolv.conf"
 * ```
 *
 * @param options whether root, the paths and the command runner
 * @returns the mode and what it requires of the stub
 */
export async function detectSystemDns(options: DetectOptions): Promise<SystemDnsPlan> {
  const { paths } = options;
  const os = options.os ?? Deno.build.os;
  if (!options.root) {
    return {
      mode: SystemDnsMode.None,
      upstreamsFile: paths.resolvConf,
      reason: "not running as root",
    };
  }
  if (os === "darwin") {
    return {
      mode: SystemDnsMode.MacosResolver,
      upstreamsFile: paths.resolvConf,
      reason: "macOS reads /etc/resolver",
    };
  }
  if (os !== "linux") {
    return {
      mode: SystemDnsMode.None,
      upstreamsFile: paths.resolvConf,
      reason: `no system DNS support on "${os}"`,
    };
  }
  const resolved = await resolvedVersion(options);
  if (resolved.usable) {
    const plan: SystemDnsPlan = {
      mode: SystemDnsMode.SystemdResolved,
      upstreamsFile: paths.resolvedUpstreamResolvConf,
      reason: resolved.reason,
    };
    // An unknown version may be too old for `address:port`; port 53 works with every one.
    if (resolved.version === undefined || resolved.version < RESOLVED_PORT_MIN_VERSION) {
      plan.requiredStubPort = 53;
    }
    return plan;
  }
  return {
    mode: SystemDnsMode.ResolvConf,
    requiredStubPort: RESOLV_CONF_STUB_PORT,
    upstreamsFile: paths.resolvConf,
    reason: resolved.reason,
  };
}

async function resolvedVersion(
  options: DetectOptions,
): Promise<{ usable: boolean; version?: number; reason: string }> {
  const { paths, run } = options;
  // Followed: a stub-resolv.conf link to nothing means resolved is not running.
  if (!(await pathExists(paths.resolvedStubResolvConf, { followSymlink: true }))) {
    return { usable: false, reason: `"${paths.resolvedStubResolvConf}" does not exist` };
  }
  if (!(await namesResolvedStub(paths.resolvConf)) && !(await nsswitchUsesResolve(paths))) {
    return {
      usable: false,
      reason:
        `neither "${paths.resolvConf}" nor "${paths.nsswitchConf}" sends lookups to systemd-resolved`,
    };
  }
  const status = await run("resolvectl", ["status"]);
  if (!status.success) {
    return { usable: false, reason: `"resolvectl status" failed: ${status.stderr.trim()}` };
  }
  const version = /systemd (\d+)/.exec((await run("resolvectl", ["--version"])).stdout)?.[1];
  return {
    usable: true,
    ...(version === undefined ? {} : { version: Number(version) }),
    reason: `systemd-resolved ${version ?? "(version unknown)"} is running`,
  };
}

async function namesResolvedStub(path: string): Promise<boolean> {
  const text = await readIfPresent(path);
  return /^\s*nameserver\s+127\.0\.0\.5[34]\s*$/m.test(text);
}

async function nsswitchUsesResolve(paths: SystemDnsPaths): Promise<boolean> {
  const hosts = /^\s*hosts:(.*)$/m.exec(await readIfPresent(paths.nsswitchConf))?.[1] ?? "";
  return /(^|\s)resolve(\s|\[|$)/.test(hosts);
}

async function readIfPresent(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "";
    throw error;
  }
}
