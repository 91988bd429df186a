/**
 * `tpx traffic-agent`: the agent process, configured by the environment the injection sets.
 *
 * @module
 */
import { toWireError } from "../../tunnel/protocol/mod.ts";
import { stdoutLogger, stopSignal } from "../process.ts";
import { TrafficAgent } from "./agent.ts";
import { readAgentConfig } from "./config.ts";

/**
 * Runs the agent until SIGTERM.
 *
 * @param _args unused; everything comes from the environment
 * @returns the exit code
 */
export async function main(_args: string[]): Promise<number> {
  const env = Deno.env.toObject();
  const { logger } = stdoutLogger(env);
  try {
    const config = readAgentConfig(env);
    const agent = TrafficAgent.start(config, { logger });
    logger.info("agent started", {
      workload: `${config.namespace}/${config.workload}`,
      ports: config.ports,
    });
    const signal = await stopSignal();
    logger.info("agent stopping", { signal });
    await agent.close();
    return 0;
  } catch (error) {
    logger.error("agent failed", { error: toWireError(error) });
    return 1;
  }
}
