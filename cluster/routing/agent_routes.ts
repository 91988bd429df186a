/**
 * Whether a workload's Services already send their traffic to its agents: after a rollout the
 * EndpointSlices (and then kube-proxy) follow the new pods a moment later, and an intercept
 * that says "active" before that would still let requests reach the app. A pure check over
 * what the API lists, and the read that feeds it.
 *
 * @module
 */
import { AGENT_CONTAINER } from "../injection/agent_container.ts";
import type { KubeConnection } from "../kube/mod.ts";

/** The fields of a Pod this module reads. */
export interface PodFacts {
  name: string;
  ip?: string;
  labels: Record<string, string>;
  hasAgent: boolean;
}

/** The fields of a Service this module reads. */
export interface ServiceFacts {
  name: string;
  selector: Record<string, string>;
}

/** One EndpointSlice: its Service and its endpoints' addresses and readiness. */
export interface SliceFacts {
  service: string;
  endpoints: { addresses: string[]; ready: boolean }[];
}

/** What {@link agentRoutes} found. */
export interface AgentRouting {
  /** Every Service that selects an agent pod sends its ready endpoints only to agent pods. */
  routed: boolean;
  /** Why not, for progress: `service "web": 1 of 3 endpoints not an agent yet`. */
  detail: string;
}

/**
 * Checks that every Service selecting the agent pods has only agent pods as ready endpoints.
 *
 * @param pods the namespace's pods
 * @param services its Services
 * @param slices its EndpointSlices
 * @returns routed, or what it still waits for
 */
export function agentRoutes(
  pods: readonly PodFacts[],
  services: readonly ServiceFacts[],
  slices: readonly SliceFacts[],
): AgentRouting {
  const agents = pods.filter((p) => p.hasAgent);
  const agentIps = new Set(agents.map((p) => p.ip).filter((ip) => ip !== undefined));
  const selecting = services.filter((s) =>
    Object.keys(s.selector).length > 0 &&
    agents.some((p) => Object.entries(s.selector).every(([k, v]) => p.labels[k] === v))
  );
  if (agents.length === 0 || selecting.length === 0) {
    return { routed: false, detail: "no Service selects an agent pod yet" };
  }
  const waiting: string[] = [];
  for (const service of selecting) {
    const ready = slices.filter((s) => s.service === service.name)
      .flatMap((s) => s.endpoints.filter((e) => e.ready).flatMap((e) => e.addresses));
    const others = ready.filter((address) => !agentIps.has(address));
    if (ready.length === 0 || others.length > 0) {
      waiting.push(
        `service "${service.name}": ${others.length} of ${ready.length} ready endpoints not an agent yet`,
      );
    }
  }
  return waiting.length === 0
    ? { routed: true, detail: "every Service sends to the agents" }
    : { routed: false, detail: waiting.join("; ") };
}

/**
 * Reads the namespace and checks, as {@link agentRoutes}.
 *
 * @param kube the connection
 * @param namespace the workload's namespace
 * @returns routed, or what it still waits for
 */
export async function readAgentRoutes(
  kube: KubeConnection,
  namespace: string,
): Promise<AgentRouting> {
  const client = await import("@kubernetes/client-node");
  const discovery = kube.kubeconfig.makeApiClient(client.DiscoveryV1Api);
  const [podList, serviceList, sliceList] = await Promise.all([
    kube.core().listNamespacedPod({ namespace }),
    kube.core().listNamespacedService({ namespace }),
    kube.call(() => discovery.listNamespacedEndpointSlice({ namespace })),
  ]);
  const pods = podList.items
    .filter((p) => p.metadata?.deletionTimestamp === undefined)
    .map((p): PodFacts => ({
      name: p.metadata?.name ?? "",
      ...(p.status?.podIP ? { ip: p.status.podIP } : {}),
      labels: p.metadata?.labels ?? {},
      hasAgent: (p.spec?.containers ?? []).some((c) => c.name === AGENT_CONTAINER),
    }));
  const services = serviceList.items.map((s): ServiceFacts => ({
    name: s.metadata?.name ?? "",
    selector: s.spec?.selector ?? {},
  }));
  const slices = sliceList.items.map((s): SliceFacts => ({
    service: s.metadata?.labels?.["kubernetes.io/service-name"] ?? "",
    endpoints: (s.endpoints ?? []).map((e) => ({
      addresses: e.addresses,
      ready: e.conditions?.ready !== false,
    })),
  }));
  return agentRoutes(pods, services, slices);
}
