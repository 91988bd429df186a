/**
 * Injecting the `tpx-agent` sidecar into a workload and removing it again, as pure functions on
 * plain JSON Kubernetes objects. The caller reads the objects, calls {@link inject} or
 * {@link remove}, and writes the results back (with their resourceVersion, retrying on
 * conflict): first the workload, then the Services when injecting; the other way round when
 * removing.
 *
 * @example
 * ```ts
 * import { inject, remove, restorationDiff } from "./mod.ts";
 *
 * const injected = inject(deployment, services, {
 *   image: "ghcr.io/tpx/tpx:0.1.0",
 *   managerAddress: "tpx-manager.tpx-system:8081",
 * });
 * const restored = remove(injected.workload, injected.services);
 * restorationDiff(deployment, restored.workload); // []
 * ```
 *
 * @module
 */
export * from "./agent_container.ts";
export * from "./compare.ts";
export * from "./inject.ts";
export * from "./port_names.ts";
export * from "./record.ts";
export { SUPPORTED_KINDS } from "./refusals.ts";
export * from "./remove.ts";
export * from "./restricted_profile.ts";
export type { PortChoice } from "./choose_port.ts";
export type * from "./types.ts";
