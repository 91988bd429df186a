/**
 * Exit codes of every tpx command (documented in the README).
 *
 * @module
 */
import type { ErrorCategory } from "../tunnel/protocol/mod.ts";

export const ExitCode = {
  Ok: 0,
  /** The command was given something it cannot act on. */
  User: 1,
  /** The command line itself is wrong (unknown option, missing argument). */
  Usage: 2,
  /** The configuration (kubeconfig, context, tpx settings) is missing or wrong. */
  Config: 3,
  /** The cluster refused or failed (unreachable, RBAC, rollout, conflict). */
  Cluster: 4,
  /** A bug in tpx; the daemon log says more. */
  Internal: 5,
  /** No such command. */
  UnknownCommand: 127,
} as const;
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/**
 * The exit code for an error of `category`.
 *
 * @param category the error's category
 * @returns the exit code
 */
export function exitCodeFor(category: ErrorCategory): ExitCode {
  switch (category) {
    case "user":
      return ExitCode.User;
    case "config":
      return ExitCode.Config;
    case "cluster":
      return ExitCode.Cluster;
    case "internal":
      return ExitCode.Internal;
  }
}

/**
 * Ends a command with a code of someone else's, such as the exit code of the command that
 * `tpx intercept -- CMD` ran; nothing is printed.
 */
export class CommandExit extends Error {
  readonly code: number;

  /** @param code the exit code */
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}
