/**
 * Helpers of the end-to-end tests that run tpx as a developer does on a workstation: requests
 * made from inside the cluster (with headers), UDP from this machine, a local app behind an
 * intercept, a private mount namespace whose /etc/resolv.conf tpx may change, an
 * incompatible manager image, and what tpx leaves in the cluster.
 *
 * @example
 * ```ts
 * import { fromCluster } from "./_day_support.ts";
 *
 * await fromCluster("shop", "http://web.shop/", { "x-dev": "ana" }); // "ana" or "app web-…"
 * ```
 * @module
 */
import { cliResult } from "../support/cli.ts";
import { AGENT } from "./_injection_support.ts";
import { getJson } from "./cluster.ts";
import { cacheDir, type CommandResult, exec } from "./cluster.ts";

/** What the echo app or a local app answered to a request from inside the cluster. */
export interface ClusterAnswer {
  /** The local app that answered (see {@link localApp}). */
  who?: string;
  /** The echo pod that answered. */
  pod?: string;
  /** What the local app got from its own call (see {@link localApp}). */
  downstream?: unknown;
}

/**
 * GETs `url` from the pod `client` of `namespace`, with the echo image's client mode.
 *
 * @param namespace the client pod's namespace
 * @param url what to get
 * @param headers request headers
 * @returns the parsed body
 * @throws {Error} with the client's output when the request fails
 */
export async function getFromCluster(
  namespace: string,
  url: string,
  headers: Record<string, string> = {},
): Promise<ClusterAnswer> {
  const flags = Object.entries(headers).flatMap(([name, value]) => ["-H", `${name}:${value}`]);
  const result = await exec(namespace, "client", ["tpx-echo", "get", url, ...flags]);
  if (result.code !== 0) throw new Error(`GET ${url} failed: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as ClusterAnswer;
}

/**
 * Who answers `url` for a pod in the cluster.
 *
 * @param namespace the client pod's namespace
 * @param url what to get
 * @param headers request headers
 * @returns the `who` of a local app, `app POD` for the echo app, or `error: …`
 */
export async function fromCluster(
  namespace: string,
  url: string,
  headers: Record<string, string> = {},
): Promise<string> {
  try {
    const body = await getFromCluster(namespace, url, headers);
    return body.who ?? `app ${body.pod ?? "?"}`;
  } catch (error) {
    return `error: ${(error as Error).message}`;
  }
}

/**
 * Sends one datagram from loopback and waits (up to 10 s) for the reply.
 *
 * @param hostname where to
 * @param port which port
 * @param text the datagram
 * @returns the reply
 */
export async function udpEcho(hostname: string, port: number, text: string): Promise<string> {
  const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
  await socket.send(new TextEncoder().encode(text), { transport: "udp", hostname, port });
  const timer = setTimeout(() => {
    try {
      socket.close();
    } catch { /* closed already */ }
  }, 10_000);
  try {
    const [reply] = await socket.receive();
    return new TextDecoder().decode(reply);
  } finally {
    clearTimeout(timer);
    socket.close();
  }
}

/** A developer's process on loopback, the target of an intercept. */
export interface LocalApp extends AsyncDisposable {
  port: number;
}

/**
 * Starts a local app that answers every request with `{who, path, headers, downstream}`,
 * `downstream` being what `call` gave for this request (or its error's message): how a test
 * sees that the process behind an intercept reaches other cluster services.
 *
 * @param who the name it answers with
 * @param call what it asks of others per request
 * @returns the app
 */
export function localApp(who: string, call?: () => Promise<unknown>): LocalApp {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const url = new URL(request.url);
      let downstream: unknown;
      try {
        downstream = await call?.();
      } catch (error) {
        downstream = `error: ${(error as Error).message}`;
      }
      return Response.json({
        who,
        path: url.pathname,
        headers: Object.fromEntries(request.headers),
        downstream,
      });
    },
  );
  return {
    port: server.addr.port,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/**
 * GETs a cluster service by name from this process without touching the system resolver:
 * the name is resolved by tpx's stub, and the address it gives is on loopback.
 *
 * @param nameServer the stub, from `tpx status`
 * @param name e.g. `web.shop`
 * @param path what to get
 * @returns the parsed JSON body
 */
export async function getByName(
  nameServer: { ipAddr: string; port: number },
  name: string,
  path = "/",
): Promise<ClusterAnswer> {
  const [address] = await Deno.resolveDns(name, "A", { nameServer });
  if (address === undefined) throw new Error(`"${name}" has no address`);
  using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const response = await fetch(`http://${address}${path}`, { client });
  return await response.json() as ClusterAnswer;
}

const mainModule = new URL("../../main.ts", import.meta.url).pathname;

/**
 * A private mount namespace whose /etc/resolv.conf is a temporary file bind-mounted over the
 * machine's, so that tpx's `resolv.conf` mode changes only that file. A sleeping process keeps
 * the namespace alive; commands join it with `nsenter`, and a daemon started by one of them
 * stays in it.
 */
export interface ResolvConfNamespace extends AsyncDisposable {
  /** The temporary file's path as seen from outside the namespace. */
  resolvConf: string;
  /** What the file held at the start. */
  original: string;
  /** Runs a program inside the namespace. */
  run(command: string, args: readonly string[], env?: Record<string, string>): Promise<
    CommandResult
  >;
  /** Runs the tpx CLI inside the namespace with `TPX_HOME` set to `home`. */
  tpx(home: string, args: readonly string[], env?: Record<string, string>): Promise<CommandResult>;
}

/**
 * Starts a private mount namespace (root only) with a copy of the machine's
 * /etc/resolv.conf bind-mounted over it. Dispose ends the namespace's keeper and removes the
 * file; processes started inside it (such as a daemon) must have ended before.
 *
 * @returns the namespace
 * @throws {Error} when the namespace cannot be made, or would not be a separate one
 */
export async function resolvConfNamespace(): Promise<ResolvConfNamespace> {
  const dir = await Deno.makeTempDir({ prefix: "tpx-day-dns-" });
  const resolvConf = `${dir}/resolv.conf`;
  // A marker line tells the copy from the machine's file, should one ever replace the other.
  const original = `${await Deno.readTextFile("/etc/resolv.conf")}# tpx e2e: private copy\n`;
  await Deno.writeTextFile(resolvConf, original);
  await Deno.chmod(resolvConf, 0o644);
  const keeper = new Deno.Command("unshare", {
    args: [
      "--mount",
      "--propagation",
      "private",
      "--",
      "bash",
      "-c",
      'set -e; mount --bind "$1" /etc/resolv.conf; echo ready; exec sleep infinity',
      "keeper",
      resolvConf,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = keeper.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const stop = async () => {
    try {
      keeper.kill("SIGKILL");
    } catch { /* exited already */ }
    await reader.cancel();
    await keeper.status;
    await Deno.remove(dir, { recursive: true });
  };
  const first = await reader.read();
  const mnt = `/proc/${keeper.pid}/ns/mnt`;
  const ours = await Deno.readLink("/proc/self/ns/mnt");
  const theirs = await Deno.readLink(mnt).catch(() => ours);
  // tpx in --system-dns auto mode rewrites /etc/resolv.conf: never let it run in this
  // machine's own mount namespace.
  if (first.value?.trim() !== "ready" || theirs === ours) {
    await stop();
    throw new Error(`the private mount namespace did not start (${first.value ?? "no output"})`);
  }
  const run = async (
    command: string,
    args: readonly string[],
    env: Record<string, string> = {},
  ): Promise<CommandResult> => {
    // Should the keeper have died, its pid could be another process's, in another namespace.
    if (await Deno.readLink(mnt).catch(() => undefined) !== theirs) {
      throw new Error("the private mount namespace has ended");
    }
    const output = await new Deno.Command("nsenter", {
      args: [`--mount=${mnt}`, "--", command, ...args],
      env,
      stdin: "null",
    }).output();
    return cliResult(output);
  };
  return {
    resolvConf,
    original,
    run,
    tpx: (home, args, env = {}) =>
      run(Deno.execPath(), ["run", "--allow-all", "--quiet", mainModule, ...args], {
        TPX_HOME: home,
        NO_COLOR: "1",
        ...env,
      }),
    [Symbol.asyncDispose]: stop,
  };
}

/** The versions an incompatible build announces. */
export interface IncompatibleVersions {
  /** Its only protocol version, e.g. 99, which no other build speaks. */
  protocol: number;
  /** Its tpx version, e.g. `9.9.9`. */
  tpx: string;
}

/**
 * Builds the tpx image from a copy of the working tree that announces `versions`, tags it
 * `tag`, and imports it into the local cluster. `tests/cluster/image.sh` of the copy does the build; its settings are pointed at
 * the tag and at a folder of its own, so the `localhost/tpx:dev` build is left alone.
 *
 * @param tag the image's tag, e.g. `localhost/tpx:incompatible`
 * @param versions what the build announces
 * @throws {Error} when a step fails
 */
export async function buildIncompatibleImage(
  tag: string,
  versions: IncompatibleVersions,
): Promise<void> {
  const repo = new URL("../../", import.meta.url).pathname;
  const copy = await Deno.makeTempDir({ prefix: "tpx-incompatible-" });
  try {
    await sh(
      'tar -C "$1" --exclude=./.git --exclude=./node_modules -cf - . | tar -C "$2" -xf -',
      [repo, copy],
    );
    await rewrite(`${copy}/tunnel/protocol/version.ts`, [
      [/PROTOCOL_VERSION = \d+;/g, `PROTOCOL_VERSION = ${versions.protocol};`],
      [/TPX_VERSION = "[^"]*";/, `TPX_VERSION = "${versions.tpx}";`],
    ]);
    await rewrite(`${copy}/tests/cluster/env.sh`, [
      [/^TPX_IMAGE=.*$/m, `TPX_IMAGE=${tag}`],
      [/^TPX_IMAGES=.*$/m, `TPX_IMAGES=${copy}/images`],
    ]);
    // The lock every build of the image takes: the staging folder is shared.
    await sh('flock /tmp/tpx-image.lock "$1/tests/cluster/image.sh" --no-import', [copy]);
    await sh('ctr --address "$1" --namespace k8s.io images import "$2" > /dev/null', [
      containerdSocket(),
      `${copy}/images/tpx.tar`,
    ]);
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
}

/**
 * Removes an image from the local cluster's containerd.
 *
 * @param tag the image
 */
export async function removeImage(tag: string): Promise<void> {
  await sh('ctr --address "$1" --namespace k8s.io images rm "$2" > /dev/null', [
    containerdSocket(),
    tag,
  ]);
}

/** The local cluster's containerd, as tests/cluster/env.sh places it. */
function containerdSocket(): string {
  return `${Deno.env.get("TPX_RUN") ?? "/var/lib/tpx-cluster"}/containerd/containerd.sock`;
}

/** Runs a bash script with arguments; throws with its output unless it succeeds. */
async function sh(script: string, args: readonly string[]): Promise<void> {
  const output = await new Deno.Command("bash", {
    args: ["-c", `set -euo pipefail; ${script}`, "sh", ...args],
    env: { PATH: `${cacheDir()}/bin:${Deno.env.get("PATH") ?? ""}` },
    stdin: "null",
  }).output();
  if (!output.success) {
    const decoder = new TextDecoder();
    throw new Error(
      `"${script}" failed: ${decoder.decode(output.stdout)}${decoder.decode(output.stderr)}`,
    );
  }
}

/** Applies replacements to a file, each of which must match. */
async function rewrite(path: string, replacements: [RegExp, string][]): Promise<void> {
  let text = await Deno.readTextFile(path);
  for (const [pattern, replacement] of replacements) {
    if (!pattern.test(text)) throw new Error(`"${path}" has no match of ${pattern}`);
    pattern.lastIndex = 0;
    text = text.replace(pattern, replacement);
  }
  await Deno.writeTextFile(path, text);
}

interface Marked {
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  spec?: { containers?: { name: string }[] };
}

/**
 * Everything of tpx in the given namespaces: workloads and Services with a `tpx.dev/`
 * annotation, and pods that run the agent. ReplicaSets are left out: the older ones keep the
 * injected pod template as the Deployment's revision history, which Kubernetes owns.
 *
 * @param namespaces the app namespaces
 * @returns `Kind/namespace/name (what)` of each, sorted
 */
export async function tpxLeftovers(namespaces: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const namespace of namespaces) {
    const { items } = await getJson<{ items: Marked[] }>([
      "deployments,statefulsets,daemonsets,services,pods",
      "-n",
      namespace,
    ]);
    for (const item of items) {
      const where = `${item.kind}/${namespace}/${item.metadata.name}`;
      const marks = Object.keys(item.metadata.annotations ?? {}).filter((key) =>
        key.startsWith("tpx.dev/")
      );
      if (marks.length > 0) found.push(`${where} (${marks.join(", ")})`);
      if (item.spec?.containers?.some((c) => c.name === AGENT)) found.push(`${where} (${AGENT})`);
    }
  }
  return found.sort();
}

export { forceRemoveManager } from "./cluster.ts";

/**
 * Whether a process runs (a zombie counts as gone).
 *
 * @param pid the process
 * @returns true while it runs
 */
export async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}
