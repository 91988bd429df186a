/**
 * Injecting the agent: a pure function from the workload and its Services to their new
 * versions and the record that lets {@link remove} undo exactly tpx's changes.
 *
 * Applying the result is the caller's job, in this order: the workload first, then (once its
 * rollout is done) the retargeted Services — a Service that targets `tpx-8080` reaches only pods
 * that already have the agent. Removal goes the other way round.
 *
 * @module
 */
import { AGENT_CONTAINER, agentContainer, type AgentOptions } from "./agent_container.ts";
import { type AppPort, choosePort, type PortChoice } from "./choose_port.ts";
import { covers } from "./compare.ts";
import {
  Annotation,
  type InjectionRecord,
  type MapPath,
  readInjectionRecord,
  readServiceRecord,
  RECORD_VERSION,
  type ServiceRecord,
  setAnnotation,
  workloadRef,
} from "./record.ts";
import * as refuse from "./refusals.ts";
import { remove } from "./remove.ts";
import { routesOf, routesTo, selects } from "./routes.ts";
import { DEFAULT_AGENT_PORT_BASE, type Takeover, takeOver } from "./takeover.ts";
import type { Service, Workload } from "./types.ts";

/** Options of {@link inject}. */
export interface InjectOptions extends AgentOptions, PortChoice {
  /** The first port number the agent may listen on; default 9900. */
  agentPortBase?: number;
}

/** What {@link inject} returns. */
export interface InjectResult {
  /** The workload with the agent; the input object itself when nothing had to change. */
  workload: Workload;
  /** The Services in the order given; those that need no change are the input objects. */
  services: Service[];
  /** What tpx changed, as written on the workload. */
  record: InjectionRecord;
}

/**
 * Adds the agent to the workload and routes the chosen Service port to it. Injecting an
 * injected workload again is idempotent: it returns the inputs when nothing would change, and
 * otherwise (another port, a new image, the app's environment changed) the objects updated.
 *
 * @param workload a Deployment, StatefulSet or ReplicaSet, as JSON; not changed
 * @param services the Services of its namespace (those that do not select its pods are ignored)
 * @param options the agent's image and manager, and the port to take
 * @returns the new workload and Services, and the record
 * @throws {TpxError} (category `user`) when the workload cannot be intercepted, with a hint
 * @example
 * ```ts
 * const { workload: next, services: nextServices } = inject(deployment, services, {
 *   image: "ghcr.io/tpx/tpx:0.1.0",
 *   managerAddress: "tpx-manager.tpx-system:8081",
 *   servicePort: "http",
 * });
 * ```
 */
export function inject(
  workload: Workload,
  services: readonly Service[],
  options: InjectOptions,
): InjectResult {
  const target = refuse.describeTarget(workload);
  checkWorkload(workload, target);
  const record = readInjectionRecord(workload.metadata);
  if (record === undefined) return injectAfresh(workload, services, options, undefined);
  // Injecting from the original objects with the old ports plus the new one gives the same
  // result as the first injection would have, so comparing tells whether anything changed.
  const base = remove(workload, services);
  const fresh = injectAfresh(base.workload, base.services, options, record);
  const unchanged = covers(workload, fresh.workload) &&
    services.every((service, i) => covers(service, fresh.services[i]));
  return unchanged ? { workload, services: [...services], record } : fresh;
}

const MAP_PATHS: readonly MapPath[] = [
  "metadata.annotations",
  "spec.template.metadata.annotations",
];

function checkWorkload(workload: Workload, target: refuse.Target): void {
  if (!(refuse.SUPPORTED_KINDS as readonly string[]).includes(workload.kind)) {
    throw refuse.unsupportedKind(target);
  }
  const owner = workload.metadata.ownerReferences?.find((o) =>
    o.kind === "Deployment" && o.controller
  );
  if (workload.kind === "ReplicaSet" && owner) throw refuse.managedReplicaSet(target, owner.name);
  const pod = workload.spec.template.spec;
  if (pod.hostNetwork) throw refuse.hostNetwork(target);
  if ((pod.os as { name?: string } | undefined)?.name === "windows") throw refuse.windows(target);
}

function injectAfresh(
  original: Workload,
  services: readonly Service[],
  options: InjectOptions,
  previous: InjectionRecord | undefined,
): InjectResult {
  const target = refuse.describeTarget(original);
  const workload = structuredClone(original);
  const template = workload.spec.template;
  const pod = template.spec;
  if ([...pod.initContainers ?? [], ...pod.containers].some((c) => c.name === AGENT_CONTAINER)) {
    throw refuse.agentNameTaken(target, AGENT_CONTAINER);
  }
  const selecting = services.filter((s) => selects(s, template.metadata?.labels));
  const chosen = options.service === undefined
    ? selecting
    : selecting.filter((s) => s.metadata.name === options.service);
  const namespace = original.metadata.namespace ?? "default";
  if (chosen.length === 0) throw refuse.noService(target, namespace, options.service);
  for (const service of selecting) {
    const holder = readServiceRecord(service.metadata)?.workload;
    if (holder !== undefined && holder !== workloadRef(original)) {
      const [kind = "", name = ""] = holder.split("/");
      throw refuse.serviceTaken(target, service.metadata.name, `${kind.toLowerCase()} "${name}"`);
    }
  }
  const routes = routesOf(selecting, pod);
  const wanted = choosePort(target, routesOf(chosen, pod), pod, options);
  const appPorts = portsToTake(target, routes, previous, wanted);
  const app = pod.containers.find((c) => c.name === wanted.container)!;
  const appBefore = structuredClone(app);
  const takeover = takeOver(
    target,
    pod,
    app,
    routes,
    appPorts,
    options.agentPortBase ?? DEFAULT_AGENT_PORT_BASE,
  );
  pod.containers.push(agentContainer(original, appBefore, takeover.ports, options));
  const record = recordOf(takeover, app.name);
  template.metadata ??= {};
  const created = new Set(previous?.createdMaps);
  if (workload.metadata.annotations === undefined) created.add("metadata.annotations");
  if (setAnnotation(template.metadata, Annotation.Agent, options.image)) {
    created.add("spec.template.metadata.annotations");
  }
  // A map that did not exist before the first injection still counts as tpx's, even if the
  // server has put an annotation of its own in it since (a Deployment's revision).
  record.createdMaps = MAP_PATHS.filter((path) => created.has(path));
  setAnnotation(workload.metadata, Annotation.Injected, JSON.stringify(record));
  return {
    workload,
    services: services.map((s) => retarget(s, takeover, workloadRef(original))),
    record,
  };
}

/** The ports taken before (those that some Service still reaches) and the one asked for now. */
function portsToTake(
  target: refuse.Target,
  routes: ReturnType<typeof routesOf>,
  previous: InjectionRecord | undefined,
  wanted: AppPort,
): AppPort[] {
  const before = (previous?.ports ?? [])
    .filter((p) => routesTo(routes, p.appPort, p.protocol).length > 0)
    .map((p) => ({ appPort: p.appPort, protocol: p.protocol, container: previous!.appContainer }));
  if (before.length > 0 && previous!.appContainer !== wanted.container) {
    throw refuse.otherAppContainer(target, previous!.appContainer, wanted.container);
  }
  const known = before.some((p) => p.appPort === wanted.appPort && p.protocol === wanted.protocol);
  return known ? before : [...before, wanted];
}

function recordOf(takeover: Takeover, appContainer: string): InjectionRecord {
  return {
    version: RECORD_VERSION,
    agentContainer: AGENT_CONTAINER,
    appContainer,
    ports: takeover.ports,
    renamedPorts: takeover.renamedPorts,
    probes: takeover.probes,
    templateAnnotations: [Annotation.Agent],
    createdMaps: [],
    services: [...takeover.retargets.keys()],
  };
}

function retarget(service: Service, takeover: Takeover, workload: string): Service {
  const ports = takeover.retargets.get(service.metadata.name);
  if (ports === undefined) return service;
  const changed = structuredClone(service);
  for (const { index, targetPort } of ports) changed.spec.ports![index]!.targetPort = targetPort;
  const record: ServiceRecord = {
    version: RECORD_VERSION,
    workload,
    ports: ports.map(({ index: _, ...port }) => port),
    createdAnnotations: changed.metadata.annotations === undefined,
  };
  setAnnotation(changed.metadata, Annotation.OriginalTargetPorts, JSON.stringify(record));
  return changed;
}
