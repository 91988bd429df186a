/**
 * Where the daemon of this user keeps its socket, log and state. One daemon per user: the
 * directory is the user's own, mode 0700, so only they can reach the socket in it.
 *
 * @module
 */

/** The files of one user's daemon. */
export interface DaemonPaths {
  /** The directory, created with mode 0700. */
  home: string;
  /** The Unix socket of the daemon's API. */
  socket: string;
  /** The daemon's log (JSON lines). */
  log: string;
  /** Records of system changes to undo after a crash. */
  state: string;
}

/**
 * The paths for `env`: `TPX_HOME` when set (tests, several daemons on one machine), else
 * `$XDG_CACHE_HOME/tpx` or `~/.cache/tpx` (`~/Library/Caches/tpx` on macOS).
 *
 * @param env the environment; the process's by default
 * @returns the paths
 */
export function daemonPaths(env: (name: string) => string | undefined = Deno.env.get): DaemonPaths {
  const home = env("TPX_HOME") ?? `${cacheDir(env)}/tpx`;
  return {
    home,
    socket: `${home}/daemon.sock`,
    log: `${home}/daemon.log`,
    state: `${home}/state`,
  };
}

function cacheDir(env: (name: string) => string | undefined): string {
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return xdg;
  const home = env("HOME") ?? "/tmp";
  return Deno.build.os === "darwin" ? `${home}/Library/Caches` : `${home}/.cache`;
}

/**
 * Creates the daemon's directory, owner-only.
 *
 * @param paths the paths
 */
export async function ensureHome(paths: DaemonPaths): Promise<void> {
  await Deno.mkdir(paths.home, { recursive: true, mode: 0o700 });
  // mkdir leaves an existing directory's mode alone; the socket's safety depends on it.
  await Deno.chmod(paths.home, 0o700);
}
