/**
 * What both in-cluster processes share: JSON-line logs on stdout at a level that can change at
 * run time, numbers read from the environment, and a clean stop on SIGTERM.
 *
 * @module
 */
import { jsonLinesLogger, LevelSwitch, type Logger, parseLogLevel } from "../tunnel/log.ts";
import { TpxError } from "../tunnel/protocol/mod.ts";

const encoder = new TextEncoder();

/** A logger writing JSON lines to stdout, at `TPX_LOG_LEVEL` (info by default). */
export function stdoutLogger(env: Record<string, string>): { logger: Logger; levels: LevelSwitch } {
  const levels = new LevelSwitch(parseLogLevel(env.TPX_LOG_LEVEL));
  const logger = jsonLinesLogger((line) => {
    Deno.stdout.writeSync(encoder.encode(line + "\n"));
  }, levels);
  return { logger, levels };
}

/**
 * A whole number from the environment.
 *
 * @param env the environment
 * @param name the variable
 * @param fallback its value when unset
 * @returns the number
 * @throws {TpxError} naming the variable when it is not a whole number ≥ 0
 */
export function envNumber(env: Record<string, string>, name: string, fallback: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new TpxError("config", `${name} is "${text}", not a whole number`, { code: "bad_env" });
  }
  return value;
}

/**
 * Resolves on SIGTERM or SIGINT, how Kubernetes and people stop a process.
 *
 * @returns a promise of the signal's name
 */
export function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (name: Deno.Signal) => () => {
      Deno.removeSignalListener("SIGTERM", term);
      Deno.removeSignalListener("SIGINT", int);
      resolve(name);
    };
    const term = stop("SIGTERM");
    const int = stop("SIGINT");
    Deno.addSignalListener("SIGTERM", term);
    Deno.addSignalListener("SIGINT", int);
  });
}
