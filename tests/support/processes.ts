/**
 * tpx's in-cluster processes started for real, on loopback, for cross-process tests: the
 * traffic-manager and traffic-agent, each a `deno run main.ts …` child with its JSON log kept.
 *
 * @module
 */
import { AgentEnv } from "../../agent/traffic_agent/config.ts";

const mainModule = new URL("../../main.ts", import.meta.url).pathname;

/** A child process of tpx, with its log lines. */
export interface TpxProcess extends AsyncDisposable {
  readonly pid: number;
  /** Every JSON log line so far. */
  readonly logs: Record<string, unknown>[];
  /** Resolves with the first log line whose `msg` is `message`. */
  waitForLog(message: string): Promise<Record<string, unknown>>;
  /** Sends a signal (SIGKILL to crash it) and waits for it to exit. */
  kill(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/**
 * Starts `tpx <subcommand>` with `env`.
 *
 * @param subcommand `traffic-manager` or `traffic-agent`
 * @param env its environment (added to PATH and HOME)
 * @returns the running process
 */
export function startTpx(subcommand: string, env: Record<string, string>): TpxProcess {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--quiet", mainModule, subcommand],
    env: { PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "/", ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const logs: Record<string, unknown>[] = [];
  const waiters: { message: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  const reading = (async () => {
    let pending = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop()!;
      for (const line of lines.filter(Boolean)) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        for (const waiter of waiters.filter((w) => w.message === entry.msg)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(entry);
        }
      }
    }
  })();
  let status: Promise<Deno.CommandStatus> | undefined;
  const kill = async (signal: Deno.Signal = "SIGTERM") => {
    if (!status) {
      child.kill(signal);
      status = child.status;
    }
    const result = await status;
    await reading;
    return result;
  };
  return {
    pid: child.pid,
    logs,
    waitForLog(message) {
      const seen = logs.find((entry) => entry.msg === message);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ message, resolve }));
    },
    kill,
    async [Symbol.asyncDispose]() {
      await kill("SIGTERM");
    },
  };
}

/** A manager process and the ports it listens on. */
export interface ManagerProcess extends TpxProcess {
  ports: { daemon: number; agent: number; api: number };
}

/**
 * Starts a manager.
 *
 * @param ports fixed ports, or 0 for any free one
 * @param env more of its environment (lease, idle time…)
 * @returns the manager, once it listens
 */
export async function startManager(
  ports: { daemon: number; agent: number; api: number } = { daemon: 0, agent: 0, api: 0 },
  env: Record<string, string> = {},
): Promise<ManagerProcess> {
  const process = startTpx("traffic-manager", {
    TPX_LISTEN_HOST: "127.0.0.1",
    TPX_DAEMON_PORT: String(ports.daemon),
    TPX_AGENT_PORT: String(ports.agent),
    TPX_API_PORT: String(ports.api),
    ...env,
  });
  const started = await process.waitForLog("manager started");
  return Object.assign(process, { ports: started.ports as ManagerProcess["ports"] });
}

/** Where an agent fronts one app port. */
export interface AgentPorts {
  appPort: number;
  agentPort: number;
}

/**
 * Starts an agent in front of an app on loopback.
 *
 * @param managerAgentPort the manager's agent port
 * @param ports the app's port and the agent's
 * @param identity workload and pod names
 * @returns the agent, once it registered with the manager
 */
export async function startAgent(
  managerAgentPort: number,
  ports: AgentPorts,
  identity: { namespace: string; workload: string; pod: string },
): Promise<TpxProcess> {
  const process = startTpx("traffic-agent", {
    [AgentEnv.ManagerAddress]: `127.0.0.1:${managerAgentPort}`,
    [AgentEnv.Ports]: JSON.stringify([{ name: "http", ...ports, protocol: "TCP" }]),
    [AgentEnv.Namespace]: identity.namespace,
    [AgentEnv.Workload]: identity.workload,
    [AgentEnv.WorkloadKind]: "Deployment",
    [AgentEnv.Pod]: identity.pod,
    [AgentEnv.Container]: "app",
    [AgentEnv.ListenHost]: "127.0.0.1",
    GREETING: "hello from the app's env",
  });
  await process.waitForLog("connected to the manager");
  return process;
}

/** A TCP port that was free a moment ago. */
export function freePort(): number {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  return listener.addr.port;
}
