/**
 * The traffic-agent's figures: HTTP keep-alive requests per second through a real agent
 * process, with no intercept (passthrough) and with a personal intercept that matches
 * nothing (every request head parsed and routed), each against the app reached directly in
 * the same run.
 *
 * @module
 */
import { ManagerClient } from "../../cli/daemon/manager_client.ts";
import { dialTcp } from "../../tunnel/dial.ts";
import { silentLogger } from "../../tunnel/log.ts";
import { freePort, startAgent, startManager, type TpxProcess } from "../support/processes.ts";
import { type BenchOptions, type BenchResult, figure, round } from "./result.ts";

const CONNECTIONS = 8;

/** Requests per second that `CONNECTIONS` keep-alive clients get from `port` in `ms`. */
async function requestsPerSecond(port: number, ms: number): Promise<number> {
  using client = Deno.createHttpClient({ poolMaxIdlePerHost: CONNECTIONS });
  const url = `http://127.0.0.1:${port}/bench`;
  const deadline = performance.now() + ms;
  let done = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
    while (performance.now() < deadline) {
      const response = await fetch(url, { client, headers: { "x-dev": "nobody" } });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`status ${response.status}`);
      done++;
    }
  }));
  return done / ((performance.now() - start) / 1000);
}

/** Resolves once the agent logged an active intercept; fails after 10 s. */
async function appliedBy(agent: TpxProcess): Promise<void> {
  const deadline = performance.now() + 10_000;
  const active = (line: Record<string, unknown>) =>
    line.msg === "intercepts changed" &&
    Array.isArray(line.intercepts) && line.intercepts.some((i) => String(i).endsWith(":active"));
  while (!agent.logs.some(active)) {
    if (performance.now() > deadline) throw new Error("the agent never applied the intercept");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Runs the agent benchmarks.
 *
 * @param options quick or full
 * @returns one figure each
 */
export async function benchAgent(options: BenchOptions): Promise<BenchResult[]> {
  const ms = options.quick ? 1500 : 5000;
  const body = "x".repeat(256);
  await using app = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(body),
  );
  await using manager = await startManager();
  const agentPort = freePort();
  await using agent = await startAgent(manager.ports.agent, {
    appPort: app.addr.port,
    agentPort,
  }, { namespace: "bench", workload: "web", pod: "web-0" });

  await requestsPerSecond(app.addr.port, 300);
  await requestsPerSecond(agentPort, 300);
  const directPassthrough = await requestsPerSecond(app.addr.port, ms);
  const passthrough = await requestsPerSecond(agentPort, ms);

  const daemon = new ManagerClient({
    connect: () => dialTcp("127.0.0.1", manager.ports.daemon),
    user: "bench",
    host: "bench",
    namespaces: ["bench"],
    logger: silentLogger,
  });
  await daemon.start();
  try {
    await daemon.createIntercept({
      name: "web-personal",
      namespace: "bench",
      workload: "web",
      servicePort: "http",
      filters: [{ on: "header", name: "x-dev", match: "exact", value: "somebody-else" }],
    }, { host: "127.0.0.1", port: freePort() });
    // Measured only once the agent applied the intercept, or this would measure passthrough.
    await appliedBy(agent);
    await requestsPerSecond(agentPort, 300);
    const directPersonal = await requestsPerSecond(app.addr.port, ms);
    const personal = await requestsPerSecond(agentPort, ms);
    return [
      figure("agent_passthrough_rps", round(passthrough), round(directPassthrough), "req/s", {
        connections: CONNECTIONS,
        goal: "ratio >= 0.7",
      }),
      figure("agent_personal_rps", round(personal), round(directPersonal), "req/s", {
        connections: CONNECTIONS,
        goal: "ratio >= 0.5",
      }),
    ];
  } finally {
    await daemon.close();
  }
}
