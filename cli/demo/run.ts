/**
 * The demo from start to end: the cluster side on loopback, then what a developer does —
 * connect, reach a service by name, intercept it to a handler on their machine, leave, quit —
 * and, whatever happened, everything stopped and removed.
 *
 * @module
 */
import { TpxError } from "../../tunnel/protocol/mod.ts";
import type { ChildProcess } from "./children.ts";
import { DEMO_SERVICE, freeLoopbackPort, startAgent, startManager } from "./cluster_side.ts";
import { DemoDaemon, demoDaemonPaths } from "./daemon_side.ts";
import { expectAnswer, type SentenceServer, sentenceServer } from "./http.ts";
import { resolveWithStub } from "./lookup.ts";
import type { DemoReport } from "./report.ts";
import { runStep, runSteps, type Step, type StepResult } from "./steps.ts";

/** Stable codes of the errors of this module. */
export const RunErrorCode = { DaemonGone: "demo_daemon_gone", Cleanup: "demo_cleanup" } as const;

/** What the sample service and the handler on this machine answer. */
export const ANSWERS = {
  service: "hello from the sample service",
  local: "hello from your machine",
} as const;

/** Options of {@link runDemo}. */
export interface RunDemoOptions {
  /** Ctrl-C or SIGTERM: the step running now ends, and the clean-up runs. */
  signal: AbortSignal;
  /** Receives each step's result as soon as it is known. */
  onResult: (result: StepResult) => void;
}

/** Everything the steps start, for the clean-up to stop. */
interface Started {
  sample?: SentenceServer;
  local?: SentenceServer;
  manager?: ChildProcess;
  managerPorts?: { daemon: number; agent: number; api: number };
  agent?: ChildProcess;
  agentPort?: number;
  daemon?: DemoDaemon;
  stub?: { address: string; port: number };
  /** The service's loopback address, once its name resolved. */
  address?: string;
}

/**
 * Runs the demo.
 *
 * @param options the Ctrl-C signal and where results go
 * @returns the report; its `ok` is true only when every step passed, the clean-up included
 */
export async function runDemo(options: RunDemoOptions): Promise<DemoReport> {
  const dir = await Deno.makeTempDir({ prefix: "tpx-demo-" });
  const started: Started = {};
  const results = await runSteps(demoSteps(dir, started), options);
  const passed = results.every((r) => r.ok);
  // A failure's logs are what explains it; an interruption needs no explaining.
  const keepLogs = !passed && !options.signal.aborted;
  const cleanup = await runStep(cleanupStep(dir, started, keepLogs));
  options.onResult(cleanup);
  const logs = keepLogs ? await logFiles(dir) : [];
  return {
    ok: passed && cleanup.ok,
    interrupted: options.signal.aborted,
    steps: [...results, cleanup],
    pids: {
      ...(started.manager ? { manager: started.manager.pid } : {}),
      ...(started.agent ? { agent: started.agent.pid } : {}),
      ...(started.daemon ? { daemon: started.daemon.pid } : {}),
    },
    dir,
    logs,
  };
}

function demoSteps(dir: string, s: Started): Step[] {
  const { name, namespace, workload, portName } = DEMO_SERVICE;
  const interceptName = `${workload}-${namespace}`;
  return [
    {
      name: "start the sample service",
      timeoutMs: 5_000,
      run: () => {
        s.sample = sentenceServer(ANSWERS.service);
        return Promise.resolve(`"${ANSWERS.service}" on 127.0.0.1:${s.sample.port}`);
      },
    },
    {
      name: "start the traffic-manager",
      timeoutMs: 30_000,
      run: async (signal) => {
        s.agentPort = await freeLoopbackPort();
        const manager = await startManager({
          agentPort: s.agentPort,
          logPath: `${dir}/manager.log`,
          signal,
        });
        s.manager = manager.process;
        s.managerPorts = manager.ports;
        return `pid ${manager.process.pid}, daemons connect to 127.0.0.1:${manager.ports.daemon}; ` +
          `it knows "${DEMO_SERVICE.fqdn}"`;
      },
    },
    {
      name: "start the traffic-agent",
      timeoutMs: 30_000,
      run: async (signal) => {
        s.agent = await startAgent({
          managerAgentPort: s.managerPorts!.agent,
          appPort: s.sample!.port,
          agentPort: s.agentPort!,
          logPath: `${dir}/agent.log`,
          signal,
        });
        return `pid ${s.agent.pid}, ${namespace}/${workload} on 127.0.0.1:${s.agentPort} → ` +
          `the sample service`;
      },
    },
    {
      name: "connect",
      timeoutMs: 30_000,
      run: async (signal) => {
        s.daemon = await DemoDaemon.start(demoDaemonPaths(`${dir}/home`));
        const session = await s.daemon.connect(
          `127.0.0.1:${s.managerPorts!.daemon}`,
          namespace,
          signal,
        );
        s.stub = { address: session.dns.address, port: session.dns.port };
        return `daemon pid ${s.daemon.pid}, stub DNS on ${s.stub.address}:${s.stub.port}, ` +
          `tunnel ${session.tunnel}`;
      },
    },
    {
      name: `resolve ${name}`,
      timeoutMs: 10_000,
      run: async (signal) => {
        const [address] = await resolveWithStub(s.stub!, name, signal);
        s.address = address;
        return `${name} → ${address}`;
      },
    },
    {
      name: `request http://${name}`,
      timeoutMs: 15_000,
      run: (signal) => request(s, ANSWERS.service, signal),
    },
    {
      name: `intercept ${workload}`,
      timeoutMs: 30_000,
      run: async (signal) => {
        s.local = sentenceServer(ANSWERS.local);
        const intercept = await s.daemon!.intercept({
          name: interceptName,
          workload,
          namespace,
          servicePort: portName,
          localPort: s.local.port,
          filters: [],
        }, signal);
        return `"${intercept.spec.name}" ${intercept.state}: ${namespace}/${workload} → ` +
          `127.0.0.1:${s.local.port} on this machine`;
      },
    },
    {
      name: `request http://${name} (intercepted)`,
      timeoutMs: 15_000,
      run: (signal) => request(s, ANSWERS.local, signal),
    },
    {
      name: `leave ${interceptName}`,
      timeoutMs: 15_000,
      run: async (signal) => {
        await s.daemon!.leave(interceptName, signal);
        return `${namespace}/${workload} gets its traffic back`;
      },
    },
    {
      name: `request http://${name} (after leave)`,
      timeoutMs: 15_000,
      run: (signal) => request(s, ANSWERS.service, signal),
    },
    {
      name: "quit",
      timeoutMs: 15_000,
      run: async () => {
        const result = await s.daemon!.quit();
        if (result === undefined) {
          throw new TpxError("internal", "The daemon was no longer running", {
            code: RunErrorCode.DaemonGone,
            hint: `its log is "${s.daemon!.paths.log}"`,
          });
        }
        return `disconnected; the daemon (pid ${s.daemon!.pid}) stopped`;
      },
    },
  ];
}

async function request(s: Started, expected: string, signal: AbortSignal): Promise<string> {
  const url = `http://${s.address}:${s.agentPort}/`;
  const tries = await expectAnswer(url, expected, { withinMs: 10_000, signal });
  const note = tries > 1 ? ` (after ${tries} tries)` : "";
  return `GET http://${DEMO_SERVICE.name}:${s.agentPort}/ (${s.address}) answered ` +
    `"${expected}"${note}`;
}

function cleanupStep(dir: string, s: Started, keepLogs: boolean): Step {
  return {
    name: "clean up",
    timeoutMs: 30_000,
    run: async () => {
      const problems: string[] = [];
      const attempt = async (what: string, stop: () => Promise<unknown>) => {
        try {
          await stop();
        } catch (error) {
          problems.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
        }
      };
      const stopped: string[] = [];
      // The daemon first: its intercept and session end at a manager that is still there.
      await attempt("the daemon", async () => {
        try {
          if (await s.daemon?.quit() !== undefined) stopped.push("the daemon");
        } finally {
          s.daemon?.[Symbol.dispose]();
        }
      });
      if (s.agent) stopped.push("the agent");
      if (s.manager) stopped.push("the manager");
      await attempt("the agent", async () => await s.agent?.stop());
      await attempt("the manager", async () => await s.manager?.stop());
      await attempt("the local handler", async () => await s.local?.[Symbol.asyncDispose]());
      await attempt("the sample service", async () => await s.sample?.[Symbol.asyncDispose]());
      await attempt(
        `"${dir}"`,
        () => keepLogs ? removeAllButLogs(dir) : Deno.remove(dir, { recursive: true }),
      );
      if (problems.length > 0) {
        throw new TpxError("internal", `Could not stop ${problems.join("; ")}`, {
          code: RunErrorCode.Cleanup,
        });
      }
      const what = stopped.length > 0 ? `stopped ${stopped.join(", ")}; ` : "";
      return keepLogs ? `${what}kept the logs in ${dir}` : `${what}removed ${dir}`;
    },
  };
}

/** Every file under `dir` that is not a log goes (the daemon's socket, its state). */
async function removeAllButLogs(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) await removeAllButLogs(path);
    else if (!entry.name.endsWith(".log")) await Deno.remove(path);
  }
}

async function logFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (at: string) => {
    for await (const entry of Deno.readDir(at)) {
      if (entry.isDirectory) await walk(`${at}/${entry.name}`);
      else if (entry.name.endsWith(".log")) found.push(`${at}/${entry.name}`);
    }
  };
  await walk(dir).catch(() => {});
  return found.sort();
}
