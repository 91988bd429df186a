/**
 * What tpx writes on objects so that removal can undo exactly its own changes, even when the
 * process that injected is gone: a record on the workload, a marker on the pod template, and
 * the original target ports on each Service it retargeted. The records are JSON in annotations.
 *
 * @module
 */
import type { AgentProtocol, IntOrString, ObjectMeta } from "./types.ts";
import { invalidRecord } from "./refusals.ts";

/** The annotation keys tpx writes. */
export const Annotation = {
  /** On the workload: an {@link InjectionRecord}. */
  Injected: "tpx.dev/injected",
  /** On the pod template: the agent's image, so pods with an agent are recognizable. */
  Agent: "tpx.dev/agent",
  /** On each retargeted Service: a {@link ServiceRecord}. */
  OriginalTargetPorts: "tpx.dev/original-target-ports",
} as const;

/** The version of both records; a reader refuses other versions rather than guess. */
export const RECORD_VERSION = 1;

/** A port of the app that the agent fronts. */
export interface TakenPort {
  /** The Service port's name, by which intercepts may choose it. */
  name?: string;
  appPort: number;
  agentPort: number;
  protocol: AgentProtocol;
  /** The name of the agent's container port; the Services now target it. */
  agentPortName: string;
}

/** A port of the app container that tpx renamed so that its old name reaches the agent. */
export interface PortRename {
  container: string;
  from: string;
  to: string;
}

/** Where in a container a handler (probe or lifecycle hook) names a port. */
export type HandlerPath =
  | "livenessProbe"
  | "readinessProbe"
  | "startupProbe"
  | "lifecycle.postStart"
  | "lifecycle.preStop";

/** A probe or hook whose port name tpx changed along with the port it named. */
export interface ProbeChange {
  container: string;
  handler: HandlerPath;
  action: "httpGet" | "tcpSocket";
  from: string;
  to: string;
}

/** The workload's record (annotation {@link Annotation.Injected}). */
export interface InjectionRecord {
  version: typeof RECORD_VERSION;
  /** The container tpx added. */
  agentContainer: string;
  /** The container whose ports and environment the agent took. */
  appContainer: string;
  ports: TakenPort[];
  renamedPorts: PortRename[];
  probes: ProbeChange[];
  /** The pod template annotations tpx added. */
  templateAnnotations: string[];
  /** Annotation maps that did not exist before, as paths: removal drops them if left empty. */
  createdMaps: MapPath[];
  /** The Services tpx retargeted (the others needed no change). */
  services: string[];
}

/** An annotation map tpx may have created. */
export type MapPath = "metadata.annotations" | "spec.template.metadata.annotations";

/** A Service port tpx retargeted. */
export interface RetargetedPort {
  port: number;
  protocol: string;
  /** The target port before; null when the field was absent (the same as `port`). */
  original: IntOrString | null;
  /** The agent's port name it targets now. */
  targetPort: string;
}

/** A Service's record (annotation {@link Annotation.OriginalTargetPorts}). */
export interface ServiceRecord {
  version: typeof RECORD_VERSION;
  /** `Kind/name` of the workload whose agent the Service now targets. */
  workload: string;
  ports: RetargetedPort[];
  /** Whether tpx created the annotations map. */
  createdAnnotations: boolean;
}

/**
 * The record on a workload, if it has one.
 *
 * @param meta the workload's metadata
 * @returns the record, or undefined when tpx has not injected the workload
 * @throws {TpxError} (category `cluster`) when the annotation is not a record tpx can read
 */
export function readInjectionRecord(meta: ObjectMeta): InjectionRecord | undefined {
  const text = meta.annotations?.[Annotation.Injected];
  if (text === undefined) return undefined;
  const record = parse(text, Annotation.Injected, meta.name);
  const valid = record.version === RECORD_VERSION &&
    typeof record.agentContainer === "string" && typeof record.appContainer === "string" &&
    ["ports", "renamedPorts", "probes", "templateAnnotations", "createdMaps", "services"]
      .every((key) => Array.isArray(record[key]));
  if (!valid) throw invalidRecord(Annotation.Injected, meta.name, "unknown version or shape");
  return record as unknown as InjectionRecord;
}

/**
 * The record on a Service, if it has one.
 *
 * @param meta the Service's metadata
 * @returns the record, or undefined when tpx has not retargeted the Service
 * @throws {TpxError} (category `cluster`) when the annotation is not a record tpx can read
 */
export function readServiceRecord(meta: ObjectMeta): ServiceRecord | undefined {
  const text = meta.annotations?.[Annotation.OriginalTargetPorts];
  if (text === undefined) return undefined;
  const record = parse(text, Annotation.OriginalTargetPorts, meta.name);
  const valid = record.version === RECORD_VERSION && typeof record.workload === "string" &&
    Array.isArray(record.ports) && typeof record.createdAnnotations === "boolean";
  if (!valid) {
    throw invalidRecord(Annotation.OriginalTargetPorts, meta.name, "unknown version or shape");
  }
  return record as unknown as ServiceRecord;
}

/**
 * Sets an annotation, creating the map when needed.
 *
 * @param meta the metadata to change
 * @param key the annotation
 * @param value its value
 * @returns whether the map had to be created
 */
export function setAnnotation(meta: ObjectMeta, key: string, value: string): boolean {
  const created = meta.annotations === undefined;
  meta.annotations = { ...meta.annotations, [key]: value };
  return created;
}

/**
 * Deletes annotations, and the map too when tpx created it and nothing else is left in it:
 * an annotation someone added meanwhile keeps the map alive.
 *
 * @param meta the metadata to change
 * @param keys the annotations to delete
 * @param createdByTpx whether the map did not exist before tpx
 */
export function deleteAnnotations(meta: ObjectMeta, keys: string[], createdByTpx: boolean): void {
  if (meta.annotations === undefined) return;
  const rest = { ...meta.annotations };
  for (const key of keys) delete rest[key];
  if (createdByTpx && Object.keys(rest).length === 0) delete meta.annotations;
  else meta.annotations = rest;
}

/**
 * A workload the way a {@link ServiceRecord} names it.
 *
 * @param workload kind and name
 * @returns `Kind/name`, such as `Deployment/web`
 */
export function workloadRef(workload: { kind: string; metadata: { name: string } }): string {
  return `${workload.kind}/${workload.metadata.name}`;
}

function parse(text: string, key: string, name: string | undefined): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidRecord(key, name, "not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidRecord(key, name, "not a JSON object");
  }
  return value as Record<string, unknown>;
}
