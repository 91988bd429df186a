/**
 * The vocabulary of the system DNS change: its modes, the paths it touches and the edges it
 * runs through (commands, process checks), each replaceable so that tests run on a temporary
 * directory without root.
 *
 * @module
 */

/** How the machine's resolver is pointed at the stub; shown in `tpx status`. */
export const SystemDnsMode = {
  /** A drop-in of systemd-resolved routes the cluster domains to the stub. */
  SystemdResolved: "systemd-resolved",
  /** `/etc/resolv.conf` is replaced by one naming the stub, and put back on quit. */
  ResolvConf: "resolv.conf",
  /** `/etc/resolver/<domain>` files of macOS name the stub for each cluster domain. */
  MacosResolver: "macos-resolver",
  /** Nothing system-wide is changed (not root). */
  None: "none",
} as const;
export type SystemDnsMode = typeof SystemDnsMode[keyof typeof SystemDnsMode];

/** Every file and folder the change may touch; tests point them into a temporary directory. */
export interface SystemDnsPaths {
  /** Default `/etc/resolv.conf`. */
  resolvConf: string;
  /**
   * Where the systemd-resolved drop-in goes. Default `/run/systemd/resolved.conf.d`: under
   * `/run` it vanishes at reboot, so a crash followed by a reboot leaves nothing behind.
   */
  resolvedDropInDir: string;
  /** The stub resolv.conf systemd-resolved writes; its presence means resolved runs. */
  resolvedStubResolvConf: string;
  /** The resolv.conf systemd-resolved writes with the real upstream servers. */
  resolvedUpstreamResolvConf: string;
  /** Default `/etc/nsswitch.conf`: a `resolve` source sends glibc lookups to resolved. */
  nsswitchConf: string;
  /** Default `/etc/resolver` (macOS). */
  macosResolverDir: string;
  /** Default `/proc`; used to tell whether the daemon that made a change still lives. */
  proc: string;
}

/** The paths of a real machine. */
export const DEFAULT_PATHS: SystemDnsPaths = {
  resolvConf: "/etc/resolv.conf",
  resolvedDropInDir: "/run/systemd/resolved.conf.d",
  resolvedStubResolvConf: "/run/systemd/resolve/stub-resolv.conf",
  resolvedUpstreamResolvConf: "/run/systemd/resolve/resolv.conf",
  nsswitchConf: "/etc/nsswitch.conf",
  macosResolverDir: "/etc/resolver",
  proc: "/proc",
};

/** What a command printed and how it ended. */
export interface CommandResult {
  success: boolean;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program (`resolvectl`, `systemctl`, `kill`) and waits for it. */
export type CommandRunner = (command: string, args: readonly string[]) => Promise<CommandResult>;

/** The stub DNS server the resolver is pointed at. */
export interface StubAddress {
  /** An IPv4 or IPv6 address without zone, such as `127.0.0.1`. */
  address: string;
  port: number;
}
