/**
 * The `tpx-agent` container: the manager's image run as `tpx traffic-agent`, configured by the
 * environment that `agent/traffic_agent/config.ts` reads, holding a copy of the app container's
 * environment and (read-only) volumes, and locked down to Pod Security's restricted profile.
 *
 * Fields that the API server would default are written out, so that the container read back
 * from the cluster still contains what a fresh injection produces (see `inject`'s idempotence).
 *
 * @module
 */
import type { TakenPort } from "./record.ts";
import type { Container, EnvVar, ResourceRequirements, VolumeMount, Workload } from "./types.ts";

/** The name of the container tpx adds. */
export const AGENT_CONTAINER = "tpx-agent";

/**
 * Where the app's volumes appear in the agent. Not at their own paths: an app volume mounted at
 * `/app` would hide the agent's code, which the image keeps there.
 */
export const APP_MOUNTS_ROOT = "/tpx/app";

/** Requests and limits of the agent unless the caller gives others. */
export const DEFAULT_AGENT_RESOURCES = {
  requests: { cpu: "50m", memory: "64Mi" },
  limits: { cpu: "500m", memory: "256Mi" },
} as const;

/**
 * The Deno runtime's variables as the image sets them (the Containerfile's `ENV`). They come last
 * in the agent's `env`, after the copy of the app's, so neither the app's `env` nor an `envFrom`
 * source (which `env` overrides) can point the agent's runtime at another cache: it runs with
 * `--cached-only` and would not start.
 */
export const AGENT_RUNTIME_ENV: readonly EnvVar[] = [
  { name: "DENO_DIR", value: "/deno-dir" },
  { name: "DENO_NO_UPDATE_CHECK", value: "1" },
  { name: "DENO_NO_PROMPT", value: "1" },
];

/**
 * Whether a variable configures the Deno runtime (see {@link AGENT_RUNTIME_ENV}) rather than
 * being the app's: the injection copies none of the app's, and the agent reports none as the
 * app's.
 *
 * @param name the variable's name
 * @returns true for `DENO_*`
 */
export function isRuntimeVariable(name: string): boolean {
  return name.startsWith("DENO_");
}

/** The user the image runs as (`USER 65532:65532` in the Containerfile). */
export const AGENT_USER = 65532;

/** What the agent container is made of, besides the workload. */
export interface AgentOptions {
  /** The image, the manager's own. */
  image: string;
  /** `host:port` of the manager's agent listener. */
  managerAddress: string;
  /** Default: {@link DEFAULT_AGENT_RESOURCES}. */
  resources?: ResourceRequirements;
  /** Where the agent's listeners bind; default the agent's own (`0.0.0.0`). */
  listenHost?: string;
  /** Where the app listens from the agent's side; default the agent's own (`127.0.0.1`). */
  appHost?: string;
}

/**
 * Builds the agent container.
 *
 * @param workload the workload (kind and name are passed to the agent)
 * @param app the app container, before tpx changed it
 * @param ports the ports the agent fronts
 * @param options image, manager address, resources
 * @returns a new container; nothing of `app` is shared with it
 */
export function agentContainer(
  workload: Workload,
  app: Container,
  ports: readonly TakenPort[],
  options: AgentOptions,
): Container {
  const mounts = (app.volumeMounts ?? []).map(readOnlyMount);
  const container: Container = {
    name: AGENT_CONTAINER,
    image: options.image,
    imagePullPolicy: "IfNotPresent",
    args: ["traffic-agent"],
    ports: ports.map((p) => ({
      name: p.agentPortName,
      containerPort: p.agentPort,
      protocol: p.protocol,
    })),
  };
  if (app.envFrom) container.envFrom = structuredClone(app.envFrom);
  container.env = [
    ...copiedEnv(app),
    ...agentEnv(workload, app, ports, options),
    ...structuredClone(AGENT_RUNTIME_ENV),
  ];
  container.resources = structuredClone(options.resources ?? DEFAULT_AGENT_RESOURCES);
  if (mounts.length > 0) container.volumeMounts = mounts;
  const probed = ports.find((p) => p.protocol === "TCP");
  // Without it the pod could turn ready (the app's probes go straight to the app) before the
  // agent listens on the port the Service now targets.
  if (probed) {
    container.readinessProbe = {
      tcpSocket: { port: probed.agentPort },
      timeoutSeconds: 1,
      periodSeconds: 5,
      successThreshold: 1,
      failureThreshold: 3,
    };
  }
  container.securityContext = {
    runAsNonRoot: true,
    runAsUser: AGENT_USER,
    runAsGroup: AGENT_USER,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
  container.terminationMessagePath = "/dev/termination-log";
  container.terminationMessagePolicy = "File";
  return container;
}

/**
 * The app's variables as the app sees them. Its own `TPX_` variables are left out: the agent
 * reads that prefix as its configuration; so are `DENO_` ones, which would configure the agent's
 * runtime (see {@link AGENT_RUNTIME_ENV}).
 */
function copiedEnv(app: Container): EnvVar[] {
  const copied = (v: EnvVar) => !v.name.startsWith("TPX_") && !isRuntimeVariable(v.name);
  return (app.env ?? []).filter(copied).map((v) => {
    const copy = structuredClone(v);
    // Without a container name, a resource reference means the container that reads it: the
    // agent would see its own limits instead of the app's.
    const ref = copy.valueFrom?.resourceFieldRef;
    if (ref && !ref.containerName) ref.containerName = app.name;
    return copy;
  });
}

function agentEnv(
  workload: Workload,
  app: Container,
  ports: readonly TakenPort[],
  options: AgentOptions,
): EnvVar[] {
  const fronted = ports.map((p) => ({
    ...(p.name === undefined ? {} : { name: p.name }),
    appPort: p.appPort,
    agentPort: p.agentPort,
    protocol: p.protocol,
  }));
  const env: EnvVar[] = [
    { name: "TPX_MANAGER_ADDRESS", value: options.managerAddress },
    { name: "TPX_AGENT_PORTS", value: JSON.stringify(fronted) },
    fieldRef("TPX_NAMESPACE", "metadata.namespace"),
    { name: "TPX_WORKLOAD", value: workload.metadata.name },
    { name: "TPX_WORKLOAD_KIND", value: workload.kind },
    fieldRef("TPX_POD_NAME", "metadata.name"),
    fieldRef("TPX_POD_IP", "status.podIP"),
    { name: "TPX_APP_CONTAINER", value: app.name },
    {
      name: "TPX_APP_MOUNTS",
      value: JSON.stringify((app.volumeMounts ?? []).map((m) => m.mountPath)),
    },
    { name: "TPX_APP_MOUNTS_ROOT", value: APP_MOUNTS_ROOT },
  ];
  if (options.listenHost !== undefined) {
    env.push({ name: "TPX_LISTEN_HOST", value: options.listenHost });
  }
  if (options.appHost !== undefined) env.push({ name: "TPX_APP_HOST", value: options.appHost });
  return env;
}

function fieldRef(name: string, fieldPath: string): EnvVar {
  return { name, valueFrom: { fieldRef: { apiVersion: "v1", fieldPath } } };
}

function readOnlyMount(mount: VolumeMount): VolumeMount {
  const copy = { ...structuredClone(mount), readOnly: true };
  copy.mountPath = `${APP_MOUNTS_ROOT}${
    mount.mountPath.startsWith("/") ? "" : "/"
  }${mount.mountPath}`;
  // Bidirectional propagation needs a privileged container, which the agent never is.
  if (copy.mountPropagation === "Bidirectional") delete copy.mountPropagation;
  return copy;
}
