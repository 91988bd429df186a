/**
 * Runs exec credential plugins as kubectl does. client-node's own `ExecAuth` neither checks
 * `apiVersion`, nor tells the plugin which version to print (`KUBERNETES_EXEC_INFO`), nor can
 * be told to drop a credential the server rejected; this one does all three.
 *
 * @module
 */

import { isAbsolute, join } from "node:path";
import {
  EXEC_API_VERSIONS,
  type ExecPluginInfo,
  invalidOutput,
  pluginFailed,
  pluginNotFound,
  unsupportedApiVersion,
  wrongOutputVersion,
} from "./exec_errors.ts";
import { isRecord } from "./merge.ts";

/** The `exec` section of a kubeconfig user. */
export interface ExecConfig extends ExecPluginInfo {
  apiVersion: string;
  env: ReadonlyArray<{ name: string; value: string }>;
  /** Sent to the plugin in `KUBERNETES_EXEC_INFO` when `provideClusterInfo` is set. */
  cluster?: Record<string, unknown>;
}

/** What a plugin returned. */
export interface ExecCredential {
  token?: string;
  /** PEM, as the plugin printed it. */
  clientCertificateData?: string;
  clientKeyData?: string;
  /** Epoch milliseconds after which the plugin must be run again. */
  expiresAt?: number;
}

/** Options of {@link ExecPlugin}. */
export interface ExecPluginOptions {
  /** The environment the plugin inherits, and whose PATH finds it. */
  env: Readonly<Record<string, string>>;
  /** The clock, replaceable in tests. */
  now?: () => number;
}

/**
 * One user's credential plugin with its cache: the plugin runs on first use, again once the
 * credential's `expirationTimestamp` has passed, and again after {@link ExecPlugin.invalidate}
 * (called when the server answers 401).
 *
 * @example
 * ```ts
 * const plugin = new ExecPlugin(config, { env: Deno.env.toObject() });
 * const { token } = await plugin.credential();
 * ```
 */
export class ExecPlugin {
  readonly config: ExecConfig;
  #env: Readonly<Record<string, string>>;
  #now: () => number;
  #cached: ExecCredential | undefined;
  #pending: Promise<ExecCredential> | undefined;

  constructor(config: ExecConfig, options: ExecPluginOptions) {
    this.config = config;
    this.#env = options.env;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The current credential, running the plugin if there is none or it expired. Concurrent
   * callers share one run.
   *
   * @returns the credential
   * @throws {TpxError} when the plugin cannot run, fails, or prints something unusable
   */
  credential(): Promise<ExecCredential> {
    const cached = this.#cached;
    if (cached && (cached.expiresAt === undefined || cached.expiresAt > this.#now())) {
      return Promise.resolve(cached);
    }
    this.#pending ??= this.#run().then(
      (credential) => {
        this.#cached = credential;
        this.#pending = undefined;
        return credential;
      },
      (error) => {
        this.#pending = undefined;
        throw error;
      },
    );
    return this.#pending;
  }

  /** Forgets the cached credential, so that the next request runs the plugin again. */
  invalidate(): void {
    this.#cached = undefined;
  }

  async #run(): Promise<ExecCredential> {
    const config = this.config;
    if (!(EXEC_API_VERSIONS as readonly string[]).includes(config.apiVersion)) {
      throw unsupportedApiVersion(config, config.apiVersion);
    }
    const path = await findCommand(config.command, this.#env.PATH ?? "");
    if (path === undefined) throw pluginNotFound(config);
    const env: Record<string, string> = { ...this.#env };
    for (const { name, value } of config.env) env[name] = value;
    env.KUBERNETES_EXEC_INFO = JSON.stringify(execInfo(config));
    const output = await new Deno.Command(path, {
      args: [...config.args],
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    if (!output.success) throw pluginFailed(config, output.code, decoder.decode(output.stderr));
    return parseCredential(config, decoder.decode(output.stdout));
  }
}

/** The ExecCredential a plugin reads from `KUBERNETES_EXEC_INFO`; it names the version to print. */
function execInfo(config: ExecConfig): Record<string, unknown> {
  const spec: Record<string, unknown> = { interactive: false };
  if (config.cluster !== undefined) spec.cluster = config.cluster;
  return { apiVersion: config.apiVersion, kind: "ExecCredential", spec };
}

/**
 * Checks a plugin's stdout the way client-go does.
 *
 * @param config the plugin
 * @param stdout what it printed
 * @returns the credential
 * @throws {TpxError} for output that is not an ExecCredential of the expected version
 */
export function parseCredential(config: ExecConfig, stdout: string): ExecCredential {
  let document: unknown;
  try {
    document = JSON.parse(stdout);
  } catch {
    throw invalidOutput(config, "its output is not JSON");
  }
  if (!isRecord(document)) throw invalidOutput(config, "its output is not a JSON object");
  const apiVersion = typeof document.apiVersion === "string" ? document.apiVersion : "";
  if (apiVersion !== config.apiVersion) {
    throw wrongOutputVersion(config, config.apiVersion, apiVersion);
  }
  const status = document.status;
  if (!isRecord(status)) throw invalidOutput(config, 'its output has no "status"');
  const credential: ExecCredential = {};
  if (typeof status.token === "string" && status.token !== "") credential.token = status.token;
  if (typeof status.clientCertificateData === "string") {
    credential.clientCertificateData = status.clientCertificateData;
  }
  if (typeof status.clientKeyData === "string") credential.clientKeyData = status.clientKeyData;
  if (credential.token === undefined && credential.clientCertificateData === undefined) {
    throw invalidOutput(config, 'its "status" has neither a token nor a client certificate');
  }
  if (typeof status.expirationTimestamp === "string") {
    const expiresAt = Date.parse(status.expirationTimestamp);
    if (Number.isNaN(expiresAt)) {
      throw invalidOutput(config, `"expirationTimestamp" is not a time`);
    }
    credential.expiresAt = expiresAt;
  }
  return credential;
}

/** `command` resolved like a shell would: as a path if it has a slash, else on PATH. */
async function findCommand(command: string, searchPath: string): Promise<string | undefined> {
  if (command.includes("/") || isAbsolute(command)) {
    return await isExecutable(command) ? command : undefined;
  }
  const delimiter = Deno.build.os === "windows" ? ";" : ":";
  for (const dir of searchPath.split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && (info.mode === null || (info.mode & 0o111) !== 0);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) {
      return false;
    }
    throw error;
  }
}
