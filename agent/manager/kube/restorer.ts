/**
 * Restoring workloads on a daemon's request (`tpx leave --restore`, `tpx uninstall <workload>`,
 * `tpx uninstall --all-agents`): the caller's own intercepts on a workload go first, another
 * session's intercept refuses it, and the removal itself runs in the provisioner's queue of that
 * workload, as the idle timer's does. "Every workload" is what the cluster lists as injected, not
 * what this manager remembers, so that it also works after a crash or a restart.
 *
 * @module
 */
import type { Logger } from "../../../tunnel/log.ts";
import {
  type InterceptInfo,
  type RefusedWorkload,
  type RestoredWorkload,
  toWireError,
  TpxError,
} from "../../../tunnel/protocol/mod.ts";
import type { ManagerState, WorkloadRef } from "../state/mod.ts";
import type { AgentRemoval } from "./injector.ts";
import { type AgentInjection, type AgentProvisioner, workloadInUse } from "./provisioner.ts";
import type { InjectableKind } from "./workload_api.ts";

/** What a daemon asks to restore: one workload, or every injected one (of one namespace). */
export interface RestoreTarget {
  namespace?: string;
  workload?: string;
  all?: boolean;
}

/** What the `restoreResult` message carries. */
export interface RestoreOutcome {
  restored: RestoredWorkload[];
  refused: RefusedWorkload[];
}

/** Options of {@link Restorer}. */
export interface RestorerOptions {
  state: ManagerState;
  /** Absent when the manager does not inject agents: then it restores nothing. */
  provisioner: AgentProvisioner | undefined;
  injection: AgentInjection | undefined;
  /** The namespaces the manager manages; undefined: every namespace. */
  scope: readonly string[] | undefined;
  logger: Logger;
}

/**
 * Restores workloads for daemons.
 *
 * @example
 * ```ts
 * const restorer = new Restorer({ state, provisioner, injection, scope: ["shop"], logger });
 * const { restored, refused } = await restorer.restore(sessionId, { all: true });
 * ```
 */
export class Restorer {
  readonly #options: RestorerOptions;

  constructor(options: RestorerOptions) {
    this.#options = options;
  }

  /**
   * After a session left an intercept with `restore`: restores its workload unless another
   * intercept (of any session) still uses it.
   *
   * @param left the intercept that was removed
   * @returns the workload in `restored`, or in `refused` with the reason
   */
  async afterLeave(left: InterceptInfo): Promise<RestoreOutcome> {
    const ref = { namespace: left.spec.namespace, workload: left.spec.workload };
    const { provisioner } = this.#options;
    if (provisioner === undefined) {
      return { restored: [], refused: [{ ...ref, error: injectionDisabled().toWire() }] };
    }
    return outcomeOf([await this.#restoreOne(provisioner, ref, undefined)]);
  }

  /**
   * Restores one workload, or every injected workload of the scope (or of one namespace).
   *
   * @param sessionId the session that asks: its intercepts on the workloads are removed first
   * @param target what to restore
   * @returns each workload once, restored or refused with the reason
   * @throws {TpxError} `invalid_restore` for a target that names neither one workload nor all,
   *   `namespace_not_managed` outside the manager's scope, `restore_unavailable` when the
   *   manager does not inject agents, or the cluster's error when listing fails
   */
  async restore(sessionId: string, target: RestoreTarget): Promise<RestoreOutcome> {
    const { provisioner, injection, scope, logger } = this.#options;
    validateTarget(target);
    if (
      target.namespace !== undefined && scope !== undefined && !scope.includes(target.namespace)
    ) {
      throw new TpxError(
        "user",
        `Cannot restore in namespace "${target.namespace}": this manager does not manage it`,
        {
          code: "namespace_not_managed",
          hint: `the manager manages ${scope.map((n) => `"${n}"`).join(", ")}`,
        },
      );
    }
    if (provisioner === undefined || injection === undefined) throw injectionDisabled();
    const found = target.all ? await this.#injected(injection, target.namespace) : [{
      namespace: target.namespace!,
      workload: target.workload!,
      kind: undefined,
    }];
    logger.info("restoring workloads", {
      sessionId,
      workloads: found.map((w) => `${w.namespace}/${w.workload}`),
    });
    const results = await Promise.all(
      found.map(({ kind, ...ref }) => this.#restoreFor(provisioner, sessionId, ref, kind)),
    );
    return outcomeOf(results);
  }

  async #injected(injection: AgentInjection, namespace: string | undefined) {
    if (injection.listInjected === undefined) throw injectionDisabled();
    const where = namespace !== undefined ? [namespace] : this.#options.scope;
    return await injection.listInjected(where);
  }

  /** Refuses a workload another session uses; removes the caller's own intercepts on it. */
  #restoreFor(
    provisioner: AgentProvisioner,
    sessionId: string,
    ref: WorkloadRef,
    kind: InjectableKind | undefined,
  ): Promise<Result> {
    const { state } = this.#options;
    const intercepts = state.interceptsOfWorkload(ref.namespace, ref.workload);
    const theirs = intercepts.find((i) => i.owner.sessionId !== sessionId && i.state !== "failed");
    if (theirs) return Promise.resolve(refusal(ref, kind, workloadInUse(ref, kind, theirs)));
    for (const mine of intercepts.filter((i) => i.owner.sessionId === sessionId)) {
      state.removeIntercept(sessionId, mine.spec.name);
    }
    return this.#restoreOne(provisioner, ref, kind);
  }

  async #restoreOne(
    provisioner: AgentProvisioner,
    ref: WorkloadRef,
    kind: InjectableKind | undefined,
  ): Promise<Result> {
    let removal: AgentRemoval | undefined;
    try {
      removal = await provisioner.restore(ref, kind);
    } catch (error) {
      this.#options.logger.warn("restoring a workload failed", { ...ref, error });
      return refusal(ref, kind, error);
    }
    // An injection that reports nothing is taken at its word.
    const found = removal?.kind ?? kind ?? "Deployment";
    if (removal !== undefined && !removal.restored) {
      return refusal(ref, found, notInjected(ref, found));
    }
    return { restored: { kind: found, ...ref } };
  }
}

type Result = { restored: RestoredWorkload } | { refused: RefusedWorkload };

function outcomeOf(results: readonly Result[]): RestoreOutcome {
  const outcome: RestoreOutcome = { restored: [], refused: [] };
  for (const result of results) {
    if ("restored" in result) outcome.restored.push(result.restored);
    else outcome.refused.push(result.refused);
  }
  return outcome;
}

function refusal(ref: WorkloadRef, kind: InjectableKind | undefined, error: unknown): Result {
  return {
    refused: {
      ...(kind !== undefined ? { kind } : {}),
      namespace: ref.namespace,
      workload: ref.workload,
      error: toWireError(error),
    },
  };
}

function validateTarget(target: RestoreTarget): void {
  const one = target.workload !== undefined;
  if (one ? target.all !== true && target.namespace !== undefined : target.all === true) return;
  throw new TpxError(
    "user",
    "Cannot restore: name one workload with its namespace, or ask for all of them",
    {
      code: "invalid_restore",
      hint: 'run "tpx uninstall WORKLOAD -n NAMESPACE" or "--all-agents"',
    },
  );
}

function injectionDisabled(): TpxError {
  return new TpxError(
    "config",
    "Cannot restore workloads: this manager does not inject agents",
    {
      code: "restore_unavailable",
      hint: 'install the manager with "tpx manager install", which lets it inject and restore',
    },
  );
}

function notInjected(ref: WorkloadRef, kind: InjectableKind): TpxError {
  return new TpxError(
    "user",
    `Nothing to restore in ${kind.toLowerCase()}/${ref.workload} in namespace ` +
      `"${ref.namespace}": it has no agent of tpx's`,
    { code: "workload_not_injected", hint: 'run "tpx list" to see the intercepted workloads' },
  );
}
