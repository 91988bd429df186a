/**
 * `tpx gather-logs`: one `.tar.gz` for a bug report with the daemon's log, the versions, the
 * daemon's status, and the manager's and agents' logs from the cluster. Whatever cannot be
 * read (no daemon, no cluster) is left out, named on stderr and in `missing.txt`: the archive
 * is written in any case.
 *
 * @module
 */
import { resolve } from "node:path";
import { Command, Option } from "@commander-js/extra-typings";
import { Names } from "../../cluster/install/labels.ts";
import { TpxError } from "../../tunnel/protocol/mod.ts";
import { AGENT_CONTAINER } from "../../cluster/injection/agent_container.ts";
import type { StatusResponse } from "../daemon/api_types.ts";
import { DaemonClient } from "../daemon/api_client.ts";
import { type DaemonPaths, daemonPaths } from "../daemon/paths.ts";
import { printResult, type Terminal } from "../output.ts";
import { type Gathered, gatherPodLogs, kubePodLogSource } from "../support/pod_logs.ts";
import { gzip, tar, type TarEntry } from "../support/tar.ts";
import { parseNamespace } from "./arguments.ts";
import { versionInfo } from "./version.ts";

/** Stable codes of the errors of this module. */
export const GatherLogsErrorCode = {
  ArchiveUnwritable: "archive_unwritable",
} as const;

/** What `tpx gather-logs` reports. */
export interface GatherResult {
  /** The archive's absolute path. */
  archive: string;
  /** The names of the files in it. */
  files: string[];
  /** What is not in it, and why. */
  missing: string[];
}

/** The flags of `tpx gather-logs`. */
export interface GatherOptions {
  /** The archive's path; default `tpx-logs-<timestamp>.tar.gz` in the current directory. */
  outputFile?: string;
  /** The manager's namespace; default the session's, else `tpx-system`. */
  namespaceManager?: string;
  kubeconfig?: string;
  /** Default: the session's context, else the kubeconfig's current one. */
  context?: string;
}

/** How long gather-logs waits for the API server before it leaves the cluster's part out. */
const CLUSTER_WAIT_MS = 5_000;

const encoder = new TextEncoder();

/**
 * The archive's default name for a moment.
 *
 * @param now the moment
 * @returns such as `tpx-logs-20261129T223228Z.tar.gz`
 */
export function archiveName(now: Date): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");
  return `tpx-logs-${stamp}.tar.gz`;
}

/**
 * Gathers everything and writes the archive (mode 0600: logs may name internal hosts).
 *
 * @param options the flags
 * @param paths the daemon's files
 * @param progress told what is being read, for a person
 * @returns what was written and what is missing
 * @throws {TpxError} `archive_unwritable` when the archive cannot be written
 */
export async function gatherLogs(
  options: GatherOptions,
  paths: DaemonPaths = daemonPaths(),
  progress: (line: string) => void = () => {},
): Promise<GatherResult> {
  const archive = resolve(options.outputFile ?? archiveName(new Date()));
  const local = await gatherLocal(paths);
  progress("reading the manager's and agents' logs from the cluster…");
  const cluster = await gatherCluster(options, local.status);
  const files = [...local.files, ...cluster.files];
  const missing = [...local.missing, ...cluster.missing];
  if (missing.length > 0) {
    files.push({ name: "missing.txt", data: encoder.encode(missing.join("\n") + "\n") });
  }
  const now = new Date();
  const entries = files.map((file): TarEntry => ({ ...file, mtime: now }));
  const bytes = await gzip(tar(entries));
  try {
    await Deno.writeFile(archive, bytes, { mode: 0o600 });
  } catch (error) {
    throw new TpxError("user", `Cannot write the archive "${archive}": ${reason(error)}`, {
      code: GatherLogsErrorCode.ArchiveUnwritable,
      hint: 'give a path in a directory you can write to with "-o FILE"',
      cause: error,
    });
  }
  return { archive, files: files.map((f) => f.name), missing };
}

/** The daemon's log, the versions and, if a daemon answers, its status. */
async function gatherLocal(paths: DaemonPaths): Promise<Gathered & { status?: StatusResponse }> {
  const files: TarEntry[] = [];
  const missing: string[] = [];
  using daemon = new DaemonClient(paths.socket);
  let running: Awaited<ReturnType<DaemonClient["running"]>> = undefined;
  let status: StatusResponse | undefined;
  let failure: string | undefined;
  try {
    running = await daemon.running();
    if (running) status = await daemon.call<StatusResponse>("GET", "/status");
  } catch (error) {
    failure = reason(error);
  }
  const json = (value: unknown) => encoder.encode(JSON.stringify(value, null, 2) + "\n");
  files.push({
    name: "versions.json",
    data: json({ client: versionInfo(), daemon: running ?? null }),
  });
  if (status) files.push({ name: "status.json", data: json(status) });
  else {
    missing.push(
      failure === undefined
        ? "status.json: no daemon runs (not connected)"
        : `status.json: the daemon did not answer: ${failure}`,
    );
  }

  const log = status?.daemon.log ?? paths.log;
  try {
    files.push({ name: "daemon.log", data: await Deno.readFile(log) });
  } catch (error) {
    missing.push(
      error instanceof Deno.errors.NotFound
        ? `daemon.log: there is no daemon log at "${log}"`
        : `daemon.log: cannot read "${log}": ${reason(error)}`,
    );
  }
  return { files, missing, ...(status ? { status } : {}) };
}

/** The manager's and agents' logs, or one missing line saying why the cluster was not read. */
async function gatherCluster(
  options: GatherOptions,
  status: StatusResponse | undefined,
): Promise<Gathered> {
  const session = status?.session;
  const managerNamespace = options.namespaceManager ?? session?.managerNamespace ??
    Names.DefaultNamespace;
  // A session over --manager-address has no context of its own ("(direct)").
  const context = options.context ??
    (session && session.server.startsWith("http") ? session.context : undefined);
  try {
    // client-node loads only now, and only for this command.
    const { connectKube } = await import("../../cluster/kube/mod.ts");
    await using kube = await connectKube({
      ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }),
      ...(context === undefined ? {} : { context }),
    });
    await kube.checkReachable(CLUSTER_WAIT_MS);
    return await gatherPodLogs(kubePodLogSource(kube, AGENT_CONTAINER), managerNamespace);
  } catch (error) {
    const hint = error instanceof TpxError && error.hint ? `; ${error.hint}` : "";
    return { files: [], missing: [`cluster (manager and agent logs): ${reason(error)}${hint}`] };
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The `gather-logs` command.
 *
 * @param terminal where it prints
 * @returns the command
 */
export function gatherLogsCommand(terminal: Terminal) {
  return new Command("gather-logs")
    .description(
      "write one .tar.gz for a bug report: the daemon's log, versions, status, and the " +
        "manager's and agents' logs",
    )
    .option(
      "-o, --output-file <file>",
      "where to write the archive (default: ./tpx-logs-<timestamp>.tar.gz)",
    )
    .option(
      "--namespace-manager <namespace>",
      "the manager's namespace (default: the session's, else tpx-system)",
      parseNamespace,
    )
    .option("--kubeconfig <file>", "the kubeconfig to use instead of KUBECONFIG")
    .option("--context <context>", "the kubeconfig context (default: the session's)")
    .addOption(
      // -o is the archive's path here, as in other tools' gather-logs; the format is long-only.
      new Option("--output <format>", "print the result as text or json")
        .choices(["text", "json"] as const).default("text" as const),
    )
    .action(async (options) => {
      const progress = (line: string) => {
        if (terminal.interactive) terminal.stderr(line);
      };
      const result = await gatherLogs(options, daemonPaths(), progress);
      for (const line of result.missing) terminal.stderr(`not in the archive: ${line}`);
      printResult(terminal, options.output, result, () => result.archive);
    });
}
