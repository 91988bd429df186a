/**
 * The traffic-manager's objects, as pure functions of the install options: its namespace
 * (enforcing the restricted Pod Security profile, which the manager itself passes), its
 * ServiceAccount and RBAC, its Deployment and its Service. `tpx manager manifests` prints
 * them; `tpx manager install` applies them.
 *
 * @module
 */
import { TPX_VERSION } from "../../tunnel/protocol/version.ts";
import { Label, MANAGED_BY, ManagerPort, Names } from "./labels.ts";
import type { KubeObject } from "./objects.ts";
import { rbacObjects } from "./rbac.ts";

/** What the manager's objects depend on. */
export interface ManifestOptions {
  /** The manager's namespace; `tpx-system` by default. */
  namespace?: string;
  /** The image of the manager (the tpx image). */
  image: string;
  /** The namespaces the manager may change; absent: every namespace. */
  namespaces?: readonly string[] | undefined;
  /** `TPX_LOG_LEVEL`, such as `debug`; the manager's default when absent. */
  logLevel?: string | undefined;
  /** `TPX_LEASE_MS`: how long a vanished client's intercepts live on. */
  leaseMs?: number | undefined;
  /** `TPX_AGENT_IDLE_MS`: after how long an unused agent is removed. */
  agentIdleMs?: number | undefined;
  /** The tpx version the labels carry; this binary's by default. */
  version?: string;
}

/**
 * Every object of the manager, in the order to create them (namespace first, the Deployment
 * after the permissions it runs with).
 *
 * @param options image, namespaces and settings
 * @returns plain JSON objects, each labelled `app.kubernetes.io/managed-by: tpx`
 * @example
 * ```ts
 * managerObjects({ image: "ghcr.io/tpx-dev/tpx:0.1.0" }).map((o) => o.kind);
 * // ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment", "Service"]
 * ```
 */
export function managerObjects(options: ManifestOptions): KubeObject[] {
  const namespace = options.namespace ?? Names.DefaultNamespace;
  const labels = commonLabels(namespace, options.version ?? TPX_VERSION);
  const meta = (name: string) => ({ name, namespace, labels: { ...labels } });
  return [
    namespaceObject(namespace, labels),
    { apiVersion: "v1", kind: "ServiceAccount", metadata: meta(Names.Manager) },
    ...rbacObjects({ namespace, namespaces: options.namespaces, labels }),
    deploymentObject(options, meta(Names.Manager), labels),
    serviceObject(meta(Names.Manager)),
  ];
}

/**
 * The labels of every object of the manager in `namespace`.
 *
 * @param namespace the manager's namespace
 * @param version the tpx version
 * @returns name, managed-by, version and manager-namespace labels
 */
export function commonLabels(namespace: string, version: string): Record<string, string> {
  return {
    [Label.Name]: Names.App,
    [MANAGED_BY.key]: MANAGED_BY.value,
    [Label.Version]: version,
    [Label.ManagerNamespace]: namespace,
  };
}

function namespaceObject(namespace: string, labels: Record<string, string>): KubeObject {
  const podSecurity = Object.fromEntries(
    ["enforce", "audit", "warn"].flatMap((mode) => [
      [`pod-security.kubernetes.io/${mode}`, "restricted"],
      [`pod-security.kubernetes.io/${mode}-version`, "latest"],
    ]),
  );
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: namespace, labels: { ...labels, ...podSecurity } },
  };
}

/**
 * The environment of the manager container: its ports, and each setting that is given.
 *
 * @param options the install options
 * @returns `env` entries for the container
 */
export function managerEnv(options: ManifestOptions): { name: string; value: string }[] {
  const env = [
    { name: "TPX_API_PORT", value: String(ManagerPort.Api) },
    { name: "TPX_DAEMON_PORT", value: String(ManagerPort.Daemon) },
    { name: "TPX_AGENT_PORT", value: String(ManagerPort.Agent) },
    // What the manager writes into the agents it injects: its own image, and its Service.
    { name: "TPX_AGENT_IMAGE", value: options.image },
    {
      name: "TPX_AGENT_MANAGER_ADDRESS",
      value: `${Names.Manager}.${options.namespace ?? Names.DefaultNamespace}:${ManagerPort.Agent}`,
    },
  ];
  const optional: [string, string | number | undefined][] = [
    ["TPX_LOG_LEVEL", options.logLevel],
    ["TPX_LEASE_MS", options.leaseMs],
    ["TPX_AGENT_IDLE_MS", options.agentIdleMs],
    ["TPX_MANAGED_NAMESPACES", options.namespaces?.join(",")],
  ];
  for (const [name, value] of optional) {
    if (value !== undefined) env.push({ name, value: String(value) });
  }
  return env;
}

function deploymentObject(
  options: ManifestOptions,
  metadata: KubeObject["metadata"],
  labels: Record<string, string>,
): KubeObject {
  const probe = (path: string, periodSeconds: number) => ({
    httpGet: { path, port: "api" },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold: 3,
  });
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { ...metadata, annotations: { "tpx.dev/version": labels[Label.Version] ?? "" } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { [Label.Name]: Names.App } },
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          serviceAccountName: Names.Manager,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 65532,
            runAsGroup: 65532,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [{
            name: "manager",
            image: options.image,
            imagePullPolicy: "IfNotPresent",
            args: ["traffic-manager"],
            ports: [
              { name: "api", containerPort: ManagerPort.Api, protocol: "TCP" },
              { name: "daemon", containerPort: ManagerPort.Daemon, protocol: "TCP" },
              { name: "agent", containerPort: ManagerPort.Agent, protocol: "TCP" },
            ],
            env: managerEnv(options),
            resources: {
              requests: { cpu: "50m", memory: "96Mi" },
              limits: { cpu: "1", memory: "512Mi" },
            },
            readinessProbe: probe("/readyz", 2),
            livenessProbe: probe("/healthz", 10),
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 65532,
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ["ALL"] },
              seccompProfile: { type: "RuntimeDefault" },
            },
            // Deno and its libraries may want a scratch directory; the root stays read-only.
            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
          }],
          volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
        },
      },
    },
  };
}

function serviceObject(metadata: KubeObject["metadata"]): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata,
    spec: {
      selector: { [Label.Name]: Names.App },
      // The daemon port is left out on purpose: daemons reach it by port-forward only.
      ports: [
        { name: "agent", port: ManagerPort.Agent, targetPort: "agent", protocol: "TCP" },
        { name: "api", port: ManagerPort.Api, targetPort: "api", protocol: "TCP" },
      ],
    },
  };
}
