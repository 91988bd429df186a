/**
 * `tpx connect`, `tpx quit`, `tpx status`: the session with the cluster, held by the daemon.
 *
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import type { ConnectRequest, SessionStatus, StatusResponse } from "../daemon/api_types.ts";
import { daemonPaths } from "../daemon/paths.ts";
import { DaemonClient } from "../daemon/api_client.ts";
import { repairLeftoverDns } from "../daemon/local_dns.ts";
import { openDaemon } from "../daemon/spawn.ts";
import { silentLogger } from "../../tunnel/log.ts";
import { TPX_VERSION } from "../../tunnel/protocol/mod.ts";
import { notice, printResult, type Terminal } from "../output.ts";
import { parseNamespace, parseNamespaces } from "./arguments.ts";
import { outputOption } from "./version.ts";

/**
 * The `connect` command.
 *
 * @param terminal where it prints
 * @returns the command
 */
export function connectCommand(terminal: Terminal) {
  return new Command("connect")
    .description("connect this machine to the cluster: cluster names and services reachable")
    .option("--kubeconfig <file>", "the kubeconfig to use instead of KUBECONFIG")
    .option("--context <context>", "the kubeconfig context to use")
    .option("-n, --namespace <namespace>", "the namespace short names resolve in", parseNamespace)
    .option(
      "--mapped-namespaces <a,b>",
      "only these namespaces' names resolve (default: all)",
      parseNamespaces,
    )
    .option(
      "--manager-namespace <namespace>",
      "where the manager runs",
      parseNamespace,
      "tpx-system",
    )
    .addOption(
      new Option("--system-dns <mode>", "as root, point the system resolver at tpx (auto) or not")
        .choices(["auto", "off"] as const).default("auto" as const),
    )
    .addOption(
      new Option("--manager-address <host:port>", "reach a manager over TCP (demo, tests)")
        .hideHelp(),
    )
    .addOption(outputOption())
    .action(async (options) => {
      using daemon = await openDaemon(daemonPaths(), { start: true, notice: notice(terminal) });
      const request: ConnectRequest = {
        managerNamespace: options.managerNamespace,
        systemDns: options.systemDns,
        env: Deno.env.toObject(),
        ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }),
        ...(options.context === undefined ? {} : { context: options.context }),
        ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
        ...(options.mappedNamespaces === undefined
          ? {}
          : { mappedNamespaces: options.mappedNamespaces }),
        ...(options.managerAddress === undefined ? {} : { managerAddress: options.managerAddress }),
      };
      if (terminal.interactive) terminal.stderr("connecting to the cluster…");
      const session = await daemon.call<SessionStatus>("POST", "/connect", request);
      const older = olderManager(session.managerVersion, TPX_VERSION);
      if (older) {
        notice(terminal)(
          `the manager is tpx ${session.managerVersion}, older than this tpx ${TPX_VERSION}: ` +
            `"tpx manager upgrade -n ${session.managerNamespace}" upgrades it`,
        );
      }
      printResult(terminal, options.output, session, () => describeSession(session));
    });
}

/**
 * Whether the manager's version is older than the client's (both `MAJOR.MINOR.PATCH`; a
 * version that does not parse is not called older).
 *
 * @param manager the manager's version
 * @param client this tpx's version
 * @returns true when the manager is older
 */
export function olderManager(manager: string, client: string): boolean {
  const parse = (v: string) => /^(\d+)\.(\d+)\.(\d+)/.exec(v)?.slice(1).map(Number);
  const [m, c] = [parse(manager), parse(client)];
  if (m === undefined || c === undefined) return false;
  for (let i = 0; i < 3; i++) {
    if (m[i]! !== c[i]!) return m[i]! < c[i]!;
  }
  return false;
}

/**
 * The `quit` command.
 *
 * @param terminal where it prints
 * @returns the command
 */
export function quitCommand(terminal: Terminal) {
  return new Command("quit")
    .description("end every intercept, disconnect, and stop the daemon")
    .addOption(outputOption())
    .action(async (options) => {
      // A daemon of any version is stopped as it is; replacing it first would be wasted.
      using daemon = new DaemonClient(daemonPaths().socket);
      const running = await daemon.running();
      // With no daemon, a crashed one may have left the system resolver pointing at it.
      const repaired = running ? false : await repairLeftoverDns(silentLogger);
      const result = running
        ? await daemon.call<{ disconnected: boolean; intercepts: string[] }>("POST", "/quit")
        : { disconnected: false, intercepts: [] };
      printResult(
        terminal,
        options.output,
        { daemonStopped: running !== undefined, dnsRepaired: repaired, ...result },
        () =>
          running === undefined
            ? repaired
              ? "tpx was not running; the system DNS a crashed daemon had changed is restored"
              : "tpx was not running"
            : result.intercepts.length > 0
            ? `disconnected; ended ${result.intercepts.map((n) => `"${n}"`).join(", ")}`
            : result.disconnected
            ? "disconnected"
            : "the daemon stopped",
      );
    });
}

/**
 * The `status` command.
 *
 * @param terminal where it prints
 * @returns the command
 */
export function statusCommand(terminal: Terminal) {
  return new Command("status")
    .description("show the connection, how names resolve, and every intercept")
    .addOption(outputOption())
    .action(async (options) => {
      using daemon = await openDaemon(daemonPaths(), { start: false, notice: notice(terminal) });
      const running = await daemon.running();
      if (running === undefined) {
        printResult(
          terminal,
          options.output,
          { connected: false, daemon: null },
          () => 'not connected ("tpx connect" connects)',
        );
        return;
      }
      const status = await daemon.call<StatusResponse>("GET", "/status");
      printResult(
        terminal,
        options.output,
        { connected: status.session !== undefined, ...status },
        () => describeStatus(status),
      );
    });
}

/**
 * A session for a person.
 *
 * @param session the session
 * @returns lines of text
 */
export function describeSession(session: SessionStatus): string {
  const lines = [
    `connected to context "${session.context}" (${session.server})`,
    `  namespace     ${session.namespace}`,
    `  manager       ${session.managerNamespace} (tpx ${
      session.managerVersion || "?"
    }, tunnel ${session.tunnel})`,
    `  DNS           ${session.dns.mode}: ${session.dns.detail}`,
  ];
  if (session.proxy) {
    lines.push(`  proxy         ${session.proxy.address}:${session.proxy.port} (SOCKS5 and HTTP)`);
  }
  for (const route of session.routes) {
    const ports = route.ports.map((p) =>
      `${p.port}/${p.protocol}${p.listening ? "" : ` (not forwarded: ${p.problem ?? "?"})`}`
    ).join(", ");
    lines.push(`  service       ${route.name} → ${route.address} [${ports}]`);
  }
  return lines.join("\n");
}

function describeStatus(status: StatusResponse): string {
  const lines = [
    `daemon          tpx ${status.daemon.version}, pid ${status.daemon.pid}, log ${status.daemon.log}`,
  ];
  if (status.session === undefined) {
    lines.push('not connected ("tpx connect" connects)');
    return lines.join("\n");
  }
  lines.push(describeSession(status.session));
  if (status.intercepts.length === 0) lines.push("no intercepts");
  for (const agent of status.dormantAgents ?? []) {
    lines.push(
      `dormant agent in ${agent.kind.toLowerCase()}/${agent.workload} ("${agent.namespace}"): ` +
        `removed at ${agent.until} unless intercepted again ("tpx uninstall ${agent.workload} ` +
        `-n ${agent.namespace}" removes it now)`,
    );
  }
  for (const i of status.intercepts) {
    const local = `${i.local.host}:${i.local.port}`;
    const warning = i.localListening === false
      ? ` — nothing listens on ${local}: its requests fail at once`
      : "";
    lines.push(
      `intercept "${i.spec.name}": ${i.state}, ${i.spec.namespace}/${i.spec.workload} → ${local}` +
        `${i.detail ? ` (${i.detail})` : ""}${warning}`,
    );
  }
  return lines.join("\n");
}
