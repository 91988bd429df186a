/**
 * `tpx manager install|upgrade|uninstall|manifests`: the in-cluster traffic-manager's life
 * cycle. `manifests` prints YAML without contacting the cluster (nor loading client-node).
 *
 * @module
 */
import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { defaultImage, Names } from "../../cluster/install/labels.ts";
import { managerObjects, type ManifestOptions } from "../../cluster/install/manifests.ts";
import { toYamlDocuments, type YamlValue } from "../../cluster/install/yaml.ts";
import type { InstallResult, UninstallResult } from "../../cluster/install/install.ts";
import { printResult, type Terminal } from "../output.ts";
import { parseNamespace, parseNamespaces } from "./arguments.ts";
import { outputOption } from "./version.ts";

/** A positive whole number: milliseconds or, for `--timeout`, seconds. */
function parseMs(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0) throw new InvalidArgumentError("give a whole number");
  return ms;
}

/** Options every subcommand takes. */
function withCommon(command: Command) {
  return command
    .addOption(
      new Option("-n, --namespace <namespace>", "the manager's namespace")
        .default(Names.DefaultNamespace as string).argParser(parseNamespace),
    )
    .option("--kubeconfig <file>", "the kubeconfig to use instead of KUBECONFIG")
    .option("--context <context>", "the kubeconfig context to use")
    .addOption(outputOption());
}

/** Options that shape the manager's objects. */
function withManifestOptions(command: ReturnType<typeof withCommon>, image: string | undefined) {
  const imageOption = new Option("--image <image>", "the manager's image");
  return command
    .addOption(image === undefined ? imageOption : imageOption.default(image))
    .addOption(
      new Option("--namespaces <list>", "manage only these namespaces (comma-separated)")
        .argParser(parseNamespaces),
    )
    .option("--log-level <level>", "the manager's log level (TPX_LOG_LEVEL)")
    .addOption(new Option("--lease-ms <ms>", "TPX_LEASE_MS").argParser(parseMs))
    .addOption(new Option("--agent-idle-ms <ms>", "TPX_AGENT_IDLE_MS").argParser(parseMs));
}

/** `--timeout`: how long install and upgrade wait for the manager. */
function withTimeout<T extends ReturnType<typeof withManifestOptions>>(command: T) {
  return command.addOption(
    new Option("--timeout <seconds>", "how long to wait for the manager to be ready")
      .default(180_000, "180").argParser((value) => parseMs(value) * 1000),
  );
}

function waitOption(options: { timeout: number }) {
  return { wait: { timeoutMs: options.timeout } };
}

/** What the manifest options of a parsed command line become. */
interface ParsedManifestOptions {
  namespace: string;
  image?: string;
  namespaces?: string[];
  logLevel?: string;
  leaseMs?: number;
  agentIdleMs?: number;
}

function manifestOptions(parsed: ParsedManifestOptions, image: string): ManifestOptions {
  return {
    namespace: parsed.namespace,
    image: parsed.image ?? image,
    namespaces: parsed.namespaces,
    logLevel: parsed.logLevel,
    leaseMs: parsed.leaseMs,
    agentIdleMs: parsed.agentIdleMs,
  };
}

/** Connects with the flags, loading client-node only now. */
async function connect(options: { kubeconfig?: string; context?: string }) {
  const { connectKube } = await import("../../cluster/kube/mod.ts");
  const kube = { ...options.kubeconfig && { kubeconfig: options.kubeconfig } };
  return await connectKube({ ...kube, ...options.context && { context: options.context } });
}

/**
 * The `manager` command and its subcommands.
 *
 * @param terminal where they print
 * @returns the command
 */
export function managerCommand(terminal: Terminal) {
  const progress = (line: string) => {
    if (terminal.interactive) terminal.stderr(line);
  };
  const image = defaultImage();

  const install = withTimeout(withManifestOptions(withCommon(new Command("install")), image))
    .description("install the traffic-manager in the cluster and wait until it is ready")
    .action(async (options) => {
      const { install } = await import("../../cluster/install/install.ts");
      await using kube = await connect(options);
      const parsed = { ...manifestOptions(options, image), ...waitOption(options) };
      const result = await install(kube, parsed, progress);
      printResult(terminal, options.output, result, () => installedText("Installed", result));
    });

  // Without --image, upgrade moves to this binary's version (or keeps the image of a manager
  // already at this version), which install cannot decide before it has read the cluster.
  const upgrade = withTimeout(withManifestOptions(withCommon(new Command("upgrade")), undefined))
    .description("move the installed traffic-manager to a new image or settings")
    .action(async (options) => {
      const { upgrade } = await import("../../cluster/install/install.ts");
      await using kube = await connect(options);
      const parsed = { ...manifestOptions(options, ""), image: options.image };
      const result = await upgrade(kube, { ...parsed, ...waitOption(options) }, progress);
      printResult(terminal, options.output, result, () => installedText("Upgraded", result));
    });

  const uninstall = withCommon(new Command("uninstall"))
    .description("restore every intercepted workload, then remove the traffic-manager")
    .action(async (options) => {
      const { uninstall } = await import("../../cluster/install/install.ts");
      await using kube = await connect(options);
      const result = await uninstall(kube, { namespace: options.namespace }, progress);
      printResult(terminal, options.output, result, () => uninstalledText(result));
    });

  const manifests = withManifestOptions(withCommon(new Command("manifests")), image)
    .description("print the traffic-manager's manifests as YAML, without contacting the cluster")
    .action((options) => {
      const objects = managerObjects(manifestOptions(options, image));
      const list = { apiVersion: "v1", kind: "List", items: objects };
      printResult(
        terminal,
        options.output,
        list,
        () => toYamlDocuments(objects as unknown as YamlValue[]).trimEnd(),
      );
    });

  return new Command("manager")
    .description("install, upgrade or remove the in-cluster traffic-manager")
    .addCommand(install)
    .addCommand(upgrade)
    .addCommand(uninstall)
    .addCommand(manifests);
}

function installedText(verb: string, result: InstallResult): string {
  const scope = result.namespaces === undefined
    ? "all namespaces"
    : `namespaces ${result.namespaces.map((n) => `"${n}"`).join(", ")}`;
  const before = result.previous && result.previous.image !== result.image
    ? ` (was "${result.previous.image}")`
    : "";
  return `${verb} the tpx traffic-manager ${result.version} in namespace "${result.namespace}"\n` +
    `image     ${result.image}${before}\nmanages   ${scope}`;
}

function uninstalledText(result: UninstallResult): string {
  const lines = [`Uninstalled the tpx traffic-manager from namespace "${result.namespace}"`];
  lines.push(
    result.restored.length === 0
      ? "no workload carried an agent"
      : `restored  ${result.restored.join(", ")}`,
  );
  lines.push(`deleted   ${result.deleted.length} objects`);
  return lines.join("\n");
}
