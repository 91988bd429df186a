/**
 * `tpx config view`: the settings tpx would use and where each comes from, without reading
 * the cluster or loading client-node. Only tpx's own variables are printed with their values;
 * the kubeconfig is shown as file paths, never its contents.
 *
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { kubeconfigSources } from "../../cluster/kube/kubeconfig_files.ts";
import { Names } from "../../cluster/install/labels.ts";
// The pool's own module, not tunnel/dns/mod.ts: that one loads the DNS server and its packages.
import { DEFAULT_LOOPBACK_RANGE } from "../../tunnel/dns/loopback_pool.ts";
import type { SessionStatus, StatusResponse } from "../daemon/api_types.ts";
import { DaemonClient } from "../daemon/api_client.ts";
import { daemonPaths } from "../daemon/paths.ts";
import { printResult, type Terminal } from "../output.ts";
import { outputOption } from "./version.ts";

/** The environment variables that change what the CLI does, printed with their values. */
export const TPX_ENV_VARS = ["TPX_HOME", "TPX_LOG_LEVEL", "NO_COLOR"] as const;

/** A setting and where its value came from. */
export interface Sourced<T> {
  value: T;
  /** Such as `TPX_HOME`, `KUBECONFIG`, `default`, or `session` (the connected daemon's). */
  source: string;
}

/** A file and whether it exists now. */
export interface FileState {
  path: string;
  exists: boolean;
}

/** What `tpx config view` reports. */
export interface ConfigView {
  kubeconfig: { source: string; files: FileState[] };
  daemon: {
    home: Sourced<string>;
    socket: FileState;
    log: FileState;
    running: boolean;
  };
  /** Each of {@link TPX_ENV_VARS}: its value, or `null` when unset. */
  environment: Record<string, string | null>;
  defaults: { managerNamespace: Sourced<string>; loopbackRange: Sourced<string> };
  /** The connected session's settings, from the daemon; `null` when not connected. */
  session: Omit<SessionStatus, "routes"> | null;
}

/** What {@link configView} reads; tests pass their own. */
export interface ConfigViewDeps {
  env: (name: string) => string | undefined;
  exists: (path: string) => Promise<boolean>;
  /** The daemon's status, or `undefined` when none answers. */
  status: (socket: string) => Promise<StatusResponse | undefined>;
}

/**
 * Collects the view.
 *
 * @param deps the environment, the file system and the daemon; the process's by default
 * @returns the view
 * @example
 * ```ts
 * const view = await configView();
 * view.daemon.home; // { value: "/home/ana/.cache/tpx", source: "default" }
 * ```
 */
export async function configView(deps: ConfigViewDeps = processDeps()): Promise<ConfigView> {
  const { env, exists } = deps;
  const paths = daemonPaths(env);
  const kubeEnv: Record<string, string> = {};
  for (const name of ["KUBECONFIG", "HOME", "USERPROFILE"]) {
    const value = env(name);
    if (value !== undefined) kubeEnv[name] = value;
  }
  const sources = kubeconfigSources(undefined, kubeEnv);
  const status = await deps.status(paths.socket);
  const session = status?.session;
  const { routes: _routes, ...sessionSettings } = session ?? { routes: [] };
  const fileState = async (path: string) => ({ path, exists: await exists(path) });
  return {
    kubeconfig: {
      source: env("KUBECONFIG") ? "KUBECONFIG" : "default",
      files: await Promise.all(sources.paths.map(fileState)),
    },
    daemon: {
      home: {
        value: paths.home,
        source: env("TPX_HOME") ? "TPX_HOME" : env("XDG_CACHE_HOME") ? "XDG_CACHE_HOME" : "default",
      },
      socket: await fileState(paths.socket),
      log: await fileState(paths.log),
      running: status !== undefined,
    },
    environment: Object.fromEntries(TPX_ENV_VARS.map((name) => [name, env(name) ?? null])),
    defaults: {
      managerNamespace: session
        ? { value: session.managerNamespace, source: "session" }
        : { value: Names.DefaultNamespace, source: "default" },
      loopbackRange: { value: DEFAULT_LOOPBACK_RANGE, source: "default" },
    },
    session: session ? sessionSettings as Omit<SessionStatus, "routes"> : null,
  };
}

/**
 * What the view reads in a real run: the process's environment, files and daemon.
 *
 * @returns the dependencies
 */
export function processDeps(): ConfigViewDeps {
  return {
    env: (name) => Deno.env.get(name),
    exists: (path) => Deno.stat(path).then(() => true, () => false),
    status: daemonStatus,
  };
}

/** The daemon's status if one answers; never starts one. */
async function daemonStatus(socket: string): Promise<StatusResponse | undefined> {
  using daemon = new DaemonClient(socket);
  if (await daemon.running() === undefined) return undefined;
  return await daemon.call<StatusResponse>("GET", "/status");
}

/**
 * The view for a person.
 *
 * @param view the view
 * @returns lines of text
 */
export function describeConfig(view: ConfigView): string {
  const file = (f: FileState) => `${f.path}${f.exists ? "" : " (missing)"}`;
  const [firstKube, ...otherKube] = view.kubeconfig.files;
  const lines = [
    `kubeconfig       ${firstKube ? file(firstKube) : "(none)"}  [${view.kubeconfig.source}]`,
    ...otherKube.map((f) => `                 ${file(f)}`),
    `daemon home      ${view.daemon.home.value}  [${view.daemon.home.source}]`,
    `daemon socket    ${view.daemon.socket.path}${socketState(view.daemon)}`,
    `daemon log       ${file(view.daemon.log)}`,
    ...Object.entries(view.environment).map(([name, value]) =>
      `${name.padEnd(16)} ${value === null ? "(unset)" : JSON.stringify(value)}`
    ),
    `manager ns       ${view.defaults.managerNamespace.value}  [${view.defaults.managerNamespace.source}]`,
    `loopback range   ${view.defaults.loopbackRange.value}  [${view.defaults.loopbackRange.source}]`,
  ];
  const s = view.session;
  if (s === null) {
    lines.push('session          not connected ("tpx connect" connects)');
  } else {
    lines.push(
      `session          context "${s.context}" (${s.server})`,
      `  namespace      ${s.namespace}`,
      `  manager        ${s.managerNamespace} (tpx ${s.managerVersion || "?"})`,
      `  DNS            ${s.dns.mode} on ${s.dns.address}:${s.dns.port}`,
    );
    if (s.proxy) lines.push(`  proxy          ${s.proxy.address}:${s.proxy.port}`);
  }
  return lines.join("\n");
}

function socketState(daemon: ConfigView["daemon"]): string {
  if (daemon.running) return " (a daemon answers)";
  return daemon.socket.exists ? " (no daemon answers)" : " (missing: no daemon runs)";
}

/**
 * The `config` command, with `view`.
 *
 * @param terminal where it prints
 * @param deps what the view reads; the process's environment, files and daemon by default
 * @returns the command
 */
export function configCommand(terminal: Terminal, deps: ConfigViewDeps = processDeps()) {
  const view = new Command("view")
    .description("show the settings tpx would use and where each comes from")
    .addOption(outputOption())
    .action(async (options) => {
      const result = await configView(deps);
      printResult(terminal, options.output, result, () => describeConfig(result));
    });
  return new Command("config")
    .description("show tpx's configuration")
    .addCommand(view);
}
