/**
 * `tpx intercept web -p 8080:80`: users name the Service's port (80), while the agent knows
 * the ports by the Service port's name or by the container's port number. This turns a
 * Service port number into what the agent knows, from the workload's template and the
 * Services that select it.
 *
 * @module
 */
import type { KubeConnection } from "../kube/mod.ts";

/** The fields of a pod template this module reads. */
export interface TemplateFacts {
  labels: Record<string, string>;
  containerPorts: { name?: string; containerPort: number }[];
}

/** The fields of a Service this module reads. */
export interface ServicePortFacts {
  name: string;
  selector: Record<string, string>;
  ports: { name?: string; port: number; targetPort?: number | string }[];
}

/**
 * What to ask the manager for, when `wanted` is the number of a port of a Service that
 * selects the workload: that port's name, or (unnamed) its target's container port number.
 *
 * @param template the workload's pod template
 * @param services the namespace's Services
 * @param wanted the port as the user gave it
 * @param service the Service the user named, if any
 * @returns the port to ask for, or `undefined` to ask for `wanted` as it is
 */
export function agentPortFor(
  template: TemplateFacts,
  services: readonly ServicePortFacts[],
  wanted: string,
  service?: string,
): string | undefined {
  if (!/^\d+$/.test(wanted)) return undefined;
  const number = Number(wanted);
  const selecting = services.filter((s) =>
    (service === undefined || s.name === service) && Object.keys(s.selector).length > 0 &&
    Object.entries(s.selector).every(([k, v]) => template.labels[k] === v)
  );
  for (const s of selecting) {
    const port = s.ports.find((p) => p.port === number);
    if (port === undefined) continue;
    if (port.name) return port.name;
    const target = port.targetPort ?? port.port;
    if (typeof target === "number") return String(target);
    const named = template.containerPorts.find((p) => p.name === target);
    return named === undefined ? undefined : String(named.containerPort);
  }
  return undefined;
}

/**
 * Reads the workload and the Services, as {@link agentPortFor}.
 *
 * @param kube the connection
 * @param namespace the workload's namespace
 * @param workload a Deployment, StatefulSet or ReplicaSet
 * @param wanted the port as the user gave it
 * @param service the Service the user named, if any
 * @returns the port to ask for, or `undefined` to ask for `wanted` as it is
 */
export async function readAgentPortFor(
  kube: KubeConnection,
  namespace: string,
  workload: string,
  wanted: string,
  service?: string,
): Promise<string | undefined> {
  if (!/^\d+$/.test(wanted)) return undefined;
  const apps = kube.apps();
  const reads = [
    () => apps.readNamespacedDeployment({ name: workload, namespace }),
    () => apps.readNamespacedStatefulSet({ name: workload, namespace }),
    () => apps.readNamespacedReplicaSet({ name: workload, namespace }),
  ];
  for (const read of reads) {
    const found = await read().catch(() => undefined);
    const template = found?.spec?.template;
    if (template === undefined) continue;
    const services = await kube.core().listNamespacedService({ namespace });
    return agentPortFor(
      {
        labels: template.metadata?.labels ?? {},
        containerPorts: (template.spec?.containers ?? []).flatMap((c) =>
          (c.ports ?? []).map((p) => ({
            ...(p.name === undefined ? {} : { name: p.name }),
            containerPort: p.containerPort,
          }))
        ),
      },
      services.items.map((s) => ({
        name: s.metadata?.name ?? "",
        selector: s.spec?.selector ?? {},
        ports: (s.spec?.ports ?? []).map((p) => ({
          ...(p.name === undefined ? {} : { name: p.name }),
          port: p.port,
          ...(p.targetPort === undefined ? {} : { targetPort: p.targetPort as number | string }),
        })),
      })),
      wanted,
      service,
    );
  }
  // No such workload (or not readable): the manager says which, with its own words.
  return undefined;
}
