/**
 * Removing the agent: undoing exactly what the records say tpx changed, on the objects as they
 * are NOW. Whatever anyone else changed since the injection (image, environment, replicas,
 * labels, a probe) stays; a change of tpx's that someone already undid or altered is left alone.
 *
 * @module
 */
import { restoreHandlerPorts } from "./probes.ts";
import {
  Annotation,
  deleteAnnotations,
  type InjectionRecord,
  readInjectionRecord,
  readServiceRecord,
  workloadRef,
} from "./record.ts";
import type { Container, Service, Workload } from "./types.ts";

/** What {@link remove} returns. */
export interface RemoveResult {
  /** The workload without tpx's parts; the input object itself when it had none. */
  workload: Workload;
  /** The Services in the order given; those tpx had not changed are the input objects. */
  services: Service[];
}

/**
 * Takes tpx's parts out of the workload and its Services.
 *
 * @param workload the workload as it is now; not changed
 * @param services the Services of its namespace as they are now; not changed
 * @returns the workload and the Services as they would be had tpx never touched them
 * @throws {TpxError} (category `cluster`) when a record annotation cannot be read
 * @example
 * ```ts
 * const { workload: restored, services: restoredServices } = remove(deployment, services);
 * ```
 */
export function remove(workload: Workload, services: readonly Service[]): RemoveResult {
  const ref = workloadRef(workload);
  const restoredServices = services.map((service) => restoreService(service, ref));
  const record = readInjectionRecord(workload.metadata);
  if (record === undefined) return { workload, services: restoredServices };
  const restored = structuredClone(workload);
  const template = restored.spec.template;
  const pod = template.spec;
  pod.containers = pod.containers.filter((c) => c.name !== record.agentContainer);
  for (const container of pod.containers) restoreContainer(container, record);
  if (template.metadata) {
    deleteAnnotations(
      template.metadata,
      record.templateAnnotations,
      record.createdMaps.includes("spec.template.metadata.annotations"),
    );
  }
  deleteAnnotations(
    restored.metadata,
    [Annotation.Injected],
    record.createdMaps.includes("metadata.annotations"),
  );
  return { workload: restored, services: restoredServices };
}

function restoreContainer(container: Container, record: InjectionRecord): void {
  for (const rename of record.renamedPorts) {
    if (rename.container !== container.name || !container.ports) continue;
    // Someone may have renamed or removed the port since, or given its old name to another.
    const free = !container.ports.some((p) => p.name === rename.from);
    container.ports = container.ports.map((p) =>
      p.name === rename.to && free ? { ...p, name: rename.from } : p
    );
  }
  restoreHandlerPorts(container, record.probes.filter((p) => p.container === container.name));
}

function restoreService(service: Service, workload: string): Service {
  const record = readServiceRecord(service.metadata);
  if (record === undefined || record.workload !== workload) return service;
  const restored = structuredClone(service);
  for (const taken of record.ports) {
    const port = restored.spec.ports?.find((p) =>
      p.port === taken.port && (p.protocol ?? "TCP") === taken.protocol
    );
    // Only a target port that still points at the agent is tpx's to restore.
    if (port?.targetPort !== taken.targetPort) continue;
    if (taken.original === null) delete port.targetPort;
    else port.targetPort = taken.original;
  }
  deleteAnnotations(
    restored.metadata,
    [Annotation.OriginalTargetPorts],
    record.createdAnnotations,
  );
  return restored;
}
