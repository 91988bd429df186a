/**
 * How traffic reaches the app: which Services select the pods, and which container port each
 * Service port leads to — resolved the way Kubernetes resolves it (a named target port is the
 * first port of that name and protocol in the pod's containers, in order).
 *
 * @module
 */
import type { AgentProtocol, Container, PodSpec, Service, ServicePort } from "./types.ts";

/** A Service port and the app port it leads to. */
export interface Route {
  service: string;
  /** Its index in the Service's `ports`. */
  index: number;
  port: ServicePort;
  protocol: string;
  /** The container port number it reaches; undefined when its named target matches nothing. */
  appPort: number | undefined;
  /** The container that declares that port, if one does. */
  owner: string | undefined;
  /** The port name it targets, when it targets one by name. */
  targetName: string | undefined;
}

/**
 * Whether the Service sends traffic to pods with these labels. A Service without a selector
 * selects no pod (its endpoints are managed by hand), so it never counts.
 *
 * @param service the Service
 * @param labels the pod template's labels
 * @returns true when every selector label matches
 */
export function selects(service: Service, labels: Record<string, string> | undefined): boolean {
  const selector = Object.entries(service.spec.selector ?? {});
  return selector.length > 0 && selector.every(([key, value]) => labels?.[key] === value);
}

/**
 * Every port of the Services, resolved against the pod.
 *
 * @param services the Services that select the pod
 * @param pod the pod spec
 * @returns one route per Service port, in order
 */
export function routesOf(services: readonly Service[], pod: PodSpec): Route[] {
  return services.flatMap((service) =>
    (service.spec.ports ?? []).map((port, index) => {
      const protocol = port.protocol ?? "TCP";
      const target = port.targetPort ?? port.port;
      const route = {
        service: service.metadata.name,
        index,
        port,
        protocol,
        appPort: undefined,
        owner: undefined,
        targetName: undefined,
      };
      if (typeof target === "string") {
        const found = findPort(pod.containers, (p) => p.name === target, protocol);
        return { ...route, targetName: target, appPort: found?.port, owner: found?.owner };
      }
      const found = findPort(pod.containers, (p) => p.containerPort === target, protocol);
      return { ...route, appPort: target, owner: found?.owner };
    })
  );
}

/**
 * The routes that lead to one app port.
 *
 * @param routes all routes
 * @param appPort the container port number
 * @param protocol its protocol
 * @returns those that reach it
 */
export function routesTo(routes: readonly Route[], appPort: number, protocol: string): Route[] {
  return routes.filter((r) => r.appPort === appPort && r.protocol === protocol);
}

/**
 * A route in words, for messages.
 *
 * @param route the route
 * @param withService whether to name the Service (when several are involved)
 * @returns such as `"http" 80` or `53/UDP (Service "dns")`
 */
export function describeRoute(route: Route, withService: boolean): string {
  const name = route.port.name === undefined ? "" : `"${route.port.name}" `;
  const protocol = route.protocol === "TCP" ? "" : `/${route.protocol}`;
  const service = withService ? ` (Service "${route.service}")` : "";
  return `${name}${route.port.port}${protocol}${service}`;
}

/**
 * Whether the agent can front this protocol.
 *
 * @param protocol a Service or container port protocol
 * @returns true for TCP and UDP
 */
export function isAgentProtocol(protocol: string): protocol is AgentProtocol {
  return protocol === "TCP" || protocol === "UDP";
}

function findPort(
  containers: readonly Container[],
  matches: (port: { name?: string; containerPort: number }) => boolean,
  protocol: string,
): { port: number; owner: string } | undefined {
  for (const container of containers) {
    const port = container.ports?.find((p) => matches(p) && (p.protocol ?? "TCP") === protocol);
    if (port) return { port: port.containerPort, owner: container.name };
  }
  return undefined;
}
