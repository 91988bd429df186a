/**
 * Errors of exec credential plugins (`aws eks get-token`, `gke-gcloud-auth-plugin`, ...), with
 * hints that name the tool to upgrade and the command that refreshes the kubeconfig.
 *
 * @module
 */

import { TpxError } from "../../tunnel/protocol/errors.ts";

/** The ExecCredential versions tpx speaks, newest first. */
export const EXEC_API_VERSIONS = [
  "client.authentication.k8s.io/v1",
  "client.authentication.k8s.io/v1beta1",
] as const;

/** Stable codes of the errors in this module. */
export const ExecErrorCode = {
  UnsupportedApiVersion: "exec_plugin_unsupported_api_version",
  WrongOutputVersion: "exec_plugin_wrong_api_version",
  InvalidOutput: "exec_plugin_invalid_output",
  NotFound: "exec_plugin_not_found",
  Failed: "exec_plugin_failed",
} as const;

/** What an error needs to know about the plugin. */
export interface ExecPluginInfo {
  /** The user entry the plugin belongs to. */
  user: string;
  command: string;
  args: readonly string[];
  /** `installHint` from the kubeconfig, if any. */
  installHint?: string;
}

/** The longest piece of a plugin's stderr quoted in a message. */
const MAX_STDERR = 600;

/**
 * The kubeconfig names an ExecCredential version tpx cannot speak — typically empty or the
 * removed `v1alpha1` — so the kubeconfig was written by an old tool.
 *
 * @param plugin the plugin
 * @param apiVersion `exec.apiVersion` as written
 * @returns a config error whose hint says which tool to upgrade
 */
export function unsupportedApiVersion(plugin: ExecPluginInfo, apiVersion: string): TpxError {
  return new TpxError(
    "config",
    `Credential plugin "${plugin.command}" of user "${plugin.user}" has an unsupported ` +
      `apiVersion "${apiVersion}": expected "${EXEC_API_VERSIONS[0]}" or "${EXEC_API_VERSIONS[1]}"`,
    { code: ExecErrorCode.UnsupportedApiVersion, hint: upgradeHint(plugin) },
  );
}

/**
 * The plugin answered with another ExecCredential version than the kubeconfig names.
 *
 * @param plugin the plugin
 * @param expected `exec.apiVersion` of the kubeconfig
 * @param actual the `apiVersion` the plugin printed
 * @returns a config error whose hint says which tool to upgrade
 */
export function wrongOutputVersion(
  plugin: ExecPluginInfo,
  expected: string,
  actual: string,
): TpxError {
  return new TpxError(
    "config",
    `Credential plugin "${plugin.command}" returned apiVersion "${actual}": ` +
      `the kubeconfig expects "${expected}"`,
    {
      code: ExecErrorCode.WrongOutputVersion,
      hint: `${upgradeHint(plugin)}; the plugin must print apiVersion "${expected}"`,
    },
  );
}

/**
 * The plugin's output is not an ExecCredential.
 *
 * @param plugin the plugin
 * @param detail what is wrong with it
 * @returns a config error
 */
export function invalidOutput(plugin: ExecPluginInfo, detail: string): TpxError {
  return new TpxError(
    "config",
    `Credential plugin "${plugin.command}" returned no usable credential: ${detail}`,
    { code: ExecErrorCode.InvalidOutput, hint: upgradeHint(plugin) },
  );
}

/**
 * The plugin's command does not exist.
 *
 * @param plugin the plugin
 * @returns a config error whose hint says how to install it
 */
export function pluginNotFound(plugin: ExecPluginInfo): TpxError {
  const tool = toolOf(plugin);
  const install = plugin.installHint?.trim() ||
    (tool === "aws"
      ? "install the AWS CLI: https://aws.amazon.com/cli/"
      : tool === "gke"
      ? 'run "gcloud components install gke-gcloud-auth-plugin"'
      : `install "${plugin.command}", or fix "exec.command" of user "${plugin.user}"`);
  return new TpxError("config", `Credential plugin "${plugin.command}" was not found`, {
    code: ExecErrorCode.NotFound,
    hint: install,
  });
}

/**
 * The plugin exited with an error.
 *
 * @param plugin the plugin
 * @param exitCode its exit code
 * @param stderr what it printed on stderr
 * @returns a cluster error quoting the end of its stderr
 */
export function pluginFailed(plugin: ExecPluginInfo, exitCode: number, stderr: string): TpxError {
  const said = trimStderr(stderr);
  return new TpxError(
    "config",
    `Credential plugin "${plugin.command}" failed with exit code ${exitCode}` +
      (said === "" ? "" : `: ${said}`),
    {
      code: ExecErrorCode.Failed,
      hint: `run it yourself to see why: "${[plugin.command, ...plugin.args].join(" ")}"`,
      retryable: true,
    },
  );
}

/**
 * How to get a plugin and kubeconfig that agree on the ExecCredential version.
 *
 * @param plugin the plugin
 * @returns a hint naming the tool to upgrade and the command that refreshes the kubeconfig
 */
export function upgradeHint(plugin: ExecPluginInfo): string {
  const cluster = argAfter(plugin.args, ["--cluster-name", "--cluster-id", "-i"]) ?? "CLUSTER";
  switch (toolOf(plugin)) {
    case "aws":
      return `upgrade the AWS CLI, then refresh the kubeconfig: "aws eks update-kubeconfig --name ${cluster}"`;
    case "aws-iam-authenticator":
      return `upgrade aws-iam-authenticator, or switch to the AWS CLI: "aws eks update-kubeconfig --name ${cluster}"`;
    case "gke":
      return 'run "gcloud components update", then refresh the kubeconfig: ' +
        '"gcloud container clusters get-credentials CLUSTER"';
    case "kubelogin":
      return 'upgrade kubelogin, then refresh the kubeconfig: "az aks get-credentials --name CLUSTER ' +
        '--resource-group GROUP" and "kubelogin convert-kubeconfig"';
    default:
      return `upgrade "${plugin.command}", then regenerate user "${plugin.user}" of the kubeconfig ` +
        "with the tool that wrote it";
  }
}

function toolOf(plugin: ExecPluginInfo): string {
  const base = plugin.command.split(/[\\/]/).pop()?.replace(/\.exe$/, "") ?? "";
  if (base === "aws") return "aws";
  if (base === "aws-iam-authenticator") return "aws-iam-authenticator";
  if (base === "gke-gcloud-auth-plugin" || base === "gcloud") return "gke";
  if (base === "kubelogin") return "kubelogin";
  return "other";
}

function argAfter(args: readonly string[], flags: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    for (const flag of flags) {
      if (arg === flag) return args[i + 1];
      if (arg.startsWith(`${flag}=`)) return arg.slice(flag.length + 1);
    }
  }
  return undefined;
}

/** The end of stderr on one line: plugins put the reason last, after progress chatter. */
function trimStderr(stderr: string): string {
  const text = stderr.trim().split(/\s*\n\s*/).join(" | ");
  return text.length <= MAX_STDERR ? text : `…${text.slice(text.length - MAX_STDERR)}`;
}
