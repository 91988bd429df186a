/**
 * `tpx intercept`, `tpx leave`, `tpx list`: taking a workload's traffic to this machine.
 *
 * @module
 */
import { Command, InvalidArgumentError } from "@commander-js/extra-typings";
import type { InterceptFilter } from "../../tunnel/protocol/mod.ts";
import { TpxError } from "../../tunnel/protocol/mod.ts";
import type {
  InterceptEvent,
  InterceptRequest,
  InterceptView,
  LeaveResponse,
} from "../daemon/api_types.ts";
import type { DaemonClient } from "../daemon/api_client.ts";
import { daemonPaths } from "../daemon/paths.ts";
import { openDaemon } from "../daemon/spawn.ts";
import type { WorkloadRow } from "../daemon/workloads.ts";
import { notice, printResult, type Terminal } from "../output.ts";
import type { ContainerEnvironment } from "../daemon/manager_client.ts";
import { parseNamespace } from "./arguments.ts";
import { commandEnvironment, runWithEnvironment, writeEnvFiles } from "./intercept_env.ts";
import { CommandExit } from "../exit_codes.ts";
import { outputOption } from "./version.ts";

/**
 * Parses `-p LOCAL[:SERVICEPORT]`.
 *
 * @param value such as `8080`, `8080:80` or `8080:http`
 * @returns the local port and the service port, if given
 * @throws {InvalidArgumentError} for anything else
 */
export function parsePortMapping(value: string): { local: number; servicePort?: string } {
  const match = /^(\d{1,5})(?::([a-z0-9][-a-z0-9]{0,62}))?$/i.exec(value);
  const local = Number(match?.[1]);
  if (!match || local < 1 || local > 65535) {
    throw new InvalidArgumentError(
      "give LOCAL[:SERVICEPORT], such as 8080 or 8080:80 or 8080:http",
    );
  }
  return match[2] === undefined ? { local } : { local, servicePort: match[2] };
}

/**
 * Parses `--http-header NAME=VALUE`, adding it to the filters given so far.
 *
 * @param value such as `x-dev=ana`
 * @param previous the filters of earlier options
 * @returns the filters
 */
export function parseHeaderFilter(
  value: string,
  previous: InterceptFilter[] = [],
): InterceptFilter[] {
  const at = value.indexOf("=");
  const name = value.slice(0, at).trim();
  if (at <= 0 || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(name)) {
    throw new InvalidArgumentError("give NAME=VALUE, such as x-dev=ana");
  }
  return [...previous, {
    on: "header",
    name: name.toLowerCase(),
    match: "exact",
    value: value.slice(at + 1),
  }];
}

/**
 * The `intercept` command.
 *
 * @param terminal where it prints
 * @returns the command
 */
export function interceptCommand(terminal: Terminal) {
  return new Command("intercept")
    .description("send a workload's traffic (or only matching HTTP requests) to a local port")
    .argument("<workload>", "the Deployment, StatefulSet or ReplicaSet")
    .argument("[command...]", "after --: run it with the container's environment, then leave")
    .requiredOption(
      "-p, --port <local[:service-port]>",
      "local port, and which service port",
      parsePortMapping,
    )
    .option("-n, --namespace <namespace>", "the workload's namespace", parseNamespace)
    .option("--name <name>", "the intercept's name (default: WORKLOAD-NAMESPACE)")
    .option("--service <service>", "the Service, when several select the workload")
    .option(
      "--http-header <name=value>",
      "only requests with this header (repeatable)",
      parseHeaderFilter,
    )
    .option("--http-path-prefix <prefix>", "only requests whose path starts with this")
    .option("--env-file <file>", "write the container's environment here (NAME=value lines)")
    .option("--env-json <file>", "write the container's environment here, as JSON")
    .addOption(outputOption())
    .action(async (workload, command, options) => {
      using daemon = await openDaemon(daemonPaths(), { start: false, notice: notice(terminal) });
      const filters = [...(options.httpHeader ?? [])];
      if (options.httpPathPrefix !== undefined) {
        filters.push({ on: "path", match: "prefix", value: options.httpPathPrefix });
      }
      const status = await daemon.call<{ session?: { namespace: string } }>("GET", "/status");
      const namespace = options.namespace ?? status.session?.namespace ?? "default";
      const request: InterceptRequest = {
        name: options.name ?? `${workload}-${namespace}`,
        workload,
        namespace,
        localPort: options.port.local,
        filters,
        ...(options.port.servicePort === undefined
          ? {}
          : { servicePort: options.port.servicePort }),
        ...(options.service === undefined ? {} : { service: options.service }),
      };
      const intercept = await runIntercept(daemon, request, terminal);
      printResult(terminal, options.output, intercept, () => describeIntercept(intercept));
      if (options.envFile || options.envJson || command.length > 0) {
        const path = `/intercepts/${encodeURIComponent(request.name)}/environment`;
        const { env } = await daemon.call<ContainerEnvironment>("GET", path);
        await writeEnvFiles(env, options);
        if (command.length > 0) {
          const code = await runWithEnvironment(
            command,
            commandEnvironment(Deno.env.toObject(), env),
          );
          await daemon.call("DELETE", `/intercepts/${encodeURIComponent(request.name)}`);
          if (terminal.interactive) terminal.stderr(`left "${request.name}"`);
          if (code !== 0) throw new CommandExit(code);
        }
      }
    });
}

async function runIntercept(
  daemon: DaemonClient,
  request: InterceptRequest,
  terminal: Terminal,
): Promise<InterceptView> {
  let result: InterceptView | undefined;
  let failure: TpxError | undefined;
  await daemon.stream<InterceptEvent>("/intercepts", request, (event) => {
    if ("progress" in event) {
      if (terminal.interactive) terminal.stderr(`waiting: ${event.progress}`);
    } else if ("intercept" in event) {
      result = event.intercept;
    } else {
      failure = TpxError.fromWire(event.error);
    }
  });
  if (failure) throw failure;
  if (result === undefined) {
    throw new TpxError("internal", "The daemon ended the intercept's answer early", {
      code: "daemon_bad_answer",
    });
  }
  return result;
}

/**
 * An intercept for a person.
 *
 * @param i the intercept
 * @returns lines of text
 */
export function describeIntercept(i: InterceptView): string {
  const what = i.spec.filters.length === 0
    ? "all of its traffic"
    : `HTTP requests with ${
      i.spec.filters.map((f) => f.on === "header" ? `${f.name}: ${f.value}` : `path ${f.value}*`)
        .join(" and ")
    }`;
  return [
    `intercept "${i.spec.name}" ${i.state}`,
    `  workload      ${i.spec.namespace}/${i.spec.workload}`,
    `  destination   ${i.local.host}:${i.local.port}`,
    `  service port  ${i.spec.servicePort ?? "(its only one)"}${
      i.spec.service ? ` of service ${i.spec.service}` : ""
    }`,
    `  intercepting  ${what}`,
  ].join("\n");
}

/**
 * The `leave` command.
 *
 * @param terminal where it prints
 * @returns the command
 */
export function leaveCommand(terminal: Terminal) {
  return new Command("leave")
    .description("end an intercept: the workload's traffic goes back to it")
    .argument("<name>", "the intercept's name, as tpx status shows it")
    .option("--restore", "remove the agent now, instead of after its idle time")
    .addOption(outputOption())
    .action(async (name, options) => {
      using daemon = await openDaemon(daemonPaths(), { start: false, notice: notice(terminal) });
      const query = options.restore ? "?restore=true" : "";
      const left = await daemon.call<LeaveResponse>(
        "DELETE",
        `/intercepts/${encodeURIComponent(name)}${query}`,
      );
      printResult(terminal, options.output, left, () =>
        [
          `left "${left.intercept.spec.name}"`,
          ...(left.restored ?? []).map((w) => `restored ${describeWorkload(w)}`),
          ...(left.refused ?? []).map((w) =>
            `not restored ${describeWorkload(w)}: ${w.error.message}`
          ),
        ].join("\n"));
    });
}

/**
 * A workload as the restore results name it.
 *
 * @param w the workload
 * @returns such as `deployment/web in "shop"`
 */
export function describeWorkload(w: { kind?: string; namespace: string; workload: string }) {
  return `${w.kind ? `${w.kind.toLowerCase()}/` : ""}${w.workload} in "${w.namespace}"`;
}

/**
 * The `list` command.
 *
 * @param terminal where it prints
 * @returns the command
 */
export function listCommand(terminal: Terminal) {
  return new Command("list")
    .description("list a namespace's workloads, their agents and intercepts")
    .option(
      "-n, --namespace <namespace>",
      "the namespace (default: the connection's)",
      parseNamespace,
    )
    .addOption(outputOption())
    .action(async (options) => {
      using daemon = await openDaemon(daemonPaths(), { start: false, notice: notice(terminal) });
      const query = options.namespace ? `?namespace=${options.namespace}` : "";
      const { workloads } = await daemon.call<{ workloads: WorkloadRow[] }>(
        "GET",
        `/workloads${query}`,
      );
      printResult(
        terminal,
        options.output,
        workloads,
        () =>
          workloads.length === 0 ? "no workloads" : workloads.map((w) => {
            const intercepts = w.intercepts.map((i) => `${i.name} (${i.state})`).join(", ");
            return `${w.kind.toLowerCase()}/${w.name}  agent: ${w.agent}` +
              (intercepts ? `  intercepted: ${intercepts}` : "");
          }).join("\n"),
      );
    });
}
