/**
 * A developer's day through the real CLI (each command a process, a private `TPX_HOME`), each
 * step beside what the user would wait for without tpx, measured in the same round:
 *
 * | figure | value | baseline |
 * | --- | --- | --- |
 * | `connect_time` | `tpx connect` until it returns | `kubectl port-forward` to the manager pod until `/readyz` answers through it: the closest a user gets to the cluster by hand |
 * | `intercept_first_ready` | `tpx intercept` of a Deployment without an agent until it returns active (the injection's rollout included) | `kubectl rollout restart` of the same Deployment until `rollout status` completes |
 * | `intercept_again_ready` | `tpx intercept` after a `leave` that kept the agent | the same rollout restart: what a user would wait for if every intercept rolled the workload; the plain `rollout status` of the unchanged Deployment (one API round trip of kubectl) is printed beside it |
 * | `leave_time` | `tpx leave` until a request from the cluster reaches the app again | one request from the cluster (a round trip with nothing to wait for) |
 * | `restore_after_crash` | `kill -9` of the daemon until callers in the cluster reach the app | the manager's lease, the designed bound; the ratio to one request is printed beside it |
 * | `intercept_throughput` | a client in the cluster POSTs N bytes through the intercept to the laptop app | the same bytes POSTed to the echo pod over `kubectl port-forward` |
 *
 * Beside them: `then_routed_s`, the seconds after the first `tpx intercept` returned until
 * three requests in a row from the cluster reached the laptop (Endpoints follow the new pod a moment after its
 * rollout); `requests`, how many requests from the cluster a wait took (1: the very first one
 * after the event already reached the app, so the figure is bounded by one round trip).
 *
 * Each round ends with the Deployment restored (no agent), so every round's first intercept
 * injects. Figures are the medians of the rounds.
 *
 * @module
 */
import type { InterceptView, StatusResponse } from "../../../cli/daemon/api_types.ts";
import type { RestoreResult } from "../../../cli/daemon/manager_client.ts";
import {
  clusterConnectArgs,
  kubectl,
  podNames,
  portForward,
  rolloutStatus,
  waitFor,
} from "../../e2e/cluster.ts";
import { type CliHome, cliHome } from "../../support/cli.ts";
import type { BenchOptions, BenchResult } from "../result.ts";
import { crashFigure, type CrashSample, medianFigure, type Sample } from "./day_figures.ts";
import { type DaySetup, withDaySetup } from "./day_setup.ts";
import { ask, askUntil, fromApp, fromLaptop, uploadFromCluster } from "./in_cluster.ts";
import { upload } from "./http_load.ts";
import { laptopApp } from "./laptop_app.ts";
import { MANAGER_LABELS } from "./manifests.ts";

const MiB = 1024 * 1024;
const WARM_UP = MiB;
/** Requests in a row that must reach the laptop before the intercept counts as routed. */
const ROUTED_IN_A_ROW = 3;

/** Everything one round measured, in seconds (throughput in bytes per second). */
interface Round {
  connect: Sample;
  first: Sample;
  firstThenRouted: number;
  again: Sample;
  unchangedRolloutStatus: number;
  leave: Sample;
  /** How many requests from the cluster it took to see the app again after `leave`. */
  leaveRequests: number;
  crash: CrashSample;
  /** The same after the crash. */
  crashRequests: number;
  throughput: Sample;
}

/** Seconds that `fn` takes, and what it returned. */
async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const start = performance.now();
  const result = await fn();
  return { seconds: (performance.now() - start) / 1000, result };
}

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  return (await timed(fn)).seconds;
}

/** A CLI command that must succeed. */
async function tpx(cli: CliHome, args: string[]): Promise<string> {
  const result = await cli.run(args);
  if (result.code !== 0) {
    throw new Error(`tpx ${args.join(" ")} exited with ${result.code}: ${result.stderr}`);
  }
  return result.stdout;
}

/** The day's steps against one setup, with one CLI home and one laptop app. */
class Day {
  readonly #setup: DaySetup;
  readonly #cli: CliHome;
  readonly #laptopPort: number;
  readonly #bytes: number;
  readonly #url: string;

  constructor(setup: DaySetup, cli: CliHome, laptopPort: number, bytes: number) {
    this.#setup = setup;
    this.#cli = cli;
    this.#laptopPort = laptopPort;
    this.#bytes = bytes;
    this.#url = `http://echo.${setup.namespace}/`;
  }

  get #ns(): string {
    return this.#setup.namespace;
  }

  #connectArgs(): string[] {
    return clusterConnectArgs(this.#setup.managerNamespace, this.#ns);
  }

  #intercept(): Promise<InterceptView> {
    return this.#cli.json<InterceptView>(["intercept", "echo", "-p", `${this.#laptopPort}:http`]);
  }

  /** One round, from a quit daemon and a Deployment without an agent, back to both unless last. */
  async round(last: boolean): Promise<Round> {
    const connect = await this.#connect();
    const rollout = await this.#rolloutRestart();
    const first = await this.#interceptActive();
    const firstThenRouted = await seconds(() =>
      askUntil(this.#ns, this.#url, fromLaptop, ROUTED_IN_A_ROW)
    );
    const throughput = await this.#throughput();
    const { leave, leaveRequests } = await this.#leave();
    const again = await this.#interceptActive();
    await askUntil(this.#ns, this.#url, fromLaptop, ROUTED_IN_A_ROW);
    const unchangedRolloutStatus = await seconds(() => rolloutStatus(this.#ns, "deployment/echo"));
    const { crash, crashRequests } = await this.#crash();
    if (!last) await this.#restore();
    return {
      connect,
      first: { value: first, baseline: rollout },
      firstThenRouted,
      again: { value: again, baseline: rollout },
      unchangedRolloutStatus,
      leave,
      leaveRequests,
      crash,
      crashRequests,
      throughput,
    };
  }

  /** `tpx connect`, against a port-forward to the manager until its first answer. */
  async #connect(): Promise<Sample> {
    const value = await seconds(() => tpx(this.#cli, this.#connectArgs()));
    const [pod] = await podNames(this.#setup.managerNamespace, MANAGER_LABELS);
    const start = performance.now();
    const forward = await portForward(this.#setup.managerNamespace, `pod/${pod}`, 8080);
    let baseline: number;
    try {
      using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
      const response = await fetch(`http://127.0.0.1:${forward.localPort}/readyz`, { client });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`The manager's /readyz answered ${response.status}`);
      // Stopping kubectl is not part of what a user waits for.
      baseline = (performance.now() - start) / 1000;
    } finally {
      await forward.stop();
    }
    return { value, baseline };
  }

  async #rolloutRestart(): Promise<number> {
    return await seconds(async () => {
      await kubectl(["rollout", "restart", "-n", this.#ns, "deployment/echo"], { check: true });
      await rolloutStatus(this.#ns, "deployment/echo");
    });
  }

  async #interceptActive(): Promise<number> {
    const { seconds, result } = await timed(() => this.#intercept());
    if (result.state !== "active") {
      throw new Error(`The intercept is ${result.state}: ${JSON.stringify(result)}`);
    }
    return seconds;
  }

  async #leave(): Promise<{ leave: Sample; leaveRequests: number }> {
    const { seconds: value, result: leaveRequests } = await timed(async () => {
      await tpx(this.#cli, ["leave", `echo-${this.#ns}`]);
      return await askUntil(this.#ns, this.#url, fromApp);
    });
    const baseline = await seconds(async () => {
      if (!fromApp(await ask(this.#ns, this.#url))) throw new Error("The app did not answer");
    });
    return { leave: { value, baseline }, leaveRequests };
  }

  async #crash(): Promise<{ crash: CrashSample; crashRequests: number }> {
    const status = await this.#cli.json<StatusResponse>(["status"]);
    const start = performance.now();
    Deno.kill(status.daemon.pid, "SIGKILL");
    const crashRequests = await askUntil(this.#ns, this.#url, fromApp);
    const elapsed = (performance.now() - start) / 1000;
    const requestSeconds = await seconds(() => ask(this.#ns, this.#url));
    return { crash: { seconds: elapsed, requestSeconds }, crashRequests };
  }

  /** Upload from the cluster through the intercept, against kubectl port-forward to the pod. */
  async #throughput(): Promise<Sample> {
    const sink = `http://echo.${this.#ns}/sink`;
    // A small transfer first on each path, so that neither pays for its setup in the figure.
    await uploadFromCluster(this.#ns, sink, WARM_UP);
    const through = await uploadFromCluster(this.#ns, sink, this.#bytes);
    if (through.who !== "laptop") throw new Error(`The upload reached ${through.who}`);
    const [pod] = await podNames(this.#ns, "app=echo");
    const forward = await portForward(this.#ns, `pod/${pod}`, 8080);
    try {
      await upload(forward.localPort, WARM_UP);
      const direct = await upload(forward.localPort, this.#bytes);
      return {
        value: through.bytes / through.seconds,
        baseline: direct.bytes / direct.seconds,
      };
    } finally {
      await forward.stop();
    }
  }

  /** Reconnects, and removes the agent once the dead session's lease has let go of it. */
  async #restore(): Promise<void> {
    await tpx(this.#cli, this.#connectArgs());
    await waitFor("the agent to be removed", async () => {
      const result = await this.#cli.json<RestoreResult>(["uninstall", "--all-agents"]);
      return result.refused.length === 0;
    }, { timeoutMs: 60_000 });
    await rolloutStatus(this.#ns, "deployment/echo");
    await tpx(this.#cli, ["quit"]);
  }
}

/**
 * Runs the day's rounds against the local cluster.
 *
 * @param options `quick`: one round and 16 MiB; otherwise three rounds and 64 MiB
 * @returns one figure each, the medians of the rounds
 */
export async function benchDay(options: BenchOptions): Promise<BenchResult[]> {
  const rounds = options.quick ? 1 : 3;
  const bytes = (options.quick ? 16 : 64) * MiB;
  return await withDaySetup(async (setup) => {
    await using laptop = laptopApp("laptop");
    await using cli = await cliHome();
    const day = new Day(setup, cli, laptop.port, bytes);
    const done: Round[] = [];
    for (let i = 0; i < rounds; i++) done.push(await day.round(i === rounds - 1));
    return figures(done, setup.leaseMs, bytes);
  });
}

function figures(done: Round[], leaseMs: number, bytes: number): BenchResult[] {
  const pick = <K extends keyof Round>(key: K): Round[K][] => done.map((r) => r[key]);
  const rolloutIs = "kubectl rollout restart of the same Deployment until rollout status";
  return [
    medianFigure(
      "connect_time",
      "s",
      pick("connect"),
      "kubectl port-forward to the manager pod until /readyz answers through it",
    ),
    medianFigure("intercept_first_ready", "s", pick("first"), rolloutIs, {
      then_routed_s: pick("firstThenRouted").map(round3),
    }),
    medianFigure("intercept_again_ready", "s", pick("again"), rolloutIs, {
      unchanged_rollout_status_s: pick("unchangedRolloutStatus").map(round3),
    }),
    medianFigure("leave_time", "s", pick("leave"), "one request from the cluster to the app", {
      requests: pick("leaveRequests"),
    }),
    { ...crashFigure(pick("crash"), leaseMs), requests: pick("crashRequests") },
    medianFigure(
      "intercept_throughput",
      "B/s",
      pick("throughput"),
      "the same POST to the echo pod over kubectl port-forward",
      { bytes },
    ),
  ];
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
